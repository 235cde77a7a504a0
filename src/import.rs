//! What every `portal import …` shares: reading CSV (with a header) or JSON lines into rows
//! with their line numbers, the progress bar, and the summary.

use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;

/// Rows of a file: each with its line number, parsed or with the reason it could not be.
pub fn read_rows<T: DeserializeOwned>(
    path: &Path,
) -> anyhow::Result<Vec<(usize, Result<T, String>)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_json = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("jsonl" | "ndjson" | "json")
    ) || text.trim_start().starts_with('{');
    rows_of(&text, is_json)
}

/// Rows of a text in CSV (with a header) or, with `is_json`, JSON lines.
pub fn rows_of<T: DeserializeOwned>(
    text: &str,
    is_json: bool,
) -> anyhow::Result<Vec<(usize, Result<T, String>)>> {
    let mut rows = Vec::new();
    if is_json {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            rows.push((
                i + 1,
                serde_json::from_str(line).map_err(|e| format!("not a valid JSON row: {e}")),
            ));
        }
    } else {
        let mut rdr = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .context("the CSV file has no header row")?
            .clone();
        for rec in rdr.records() {
            match rec {
                Ok(r) => {
                    let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
                    rows.push((
                        line,
                        r.deserialize(Some(&headers))
                            .map_err(|e| format!("not a valid CSV row: {e}")),
                    ));
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                    rows.push((line, Err(format!("not a valid CSV row: {e}"))));
                }
            }
        }
    }
    Ok(rows)
}

/// A progress bar for `len` rows, hidden when `show` is false (tests, scripts).
pub fn progress(len: usize, label: &str, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len as u64);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {label} [{{bar:40}}] {{pos}}/{{len}} {{msg}}"
        ))
        .expect("static template")
        .progress_chars("=> "),
    );
    b
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    /// (line number, message) of each refused row.
    pub rejected: Vec<(usize, String)>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} created, {} updated, {} rejected",
            self.created,
            self.updated,
            self.rejected.len()
        )?;
        for (line, msg) in &self.rejected {
            writeln!(f, "  line {line}: {msg}")?;
        }
        Ok(())
    }
}
