//! Bundles GraphiQL into the server, so that its page works on a city intranet with no internet.
//!
//! The assets come from the npm registry as published packages (`npm pack` of pinned versions,
//! checked against the registry's integrity hashes by npm), unpacked into `OUT_DIR`, and
//! embedded by `src/graphiql.rs`. Nothing of them is copied into the repository. A build
//! without npm or without the registry still succeeds: the page then says that GraphiQL was not
//! bundled, and the API is unaffected. `PORTAL_GRAPHIQL_ASSETS` may name a folder that already
//! holds the four files (an offline build machine).

use std::path::{Path, PathBuf};
use std::process::Command;

/// (package, version, file inside the package, name served).
const ASSETS: &[(&str, &str, &str, &str)] = &[
    ("graphiql", "3.8.3", "graphiql.min.js", "graphiql.min.js"),
    ("graphiql", "3.8.3", "graphiql.min.css", "graphiql.min.css"),
    (
        "react",
        "18.3.1",
        "umd/react.production.min.js",
        "react.production.min.js",
    ),
    (
        "react-dom",
        "18.3.1",
        "umd/react-dom.production.min.js",
        "react-dom.production.min.js",
    ),
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PORTAL_GRAPHIQL_ASSETS");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("graphiql");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/graphiql");
    let bundled = match std::env::var("PORTAL_GRAPHIQL_ASSETS") {
        Ok(dir) if !dir.is_empty() => copy_from(Path::new(&dir), &out),
        _ => already_there(&out) || fetch(&out),
    };
    if !bundled {
        println!(
            "cargo:warning=GraphiQL was not bundled (npm or the npm registry was unavailable); the API is unaffected"
        );
        for (_, _, _, name) in ASSETS {
            let p = out.join(name);
            if !p.exists() {
                std::fs::write(&p, b"").expect("write an empty asset");
            }
        }
    }
}

fn already_there(out: &Path) -> bool {
    ASSETS.iter().all(|(_, _, _, name)| {
        std::fs::metadata(out.join(name))
            .map(|m| m.len() > 0)
            .unwrap_or(false)
    })
}

fn copy_from(dir: &Path, out: &Path) -> bool {
    ASSETS.iter().all(|(_, _, _, name)| {
        println!("cargo:rerun-if-changed={}", dir.join(name).display());
        std::fs::copy(dir.join(name), out.join(name)).is_ok()
    })
}

/// `npm pack` each package into a scratch folder and unpack the files needed.
fn fetch(out: &Path) -> bool {
    let scratch = out.join("pack");
    let _ = std::fs::remove_dir_all(&scratch);
    if std::fs::create_dir_all(&scratch).is_err() {
        return false;
    }
    let mut packages: Vec<String> = ASSETS
        .iter()
        .map(|(p, v, _, _)| format!("{p}@{v}"))
        .collect();
    packages.dedup();
    let packed = Command::new("npm")
        .arg("pack")
        .args(&packages)
        .arg("--silent")
        .arg("--pack-destination")
        .arg(&scratch)
        .current_dir(&scratch)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !packed {
        return false;
    }
    for (package, version, file, name) in ASSETS {
        let tgz = scratch.join(format!("{package}-{version}.tgz"));
        let unpacked = Command::new("tar")
            .arg("-xzf")
            .arg(&tgz)
            .arg("-C")
            .arg(&scratch)
            .arg(format!("package/{file}"))
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !unpacked || std::fs::rename(scratch.join("package").join(file), out.join(name)).is_err()
        {
            return false;
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    true
}
