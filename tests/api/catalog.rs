//! The unit and procedure catalog: demo blocks, accent-insensitive name search, admin changes.

use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestApp, error_code, error_field};

fn codes(b: &Value, root: &str) -> Vec<String> {
    b["data"][root]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {b}"))
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn demo_units_are_the_reference_year_in_three_blocks() {
    let app = TestApp::spawn().await;
    let b = app
        .gql(
            None,
            "{ d: units(filter: {block: DEPARTMENT, activeOn: \"2022-06-30\"}) { totalCount }
               v: units(filter: {block: VERTICAL_AGENCY, activeOn: \"2022-06-30\"}, first: 10) { totalCount edges { node { name ranked } } }
               k: units(filter: {block: DISTRICT, activeOn: \"2022-06-30\"}) { totalCount }
               c: units(filter: {block: COMMUNE, activeOn: \"2026-06-30\"}) { totalCount }
               k26: units(filter: {block: DISTRICT, activeOn: \"2026-06-30\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(b["data"]["d"]["totalCount"], 26, "{b}");
    assert_eq!(b["data"]["v"]["totalCount"], 7);
    assert_eq!(b["data"]["k"]["totalCount"], 22);
    // The two-tier city of 2026: no districts, a sample of wards.
    assert_eq!(b["data"]["k26"]["totalCount"], 0);
    assert_eq!(b["data"]["c"]["totalCount"], 12);
    for e in b["data"]["v"]["edges"].as_array().unwrap() {
        assert_eq!(
            e["node"]["ranked"], false,
            "vertical agencies are never ranked: {e}"
        );
    }
    for (code, name, block) in [
        ("STP", "Sở Tư pháp", "DEPARTMENT"),
        (
            "ITPC",
            "Trung tâm Xúc tiến Thương mại và Đầu tư",
            "DEPARTMENT",
        ),
        ("CHQ", "Cục Hải quan", "VERTICAL_AGENCY"),
        ("BHXH", "Bảo hiểm Xã hội", "VERTICAL_AGENCY"),
        ("QBTA", "Quận Bình Tân", "DISTRICT"),
        ("Q5", "Quận 5", "DISTRICT"),
        ("TPTD", "Thành phố Thủ Đức", "DISTRICT"),
    ] {
        let u = app
            .gql(
                None,
                "query($c: String) { unit: unitByCode(code: $c) { name block active validFrom } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(u["data"]["unit"]["name"], name);
        assert_eq!(u["data"]["unit"]["block"], block);
        // The districts ended with the district level on 30 June 2025.
        assert_eq!(u["data"]["unit"]["active"], block != "DISTRICT");
        assert_eq!(u["data"]["unit"]["validFrom"], "2022-01-01");
    }
}

#[tokio::test]
async fn unit_search_ignores_case_and_diacritics() {
    let app = TestApp::spawn().await;
    let q = "query($s: String) { units(filter: {query: $s, includeEnded: true}, first: 50) { totalCount edges { node { code } } } }";
    let nfd: String = "Thủ Đức".nfd().collect();
    for (search, expected) in [
        ("quan 5", vec!["Q5"]),
        ("tu phap", vec!["STP"]),
        ("Sở Tư Pháp", vec!["STP"]),
        // Thủ Đức city, and the ward that carries its name since 2025.
        (nfd.as_str(), vec!["P.THUDUC", "TPTD"]),
        ("THANH PHO THU DUC", vec!["TPTD"]),
        ("hai quan", vec!["CHQ"]),
    ] {
        let b = app.gql(None, q, json!({ "s": search })).await;
        assert_eq!(codes(&b, "units"), expected, "{search}: {b}");
    }
    // Word order is free, but the name that reads like the query comes first.
    for (search, first) in [("binh tan", "P.BINHTAN"), ("tan binh", "QTB")] {
        let b = app.gql(None, q, json!({ "s": search })).await;
        let mut got = codes(&b, "units");
        assert_eq!(got[0], first, "{search}: {b}");
        got.sort();
        assert_eq!(got, vec!["P.BINHTAN", "QBTA", "QTB"]);
    }
    // Whole words except the last: "quan 1" is Quận 1 and the Quận 1x as the user types.
    let b = app.gql(None, q, json!({ "s": "quan 1" })).await;
    let mut got = codes(&b, "units");
    got.sort();
    assert_eq!(got, vec!["Q1", "Q10", "Q11", "Q12"]);
    // Wildcards typed by a user are literal.
    let b = app.gql(None, q, json!({ "s": "%" })).await;
    assert_eq!(b["data"]["units"]["totalCount"], 0);
}

#[tokio::test]
async fn admins_create_update_and_retire_units() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    // A district of the one-tier-lower past, made for this test.
    let made = app
        .gql(
            Some(&admin),
            "mutation { createUnit(input: {code: \"QX\", name: \"Quận Thử Nghiệm\", block: DISTRICT, validFrom: \"2022-01-01\"}) { id } }",
            json!({}),
        )
        .await;
    let q5 = made["data"]["createUnit"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let b = app
        .gql(
            Some(&admin),
            "mutation($i: CreateUnitInput!) { createUnit(input: $i) { id code name block parent { code } validFrom } }",
            json!({ "i": { "code": "qx-p1", "name": "Phường 1, Quận Thử Nghiệm", "block": "DISTRICT", "parent": q5, "validFrom": "2022-01-01" } }),
        )
        .await;
    let ward = b["data"]["createUnit"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"))
        .to_string();
    assert_eq!(b["data"]["createUnit"]["code"], "QX-P1");
    assert_eq!(b["data"]["createUnit"]["parent"]["code"], "QX");

    let children = app
        .gql(
            None,
            "query($p: ID) { units(filter: {parent: $p}) { edges { node { code } } } }",
            json!({ "p": q5 }),
        )
        .await;
    assert_eq!(codes(&children, "units"), vec!["QX-P1"]);
    // A unit named by another is read from memory: a rename shows at once, as does the
    // retirement below.
    let parent = "query($id: ID!) { unit(id: $id) { parent { name active } } }";
    let before = app.gql(None, parent, json!({ "id": ward })).await;
    assert_eq!(
        before["data"]["unit"]["parent"]["name"], "Quận Thử Nghiệm",
        "{before}"
    );
    assert_eq!(before["data"]["unit"]["parent"]["active"], true);

    let rename =
        "mutation($id: ID!, $n: String) { updateUnit(id: $id, input: {name: $n}) { name } }";
    let b = app
        .gql(
            Some(&admin),
            rename,
            json!({ "id": ward, "n": "Phường Thử Nghiệm Một" }),
        )
        .await;
    assert_eq!(
        b["data"]["updateUnit"]["name"], "Phường Thử Nghiệm Một",
        "{b}"
    );
    let b = app
        .gql(
            Some(&admin),
            rename,
            json!({ "id": q5, "n": "Ủy ban nhân dân Quận Thử Nghiệm" }),
        )
        .await;
    assert_eq!(
        b["data"]["updateUnit"]["name"], "Ủy ban nhân dân Quận Thử Nghiệm",
        "{b}"
    );
    let after = app.gql(None, parent, json!({ "id": ward })).await;
    assert_eq!(
        after["data"]["unit"]["parent"]["name"], "Ủy ban nhân dân Quận Thử Nghiệm",
        "{after}"
    );
    let found = app
        .gql(
            None,
            "{ units(filter: {query: \"thu nghiem mot\"}) { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(codes(&found, "units"), vec!["QX-P1"]);

    // Retire Quận 5 into a successor (2025 reorganisation).
    let successor = app.unit_id("P.BENTHANH").await;
    let retire = "mutation($id: ID!, $to: Date!, $s: ID) { retireUnit(id: $id, validTo: $to, successor: $s) { validTo active successor { code } } }";
    let b = app
        .gql(
            Some(&admin),
            retire,
            json!({ "id": q5, "to": "2021-12-31", "s": successor }),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT", "{b}");
    assert_eq!(error_field(&b), "validTo");
    let b = app
        .gql(
            Some(&admin),
            retire,
            json!({ "id": q5, "to": "2025-06-30", "s": q5 }),
        )
        .await;
    assert_eq!(error_field(&b), "successor");
    let b = app
        .gql(
            Some(&admin),
            retire,
            json!({ "id": q5, "to": "2025-06-30", "s": successor }),
        )
        .await;
    assert_eq!(b["data"]["retireUnit"]["validTo"], "2025-06-30", "{b}");
    assert_eq!(b["data"]["retireUnit"]["active"], false);
    assert_eq!(b["data"]["retireUnit"]["successor"]["code"], "P.BENTHANH");
    let retired = app.gql(None, parent, json!({ "id": ward })).await;
    assert_eq!(
        retired["data"]["unit"]["parent"]["active"], false,
        "{retired}"
    );
    let b = app
        .gql(
            Some(&admin),
            retire,
            json!({ "id": q5, "to": "2025-07-31", "s": successor }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");

    // The 2022 view has the 22 districts and the two made here; today's only the ward.
    let q = "query($d: Date) { units(filter: {block: DISTRICT, activeOn: $d}) { totalCount } }";
    let then = app.gql(None, q, json!({ "d": "2022-06-01" })).await;
    assert_eq!(then["data"]["units"]["totalCount"], 24);
    let now = app.gql(None, q, json!({ "d": "2026-01-01" })).await;
    assert_eq!(now["data"]["units"]["totalCount"], 1);

    // Officials cannot change the catalog.
    let official = app.login("q5.canbo", "gopy-official-demo").await;
    let b = app
        .gql(
            Some(&official),
            retire,
            json!({ "id": ward, "to": "2025-06-30" }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
}

#[tokio::test]
async fn procedures_filter_by_unit_field_level_and_search() {
    let app = TestApp::spawn().await;
    let q = "query($f: ProcedureFilter) { procedures(filter: $f, first: 100) { totalCount edges { node { code name oneDay processingDays level units { code } } } } }";
    let all = app.gql(None, q, json!({})).await;
    let total = all["data"]["procedures"]["totalCount"].as_u64().unwrap();
    assert!(
        (45..=60).contains(&total),
        "about 50 demo procedures, got {total}"
    );

    let stp = app.unit_id("STP").await;
    let b = app.gql(None, q, json!({ "f": { "unit": stp } })).await;
    for e in b["data"]["procedures"]["edges"].as_array().unwrap() {
        let units: Vec<&str> = e["node"]["units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["code"].as_str().unwrap())
            .collect();
        assert!(units.contains(&"STP"), "{e}");
    }
    assert_eq!(b["data"]["procedures"]["totalCount"], 3);

    let b = app
        .gql(None, q, json!({ "f": { "field": "ho tich" } }))
        .await;
    assert_eq!(b["data"]["procedures"]["totalCount"], 6, "{b}");

    let b = app.gql(None, q, json!({ "f": { "oneDay": true } })).await;
    for e in b["data"]["procedures"]["edges"].as_array().unwrap() {
        assert_eq!(e["node"]["oneDay"], true);
        assert!(e["node"]["processingDays"].as_i64().unwrap() <= 1);
    }
    assert!(b["data"]["procedures"]["totalCount"].as_u64().unwrap() >= 5);

    let b = app
        .gql(None, q, json!({ "f": { "query": "dang ky khai sinh" } }))
        .await;
    assert_eq!(codes(&b, "procedures"), vec!["1.001193"]);
    let b = app
        .gql(None, q, json!({ "f": { "query": "2.000488" } }))
        .await;
    assert_eq!(codes(&b, "procedures"), vec!["2.000488"]);

    let one = app
        .gql(
            None,
            "{ procedure: procedureByCode(code: \" 1.001193 \") { name level units(includeEnded: true) { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(one["data"]["procedure"]["name"], "Đăng ký khai sinh");
    assert_eq!(one["data"]["procedure"]["level"], "WARD");
    // The 22 districts, and the 12 demo communes that took over their work in 2025.
    assert_eq!(
        one["data"]["procedure"]["units"].as_array().unwrap().len(),
        34
    );
}

#[tokio::test]
async fn admins_create_update_and_retire_procedures() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let stp = app.unit_id("STP").await;
    let create = "mutation($i: CreateProcedureInput!) { createProcedure(input: $i) { id code name oneDay units { code } } }";
    let input = |days: i32, one_day: bool| {
        json!({ "i": { "code": "1.000494.000.00.00.h29", "name": "Cấp bản sao Trích lục bản án", "field": "Tư pháp",
                       "level": "CITY", "processingDays": days, "oneDay": one_day, "onlineLevel": "FULL", "units": [stp] } })
    };
    let b = app.gql(Some(&admin), create, input(5, true)).await;
    assert_eq!(error_field(&b), "input.oneDay", "{b}");
    let b = app.gql(Some(&admin), create, input(-1, false)).await;
    assert_eq!(error_field(&b), "input.processingDays");
    let mut no_units = input(3, false);
    no_units["i"]["units"] = json!([]);
    assert_eq!(
        error_field(&app.gql(Some(&admin), create, no_units).await),
        "input.units"
    );

    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    assert_eq!(
        error_code(&app.gql(Some(&citizen), create, input(1, true)).await),
        "FORBIDDEN"
    );

    let b = app.gql(Some(&admin), create, input(1, true)).await;
    let id = b["data"]["createProcedure"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{b}"))
        .to_string();
    assert_eq!(
        b["data"]["createProcedure"]["code"],
        "1.000494.000.00.00.H29"
    );
    assert_eq!(b["data"]["createProcedure"]["units"][0]["code"], "STP");
    assert_eq!(
        error_code(&app.gql(Some(&admin), create, input(1, true)).await),
        "CONFLICT"
    );

    let update = "mutation($id: ID!, $i: UpdateProcedureInput!) { updateProcedure(id: $id, input: $i) { processingDays oneDay retired } }";
    let b = app
        .gql(
            Some(&admin),
            update,
            json!({ "id": id, "i": { "processingDays": 3, "oneDay": false } }),
        )
        .await;
    assert_eq!(b["data"]["updateProcedure"]["processingDays"], 3, "{b}");
    assert_eq!(b["data"]["updateProcedure"]["oneDay"], false);

    let b = app
        .gql(
            Some(&admin),
            update,
            json!({ "id": id, "i": { "retired": true } }),
        )
        .await;
    assert_eq!(b["data"]["updateProcedure"]["retired"], true);
    let public = app
        .gql(
            None,
            "{ procedures(filter: {query: \"trich luc ban an\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(public["data"]["procedures"]["totalCount"], 0);
    let by_code = app
        .gql(
            None,
            "{ procedure: procedureByCode(code: \"1.000494.000.00.00.H29\") { retired } }",
            json!({}),
        )
        .await;
    assert_eq!(by_code["data"]["procedure"]["retired"], true);
}
