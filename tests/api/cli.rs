//! The `portal` command line: schema, import, token, help, and configuration errors.

use std::process::Command;

use serde_json::json;

use crate::helpers::{SECRET, TestApp, TestDb, error_code, test_config};

fn portal() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portal"));
    // A clean environment for the settings the binary reads.
    for v in [
        "DATABASE_URL",
        "PORTAL_ADDR",
        "JWT_SECRET",
        "PORTAL_DATA_DIR",
        "PORTAL_CONFIG",
        "MEILI_URL",
        "RUST_LOG",
    ] {
        c.env_remove(v);
    }
    c.env("PORTAL_CLOCK", crate::helpers::CLOCK);
    c
}

#[test]
fn schema_command_prints_the_committed_schema() {
    let out = portal().arg("schema").output().unwrap();
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == committed,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql`"
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["schema", "--help"],
        vec!["seed", "--help"],
        vec!["token", "--help"],
        vec!["import", "procedures", "--help"],
        vec!["import", "dossiers", "--help"],
        vec!["import", "units", "--help"],
        vec!["import", "par-results", "--help"],
        vec!["bench-par", "--help"],
        vec!["notify", "test", "--help"],
        vec!["notify", "status", "--help"],
    ] {
        let out = portal().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("Example"), "{args:?} has no example:\n{text}");
    }
}

#[test]
fn bad_configuration_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = portal()
        .current_dir(dir.path())
        .env("PORTAL_ADDR", "not-an-address")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PORTAL_ADDR"),
        "{out:?}"
    );

    let out = portal()
        .current_dir(dir.path())
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"),
        "{out:?}"
    );

    let out = portal()
        .current_dir(dir.path())
        .env("JWT_SECRET", "short")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JWT_SECRET"),
        "{out:?}"
    );

    let out = portal()
        .current_dir(dir.path())
        .env("DATABASE_URL", "mysql://x")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"),
        "{out:?}"
    );
    let out = portal()
        .current_dir(dir.path())
        .env("PORTAL_CLOCK", "tomorrow")
        .arg("serve")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("PORTAL_CLOCK") && err.contains("tomorrow"),
        "{out:?}"
    );
    // In production, any origin is refused outright, as are untrusted proxy ranges and
    // GraphiQL without introspection.
    for (var, value) in [
        ("PORTAL_CORS_ORIGINS", "*"),
        ("PORTAL_TRUSTED_PROXIES", "10.0.0.0/33"),
        ("PORTAL_GRAPHIQL", "true"),
        ("PORTAL_REQUEST_TIMEOUT", "soon"),
        ("PORTAL_DB_POOL", "0"),
        ("PORTAL_ACCESS_TOKEN_TTL", "soon"),
        ("PORTAL_REFRESH_TOKEN_TTL", "10s"),
        // One long-lived token is gone: a server still given its lifetime says so.
        ("PORTAL_TOKEN_TTL", "12h"),
        // A production server runs on the real clock.
        ("PORTAL_CLOCK", crate::helpers::CLOCK),
        ("PORTAL_SMTP_URL", "http://mail.example.gov.vn"),
        ("PORTAL_SMTP_URL", "smtp://mail.example.gov.vn?tsl=on"),
        ("PORTAL_SMTP_FROM", "not an address"),
        // A gateway without its secret.
        ("PORTAL_SMS_WEBHOOK_URL", "https://sms.example.gov.vn/send"),
        ("PORTAL_NOTIFY_MAX_ATTEMPTS", "0"),
        ("PORTAL_PUBLIC_URL", "gopy.example.gov.vn"),
    ] {
        let out = portal()
            .current_dir(dir.path())
            .env_remove("PORTAL_CLOCK")
            .env("PORTAL_ENV", "production")
            .env("JWT_SECRET", "a-secret-that-is-long-enough-for-hs256-0123")
            .env(var, value)
            .arg("serve")
            .output()
            .unwrap();
        assert!(!out.status.success(), "{var}={value}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(var),
            "{var}={value}: {out:?}"
        );
    }
}

#[tokio::test]
async fn a_token_from_the_cli_is_accepted_and_one_with_another_secret_is_not() {
    let app = TestApp::spawn().await;
    let db_url = app.db.url.clone();
    let mint = |secret: &str, args: &[&str]| {
        let out = portal()
            .env("JWT_SECRET", secret)
            .env("DATABASE_URL", &db_url)
            .arg("token")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let t = mint(SECRET, &["--role", "ADMIN"]);
    let b = app
        .gql(Some(&t), "{ me { role subject } }", json!({}))
        .await;
    assert_eq!(b["data"]["me"]["role"], "ADMIN", "{b}");

    let t = mint(
        SECRET,
        &["--role", "OFFICIAL", "--unit", "p.cholon", "--ttl", "10m"],
    );
    let b = app
        .gql(Some(&t), "{ me { role unit { name } } }", json!({}))
        .await;
    assert_eq!(b["data"]["me"]["unit"]["name"], "Phường Chợ Lớn", "{b}");

    let other = mint(
        "a-completely-different-secret-0123456789",
        &["--role", "ADMIN"],
    );
    let (status, b) = app
        .gql_full(
            None,
            "{ me { role } }",
            json!({}),
            &[("authorization", &format!("Bearer {other}"))],
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&b), "UNAUTHENTICATED");
}

#[tokio::test]
async fn import_procedures_reports_bad_rows_and_is_idempotent() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    // Seed units first so that the file can name them.
    let seed = portal()
        .env("DATABASE_URL", &db.url)
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(seed.status.success(), "{seed:?}");

    let csv = dir.path().join("catalog.csv");
    std::fs::write(
        &csv,
        "code,name,field,level,processing_days,one_day,online_level,units\n\
         1.000001,Cấp giấy phép thử nghiệm,Thử nghiệm,CITY,5,false,FULL,STP\n\
         1.000002,Thủ tục thiếu đơn vị,Thử nghiệm,CITY,5,false,FULL,NO-SUCH-UNIT\n\
         1.000003,Xác nhận tình trạng hôn nhân,Hộ tịch,xã,1,true,một phần,P.CHOLON;P.BENTHANH\n\
         1.000004,Thời hạn sai,Thử nghiệm,CITY,abc,false,NONE,STP\n",
    )
    .unwrap();
    let run = || {
        portal()
            .env("DATABASE_URL", &db.url)
            .args(["import", "procedures"])
            .arg(&csv)
            .output()
            .unwrap()
    };
    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("2 created, 0 updated, 2 rejected"), "{text}");
    assert!(
        text.contains("line 3: ") && text.contains("NO-SUCH-UNIT"),
        "{text}"
    );
    assert!(
        text.contains("line 5: ") && text.contains("processing_days"),
        "{text}"
    );

    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("0 created, 2 updated, 2 rejected"), "{text}");

    let jsonl = dir.path().join("more.jsonl");
    std::fs::write(
        &jsonl,
        "{\"code\":\"1.000005\",\"name\":\"Thủ tục từ JSON\",\"field\":\"Thử nghiệm\",\"level\":\"DISTRICT\",\"processing_days\":7,\"units\":[\"P.CHOLON\"]}\n",
    )
    .unwrap();
    let out = portal()
        .env("DATABASE_URL", &db.url)
        .args(["import", "procedures"])
        .arg(&jsonl)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    let b = app
        .gql(
            None,
            "{ procedures(filter: {field: \"thu nghiem\"}) { totalCount edges { node { code level units { code } } } } }",
            json!({}),
        )
        .await;
    let codes: Vec<&str> = b["data"]["procedures"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(b["data"]["procedures"]["totalCount"], 2, "{b}");
    assert!(
        codes.contains(&"1.000001") && codes.contains(&"1.000005"),
        "{b}"
    );
    let p = app
        .gql(
            None,
            "{ procedure: procedureByCode(code: \"1.000003\") { level oneDay onlineLevel units { code } } }",
            json!({}),
        )
        .await;
    // "xã" is the commune level since 1 July 2025.
    assert_eq!(p["data"]["procedure"]["level"], "COMMUNE");
    assert_eq!(p["data"]["procedure"]["onlineLevel"], "PARTIAL");
    assert_eq!(p["data"]["procedure"]["units"].as_array().unwrap().len(), 2);
    let none = app
        .gql(
            None,
            "{ procedure: procedureByCode(code: \"1.000002\") { id } }",
            json!({}),
        )
        .await;
    assert!(none["data"]["procedure"].is_null());
}

#[tokio::test]
async fn import_dossiers_computes_due_times_and_reports_bad_rows() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = portal()
        .env("DATABASE_URL", &db.url)
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(seed.status.success(), "{seed:?}");
    let csv = dir.path().join("one-stop.csv");
    std::fs::write(
        &csv,
        "code,procedure_code,unit_code,filer_kind,tax_code,received_at,completed_at\n\
         MC-0001,2.002040,STC,BUSINESS,0100109106,2026-04-24T09:00:00+07:00,2026-04-28 15:00\n\
         MC-0002,2.002040,STC,CITIZEN,,2026-04-24 09:00,\n\
         MC-0003,2.002040,P.CHOLON,CITIZEN,,2026-04-24 09:00,\n\
         MC-0004,2.002040,STC,BUSINESS,123,2026-04-24 09:00,\n\
         MC-0005,2.002040,STC,CITIZEN,,yesterday,\n",
    )
    .unwrap();
    let run = || {
        portal()
            .env("DATABASE_URL", &db.url)
            .args(["import", "dossiers"])
            .arg(&csv)
            .output()
            .unwrap()
    };
    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("2 created, 0 updated, 3 rejected"), "{text}");
    assert!(
        text.contains("line 4: ") && text.contains("does not perform"),
        "{text}"
    );
    assert!(
        text.contains("line 5: ") && text.contains("tax code"),
        "{text}"
    );
    assert!(
        text.contains("line 6: ") && text.contains("received_at"),
        "{text}"
    );
    let again = String::from_utf8(run().stdout).unwrap();
    assert!(
        again.contains("0 created, 2 updated, 3 rejected"),
        "{again}"
    );

    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    let admin = app.script_token(portal::auth::Role::Admin, None).await;
    let b = app
        .gql(
            Some(&admin),
            "{ a: dossierByCode(code: \"MC-0001\") { originalDueAt completedAt late taxCode } b: dossierByCode(code: \"MC-0002\") { status late apologyStatus } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["data"]["a"]["originalDueAt"], "2026-05-04T17:00:00+07:00",
        "{b}"
    );
    assert_eq!(b["data"]["a"]["completedAt"], "2026-04-28T15:00:00+07:00");
    assert_eq!(b["data"]["a"]["late"], false);
    assert_eq!(b["data"]["a"]["taxCode"], "0100109106");
    assert_eq!(b["data"]["b"]["status"], "OPEN");
    assert_eq!(b["data"]["b"]["apologyStatus"], "MISSING");
}

#[tokio::test]
async fn import_units_loads_a_structure_through_time_and_reports_bad_units_whole() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("units.csv");
    std::fs::write(
        &csv,
        "code,name,short_name,block,parent,valid_from,valid_to,successors\n\
         QA,Quận A,Quận A,DISTRICT,,2022-01-01,2025-06-30,PA1;PA2\n\
         PA1,Phường A Một,A Một,COMMUNE,,2025-07-01,,\n\
         PA2,Phường A Hai,A Hai,COMMUNE,,2025-07-01,,\n\
         SX,Sở X,X,DEPARTMENT,,2022-01-01,,\n\
         SX,Sở X và Y,X và Y,DEPARTMENT,,2025-03-01,,\n\
         SY,Sở Y,Y,sở,,2022-01-01,2025-02-28,SX:MERGED_INTO\n\
         BAD,Đơn vị sai,,NOWHERE,,2022-01-01,,\n\
         LOST,Đơn vị mồ côi,,COMMUNE,NO-SUCH,2025-07-01,,\n\
         CA,Vòng A,,COMMUNE,CB,2025-07-01,,\n\
         CB,Vòng B,,COMMUNE,CA,2025-07-01,,\n",
    )
    .unwrap();
    let run = || {
        portal()
            .env("DATABASE_URL", &db.url)
            .args(["import", "units"])
            .arg(&csv)
            .output()
            .unwrap()
    };
    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("5 created, 0 updated, 4 rejected"), "{text}");
    assert!(
        text.contains("line 10: ") && text.contains("its own parent"),
        "{text}"
    );
    assert!(
        text.contains("line 8: ") && text.contains("block"),
        "{text}"
    );
    assert!(
        text.contains("line 9: ") && text.contains("NO-SUCH"),
        "{text}"
    );
    // Idempotent on the code.
    let again = String::from_utf8(run().stdout).unwrap();
    assert!(
        again.contains("0 created, 5 updated, 4 rejected"),
        "{again}"
    );

    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    let b = app
        .ok(
            None,
            "{ qa: unitByCode(code: \"QA\") { validTo successors { unit { code } on kind } }
               sx: unitByCode(code: \"SX\") { name versions { validFrom name } predecessors { unit { code } kind } }
               old: unitByCode(code: \"SX\", at: \"2024-01-01\") { name }
               bad: unitByCode(code: \"BAD\") { code } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["qa"],
        json!({ "validTo": "2025-06-30", "successors": [
            { "unit": { "code": "PA1" }, "on": "2025-07-01", "kind": "SPLIT_INTO" },
            { "unit": { "code": "PA2" }, "on": "2025-07-01", "kind": "SPLIT_INTO" } ] })
    );
    assert_eq!(b["sx"]["name"], "Sở X và Y");
    assert_eq!(
        b["sx"]["versions"],
        json!([{ "validFrom": "2022-01-01", "name": "Sở X" }, { "validFrom": "2025-03-01", "name": "Sở X và Y" }])
    );
    assert_eq!(
        b["sx"]["predecessors"],
        json!([{ "unit": { "code": "SY" }, "kind": "MERGED_INTO" }])
    );
    assert_eq!(b["old"]["name"], "Sở X");
    assert!(b["bad"].is_null());
}

#[tokio::test]
async fn import_dossiers_takes_channel_appointment_and_apology_columns() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let seed = portal()
        .env("DATABASE_URL", &db.url)
        .args(["seed", "--demo"])
        .output()
        .unwrap();
    assert!(seed.status.success(), "{seed:?}");
    let csv = dir.path().join("one-stop.csv");
    std::fs::write(
        &csv,
        "code,procedure_code,unit_code,filer_kind,tax_code,received_at,completed_at,channel,due_at,apology_issued_at,apology_reason,apology_new_due_at,delay_excused\n\
         AP-1,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,2026-10-09 10:00,ONLINE,,2026-10-09 10:00,Lỗi liên thông,,\n\
         AP-2,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,,IN_PERSON,,2026-10-01 15:00,Chờ xác minh,2026-10-08 17:00,\n\
         AP-3,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,2026-10-09 10:00,,2026-10-10 17:00,,,,\n\
         AP-4,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,2026-10-09 10:00,,,,,,Chờ cơ quan khác trả lời\n\
         AP-5,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,,BY_PIGEON,,,,,\n\
         AP-6,1.001193,P.CHOLON,CITIZEN,,2026-10-01 09:00,,,,2026-10-02 09:00,,,\n",
    )
    .unwrap();
    let out = portal()
        .env("DATABASE_URL", &db.url)
        .args(["import", "dossiers"])
        .arg(&csv)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("4 created, 0 updated, 2 rejected"), "{text}");
    assert!(
        text.contains("line 6: ") && text.contains("channel"),
        "{text}"
    );
    assert!(
        text.contains("line 7: ") && text.contains("apology_reason"),
        "{text}"
    );

    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    let admin = app.script_token(portal::auth::Role::Admin, None).await;
    let q =
        "{ a: dossierByCode(code: \"AP-1\") { online apologyStatus apology { atHandover late } }
               b: dossierByCode(code: \"AP-2\") { dueAt apologyStatus apology { reason late } }
               c: dossierByCode(code: \"AP-3\") { dueGiven originalDueAt late apologyStatus }
               d: dossierByCode(code: \"AP-4\") { apologyStatus delayExcuse { reason } } }";
    let b = app.ok(Some(&admin), q, json!({})).await;
    assert_eq!(
        b["a"],
        json!({ "online": true, "apologyStatus": "AT_HANDOVER", "apology": { "atHandover": true, "late": true } })
    );
    assert_eq!(
        b["b"],
        json!({ "dueAt": "2026-10-08T17:00:00+07:00", "apologyStatus": "ISSUED", "apology": { "reason": "Chờ xác minh", "late": false } })
    );
    assert_eq!(
        b["c"],
        json!({ "dueGiven": true, "originalDueAt": "2026-10-10T17:00:00+07:00", "late": false, "apologyStatus": "NONE_NEEDED" })
    );
    assert_eq!(b["d"]["apologyStatus"], "EXCUSED");
    assert_eq!(b["d"]["delayExcuse"]["reason"], "Chờ cơ quan khác trả lời");
}

#[tokio::test]
async fn import_par_results_loads_a_published_year_or_nothing() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let units = dir.path().join("units.csv");
    std::fs::write(
        &units,
        "code,name,short_name,block,parent,valid_from,valid_to,successors\n\
         SX,Sở X,X,DEPARTMENT,,2022-01-01,,\n\
         QA,Quận A,Quận A,DISTRICT,,2022-01-01,2025-06-30,\n\
         QB,Quận B,Quận B,DISTRICT,,2022-01-01,2025-06-30,\n",
    )
    .unwrap();
    let out = portal()
        .env("DATABASE_URL", &db.url)
        .args(["import", "units"])
        .arg(&units)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let results = dir.path().join("par-2024.csv");
    let write = |text: &str| std::fs::write(&results, text).unwrap();
    let run = || {
        portal()
            .env("DATABASE_URL", &db.url)
            .args(["import", "par-results"])
            .arg(&results)
            .args(["--year", "2024", "--source", "Quyết định công bố năm 2024"])
            .output()
            .unwrap()
    };
    write(
        "unit_code,block,total,band,rank,block_size\n\
         SX,DEPARTMENT,91.5,Tốt,1,20\n\
         QA,DISTRICT,88,Tốt,3,2\n\
         NOPE,DISTRICT,80,Tốt,2,2\n",
    );
    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("0 created, 0 updated, 2 rejected"), "{text}");
    assert!(text.contains("line 3: rank 3 is outside 1..2"), "{text}");
    assert!(text.contains("line 4: no unit has code NOPE"), "{text}");
    write(
        "unit_code,block,total,band,rank,block_size\n\
         SX,DEPARTMENT,91.5,Tốt,1,20\n\
         QA,DISTRICT,88,Tốt,2,2\n\
         QB,DISTRICT,90.25,Tốt,1,2\n",
    );
    let out = run();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 created"), "{text}");

    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    let b = app
        .ok(
            None,
            "{ parIndex(year: 2024, block: DISTRICT) { status blockSize entries { unit { code name } total band rank } }
               parPeriod(year: 2024) { imported source } }",
            json!({}),
        )
        .await;
    assert_eq!(
        b["parIndex"],
        json!({ "status": "PUBLISHED", "blockSize": 2, "entries": [
            { "unit": { "code": "QB", "name": "Quận B" }, "total": 90.25, "band": "Tốt", "rank": 1 },
            { "unit": { "code": "QA", "name": "Quận A" }, "total": 88.0, "band": "Tốt", "rank": 2 } ] })
    );
    assert_eq!(
        b["parPeriod"],
        json!({ "imported": true, "source": "Quyết định công bố năm 2024" })
    );
}

#[tokio::test]
async fn synthetic_data_in_bulk_is_marked_and_keeps_the_tallies() {
    let db = TestDb::new().await;
    let out = portal()
        .env("DATABASE_URL", &db.url)
        .args([
            "seed",
            "--synthetic",
            "--ratings",
            "300",
            "--dossiers",
            "120",
            "--complaints",
            "30",
            "--year",
            "2026",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("synthetic data for 2026: 120 dossiers, 300 ratings"),
        "{text}"
    );
    let app = TestApp::spawn_with(test_config(&db), db, false).await;
    assert!(crate::par::assert_tallies_agree(&app).await > 5);
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let syn = entity::dossier::Entity::find()
        .filter(entity::dossier::Column::Code.starts_with("SYN-"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(syn, 120);
    let filed = entity::complaint::Entity::find()
        .filter(entity::complaint::Column::ContactName.eq(portal::seed::bulk::SYNTHETIC_CONTACT))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(filed, 30);
}
