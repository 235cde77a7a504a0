//! The search conformance suite: every engine available must pass it — the embedded engine
//! always, Meilisearch when `MEILI_URL` is set (each test then uses its own index prefix).
//! It checks Vietnamese matching (no marks, NFD, typos in short syllables, i/y spellings,
//! abbreviations), exact codes, exact-mark ranking, filters, facets, sorting, pagination,
//! scoping, the public redaction, procedures by satisfaction, and an engine outage.

use std::collections::HashSet;

use portal::auth::Role;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::helpers::{TestApp, error_code};

/// One server per engine available.
async fn engines() -> Vec<TestApp> {
    let mut apps = vec![TestApp::spawn().await];
    if let Ok(url) = std::env::var("MEILI_URL")
        && !url.is_empty()
    {
        let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
        let key = std::env::var("MEILI_KEY").ok();
        let mut app = TestApp::spawn_configured(|c| {
            c.meili_url = Some(url.clone());
            c.meili_key = key.clone();
            c.meili_prefix = prefix.clone();
        })
        .await;
        // The suite removes the indexes it made.
        app.meili = Some(crate::helpers::MeiliCleanup { url, key, prefix });
        apps.push(app);
    }
    apps
}

const FILE: &str = "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }";

/// Files a complaint about `unit` with this title and body; returns (id, code).
async fn file(
    app: &TestApp,
    unit: &str,
    category: &str,
    title: &str,
    body: &str,
) -> (String, String) {
    let unit = app.unit_id(unit).await;
    let admin = app.script_token(Role::Admin, None).await;
    let d = app
        .ok(
            Some(&admin),
            FILE,
            json!({ "i": { "kind": "FEEDBACK", "category": category, "unit": unit, "title": title, "body": body,
                           "contact": { "name": "Lê Thị Cúc", "phone": "0903123456" } } }),
        )
        .await;
    (
        d["fileComplaint"]["id"].as_str().unwrap().to_string(),
        d["fileComplaint"]["code"].as_str().unwrap().to_string(),
    )
}

const SEARCH: &str = "query($f: ComplaintFilter, $s: ComplaintOrder, $n: Int, $a: String) {
  searchComplaints(filter: $f, orderBy: $s, first: $n, after: $a) {
    totalCount degraded engine tookMs droppedWords facets { name values { value count } }
    pageInfo { hasNextPage endCursor }
    edges { node { highlights { title body } complaint { id code title status contact { name phone } } } } } }";

/// The filter of a search: the words in `query`, `unit` as the assigned unit.
fn with_query(q: &str, mut filter: Value) -> Value {
    if filter.is_null() {
        filter = json!({});
    }
    let f = filter.as_object_mut().unwrap();
    if let Some(u) = f.remove("unit") {
        f.insert("assignedUnit".into(), u);
    }
    f.insert("query".into(), json!(q));
    filter
}

async fn search(app: &TestApp, token: Option<&str>, q: &str, filter: Value) -> Value {
    app.ok(
        token,
        SEARCH,
        json!({ "f": with_query(q, filter), "n": 50 }),
    )
    .await["searchComplaints"]
        .clone()
}

fn titles(r: &Value) -> Vec<String> {
    r["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["complaint"]["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

/// A small corpus in Sở Du lịch (a unit without synthetic demo data).
async fn corpus(app: &TestApp) -> String {
    file(
        app,
        "SDL",
        "LATE_PROCESSING",
        "Trễ hạn đăng ký kinh doanh lữ hành",
        "Hồ sơ đăng ký kinh doanh của công ty tôi trễ hạn mười ngày.",
    )
    .await;
    file(
        app,
        "SDL",
        "EXTRA_DOCUMENTS",
        "Yêu cầu thêm giấy tờ khi cấp thẻ hướng dẫn viên",
        "Cán bộ yêu cầu bản sao có chứng thực không có trong quy định.",
    )
    .await;
    file(
        app,
        "SDL",
        "OFFICIAL_CONDUCT",
        "Sở Tư pháp chậm trả kết quả",
        "Tôi chờ kết quả lý lịch tư pháp quá hạn.",
    )
    .await;
    file(
        app,
        "SDL",
        "GUIDANCE",
        "Hồ sơ tư pháp bị trả lại",
        "Không được hướng dẫn rõ thành phần hồ sơ tư pháp.",
    )
    .await;
    file(
        app,
        "SDL",
        "REGULATION",
        "Kiến nghị về thủ tục tại UBND quận",
        "Đề nghị Ủy ban nhân dân quận niêm yết rõ thủ tục cấp sổ đỏ.",
    )
    .await;
    file(
        app,
        "SDL",
        "FEES",
        "Thu phí cấp giấy chứng nhận quyền sử dụng đất",
        "Mức phí khác với niêm yết.",
    )
    .await;
    app.settle().await;
    app.unit_id("SDL").await
}

#[tokio::test]
async fn vietnamese_queries_match_with_or_without_marks_typos_and_spellings() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        let f = json!({ "unit": sdl });
        let nfd: String = "trễ hạn đăng ký".nfd().collect();
        for (q, expected) in [
            (
                "tre han dang ky kinh doanh",
                "Trễ hạn đăng ký kinh doanh lữ hành",
            ),
            (
                "Trễ hạn đăng ký kinh doanh",
                "Trễ hạn đăng ký kinh doanh lữ hành",
            ),
            (nfd.as_str(), "Trễ hạn đăng ký kinh doanh lữ hành"),
            (
                "TRE HAN dang ki kinh doanh",
                "Trễ hạn đăng ký kinh doanh lữ hành",
            ),
            // Typos in short syllables: a transposition in a three-letter word, a wrong letter.
            ("tre hna dang ky", "Trễ hạn đăng ký kinh doanh lữ hành"),
            (
                "huong dam vien",
                "Yêu cầu thêm giấy tờ khi cấp thẻ hướng dẫn viên",
            ),
        ] {
            let r = search(&app, Some(&admin), q, f.clone()).await;
            assert_eq!(r["degraded"], false);
            let t = titles(&r);
            assert!(t.first().is_some_and(|x| x == expected), "{q:?} → {t:?}");
        }
        // A word no complaint has is dropped, and the result says so; the hits are those
        // with every other word.
        let r = search(
            &app,
            Some(&admin),
            "tre han dang ky kinh doanh maybay",
            f.clone(),
        )
        .await;
        assert_eq!(r["droppedWords"], json!(["maybay"]), "{r}");
        assert_eq!(
            titles(&r).first().map(String::as_str),
            Some("Trễ hạn đăng ký kinh doanh lữ hành"),
            "{r}"
        );
        let r = search(&app, Some(&admin), "tre han dang ky kinh doanh", f.clone()).await;
        assert_eq!(r["droppedWords"], json!([]), "{r}");
        // A query of one word no complaint has finds nothing.
        let r = search(&app, Some(&admin), "maybay", f.clone()).await;
        assert_eq!(r["totalCount"], 0, "{r}");
        // Highlights keep the marks of the text.
        let r = search(&app, Some(&admin), "dang ky kinh doanh", f.clone()).await;
        let h = r["edges"][0]["node"]["highlights"]["title"]
            .as_str()
            .unwrap();
        assert!(
            h.contains("<em>đăng</em> <em>ký</em> <em>kinh</em> <em>doanh</em>"),
            "{h}"
        );
    }
}

#[tokio::test]
async fn abbreviations_are_synonyms_and_codes_match_exactly() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        let f = json!({ "unit": sdl });
        let by_abbr = titles(&search(&app, Some(&admin), "ubnd", f.clone()).await);
        assert!(
            by_abbr.contains(&"Kiến nghị về thủ tục tại UBND quận".to_string()),
            "{by_abbr:?}"
        );
        let by_long = titles(&search(&app, Some(&admin), "uy ban nhan dan", f.clone()).await);
        assert!(
            by_long.contains(&"Kiến nghị về thủ tục tại UBND quận".to_string()),
            "{by_long:?}"
        );
        let so_do = titles(&search(&app, Some(&admin), "so do", f.clone()).await);
        assert!(
            so_do.contains(&"Thu phí cấp giấy chứng nhận quyền sử dụng đất".to_string()),
            "{so_do:?}"
        );

        let (_, code) = file(&app, "SDL", "OTHER", "Phản ánh có mã", "Nội dung.").await;
        app.settle().await;
        let r = search(&app, Some(&admin), &code.to_lowercase(), json!({})).await;
        assert_eq!(r["totalCount"], 1, "{r}");
        assert_eq!(r["edges"][0]["node"]["complaint"]["code"], code.as_str());
        // One character off is another code: no typo tolerance on codes.
        let mut wrong: Vec<char> = code.chars().collect();
        let last = wrong.len() - 1;
        wrong[last] = if wrong[last] == '2' { '3' } else { '2' };
        let wrong: String = wrong.into_iter().collect();
        let r = search(&app, Some(&admin), &wrong, json!({})).await;
        assert_eq!(r["totalCount"], 0, "{wrong}: {r}");
    }
}

#[tokio::test]
async fn marks_typed_rank_exact_matches_first() {
    // Ranking tiers (typed marks, then title) are the embedded engine's.
    let app = TestApp::spawn().await;
    let sdl = corpus(&app).await;
    let admin = app.script_token(Role::Admin, None).await;
    let f = json!({ "unit": sdl });
    let with_marks = titles(&search(&app, Some(&admin), "Sở Tư pháp", f.clone()).await);
    assert_eq!(
        with_marks.first().map(String::as_str),
        Some("Sở Tư pháp chậm trả kết quả"),
        "{with_marks:?}"
    );
    let hoso = titles(&search(&app, Some(&admin), "hồ sơ tư pháp", f.clone()).await);
    assert_eq!(
        hoso.first().map(String::as_str),
        Some("Hồ sơ tư pháp bị trả lại"),
        "{hoso:?}"
    );
    let folded = titles(&search(&app, Some(&admin), "so tu phap", f.clone()).await);
    assert!(folded.len() >= 2, "{folded:?}");

    // Then every word in the title, newest first within a tier.
    file(
        &app,
        "SDL",
        "LATE_PROCESSING",
        "Chờ kết quả quá lâu",
        "Tôi nộp hồ sơ đăng ký kinh doanh từ tháng trước.",
    )
    .await;
    file(
        &app,
        "SDL",
        "OTHER",
        "Đăng ký kinh doanh bị từ chối",
        "Không rõ lý do.",
    )
    .await;
    app.settle().await;
    let ranked = titles(&search(&app, Some(&admin), "dang ky kinh doanh", f).await);
    assert_eq!(
        ranked,
        vec![
            "Đăng ký kinh doanh bị từ chối",
            "Trễ hạn đăng ký kinh doanh lữ hành",
            "Chờ kết quả quá lâu",
        ]
    );
}

#[tokio::test]
async fn filters_facets_sorting_and_pagination() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        let all = search(&app, Some(&admin), "", json!({ "unit": sdl })).await;
        assert_eq!(all["totalCount"], 6);
        let facet = |r: &Value, name: &str| -> Vec<(String, u64)> {
            r["facets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
                .map(|f| {
                    f["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| {
                            (
                                v["value"].as_str().unwrap().to_string(),
                                v["count"].as_u64().unwrap(),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(facet(&all, "status"), vec![("RECEIVED".to_string(), 6)]);
        assert_eq!(facet(&all, "category").len(), 6);
        assert_eq!(facet(&all, "unit"), vec![(sdl.clone(), 6)]);

        let fees = search(
            &app,
            Some(&admin),
            "",
            json!({ "unit": sdl, "category": "FEES" }),
        )
        .await;
        assert_eq!(
            titles(&fees),
            vec!["Thu phí cấp giấy chứng nhận quyền sử dụng đất"]
        );

        // Oldest first, two per page, walked to the end.
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let r = app
                .ok(Some(&admin), SEARCH, json!({ "f": { "assignedUnit": sdl }, "s": "RECEIVED_AT_ASC", "n": 2, "a": after }))
                .await["searchComplaints"]
                .clone();
            seen.extend(titles(&r));
            if r["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = r["pageInfo"]["endCursor"].as_str().map(str::to_string);
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen[0], "Trễ hạn đăng ký kinh doanh lữ hành");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 6);

        // Accepting one changes its status facet once the indexer catches up.
        let id = all["edges"][0]["node"]["complaint"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.ok(
            Some(&admin),
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
        app.settle().await;
        let accepted = search(
            &app,
            Some(&admin),
            "",
            json!({ "unit": sdl, "status": "ACCEPTED" }),
        )
        .await;
        assert_eq!(accepted["totalCount"], 1);
        // Several statuses at once, and the open ones: the same on every engine, and the
        // same as the list.
        let either = search(
            &app,
            Some(&admin),
            "",
            json!({ "unit": sdl, "status": ["ACCEPTED", "RECEIVED"] }),
        )
        .await;
        assert_eq!(either["totalCount"], 6, "{either}");
        let open = search(&app, Some(&admin), "", json!({ "unit": sdl, "open": true })).await;
        assert_eq!(open["totalCount"], 6);
        let settled = search(
            &app,
            Some(&admin),
            "",
            json!({ "unit": sdl, "open": false }),
        )
        .await;
        assert_eq!(settled["totalCount"], 0);
        let listed = app
            .ok(
                Some(&admin),
                "query($u: ID) { complaints(filter: {assignedUnit: $u, status: [ACCEPTED, RECEIVED]}) { totalCount } }",
                json!({ "u": sdl }),
            )
            .await;
        assert_eq!(listed["complaints"]["totalCount"], 6);
        let overdue = search(
            &app,
            Some(&admin),
            "",
            json!({ "unit": sdl, "overdue": true }),
        )
        .await;
        assert_eq!(
            overdue["totalCount"], 0,
            "nothing is past its ten working days yet"
        );
    }
}

#[tokio::test]
async fn results_are_scoped_and_the_public_never_sees_who_filed() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        // An official of another unit finds none of Sở Du lịch's complaints.
        let q5 = app.login("q5.canbo", "gopy-official-demo").await;
        let r = search(&app, Some(&q5), "tre han", json!({})).await;
        assert!(titles(&r).iter().all(|t| !t.contains("lữ hành")), "{r}");
        // Sở Du lịch's official finds them, with contacts.
        let own = app.script_token(Role::Official, Some("SDL")).await;
        let r = search(&app, Some(&own), "tre han dang ky kinh doanh", json!({})).await;
        assert_eq!(r["totalCount"], 1);
        assert_eq!(
            r["edges"][0]["node"]["complaint"]["contact"]["name"],
            "Lê Thị Cúc"
        );
        // The public finds only published answers, never the contact, never by the filer's name.
        let anon = search(&app, None, "tre han dang ky kinh doanh", json!({})).await;
        assert!(
            titles(&anon).iter().all(|t| !t.contains("lữ hành")),
            "{anon}"
        );
        let id = r["edges"][0]["node"]["complaint"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        app.ok(
            Some(&own),
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
        app.ok(
            Some(&own),
            "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đã xử lý\") { status } }",
            json!({ "id": id }),
        )
        .await;
        app.settle().await;
        let anon = search(&app, None, "tre han dang ky kinh doanh", json!({})).await;
        assert_eq!(anon["totalCount"], 1, "{anon}");
        assert!(anon["edges"][0]["node"]["complaint"]["contact"].is_null());
        let by_name = search(&app, Some(&admin), "Lê Thị Cúc", json!({ "unit": sdl })).await;
        // The filer's identity is not indexed: no complaint has every word of the name.
        assert!(
            by_name["totalCount"] == 0 || by_name["droppedWords"] != json!([]),
            "the filer's identity is not indexed: {by_name}"
        );
        let phone = search(&app, None, "0903123456", json!({})).await;
        assert_eq!(phone["totalCount"], 0);
    }
}

#[tokio::test]
async fn a_district_official_finds_its_wards_complaints_and_a_ward_official_its_own_only() {
    for app in engines().await {
        let admin = app.admin().await;
        let q5 = app.unit_id("P.CHOLON").await;
        app.ok(
            Some(&admin),
            "mutation($p: ID) { createUnit(input: {code: \"Q5-P2\", name: \"Phường 2, Quận 5\", block: DISTRICT, parent: $p}) { id } }",
            json!({ "p": q5 }),
        )
        .await;
        file(
            &app,
            "Q5-P2",
            "OTHER",
            "Vỉa hè phường lấn chiếm",
            "Phản ánh ở phường.",
        )
        .await;
        file(
            &app,
            "P.CHOLON",
            "OTHER",
            "Vỉa hè quận lấn chiếm",
            "Phản ánh ở quận.",
        )
        .await;
        file(
            &app,
            "SDL",
            "OTHER",
            "Vỉa hè du lịch lấn chiếm",
            "Phản ánh ở sở.",
        )
        .await;
        app.settle().await;
        let sorted = |r: &Value| {
            let mut t = titles(r);
            t.sort();
            t
        };
        // The district's official: the district's and its ward's (a scope of several units).
        let district = app.script_token(Role::Official, Some("P.CHOLON")).await;
        let r = search(&app, Some(&district), "via he lan chiem", json!({})).await;
        assert_eq!(
            sorted(&r),
            vec!["Vỉa hè phường lấn chiếm", "Vỉa hè quận lấn chiếm"],
            "{r}"
        );
        assert_eq!(r["totalCount"], 2);
        // The ward's official: the ward's only, even when asking for the district's unit.
        let ward = app.script_token(Role::Official, Some("Q5-P2")).await;
        let r = search(&app, Some(&ward), "via he lan chiem", json!({})).await;
        assert_eq!(sorted(&r), vec!["Vỉa hè phường lấn chiếm"], "{r}");
        let r = search(&app, Some(&ward), "via he", json!({ "unit": q5 })).await;
        assert_eq!(r["totalCount"], 0, "{r}");
    }
}

#[tokio::test]
async fn procedures_carry_their_satisfaction_by_component() {
    for app in engines().await {
        app.settle().await;
        let q5 = app.unit_id("P.CHOLON").await;
        let q = "query($f: ProcedureSearchFilter, $s: ProcedureOrder) {
            searchProcedures(filter: $f, orderBy: $s, first: 50) { totalCount degraded
              edges { node { procedure { code name } highlight onTimeShare satisfaction { components { component satisfiedShare answers } } } } } }";
        // The procedures of Quận 5 with the weakest OFFICIAL score, in one query.
        let r = app
            .ok(
                None,
                q,
                json!({ "f": { "unit": q5 }, "s": "OFFICIAL_SATISFACTION_ASC" }),
            )
            .await["searchProcedures"]
            .clone();
        let shares: Vec<f64> = r["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                e["node"]["satisfaction"]["components"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["component"] == "OFFICIAL")
                    .unwrap()["satisfiedShare"]
                    .as_f64()
                    .unwrap()
            })
            .collect();
        assert!(
            !shares.is_empty(),
            "synthetic ratings give Quận 5's procedures OFFICIAL scores: {r}"
        );
        assert!(
            shares.windows(2).all(|w| w[0] <= w[1] + 1e-9),
            "weakest first: {shares:?}"
        );
        let floor = shares[shares.len() / 2];
        let r = app
            .ok(None, q, json!({ "f": { "unit": q5, "minSatisfaction": { "component": "OFFICIAL", "share": floor } } }))
            .await["searchProcedures"]
            .clone();
        for e in r["edges"].as_array().unwrap() {
            let s = e["node"]["satisfaction"]["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["component"] == "OFFICIAL")
                .unwrap();
            assert!(s["satisfiedShare"].as_f64().unwrap() >= floor - 1e-9, "{e}");
        }
        // Text search of the catalog, without marks and with the other spelling of ký.
        let r = app
            .ok(None, q, json!({ "f": { "query": "dang ki khai sinh" } }))
            .await["searchProcedures"]
            .clone();
        assert_eq!(
            r["edges"][0]["node"]["procedure"]["code"], "1.001193",
            "{r}"
        );
        assert_eq!(
            r["edges"][0]["node"]["highlight"],
            "<em>Đăng</em> <em>ký</em> <em>khai</em> <em>sinh</em>"
        );
        let b = app.gql(None, q, json!({ "s": "SATISFACTION" })).await;
        assert_eq!(error_code(&b), "GRAPHQL_VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn an_engine_outage_keeps_every_write_and_the_index_converges_after() {
    let app = TestApp::spawn().await;
    let sdl = corpus(&app).await;
    let admin = app.script_token(Role::Admin, None).await;
    app.state.search.set_out_of_service(true);

    // Writes go on: filing, and a state change.
    let (id, _) = file(
        &app,
        "SDL",
        "LATE_PROCESSING",
        "Phản ánh trong lúc sự cố",
        "Trễ hạn khi máy tìm kiếm ngừng.",
    )
    .await;
    app.ok(
        Some(&admin),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert!(
        portal::search::outbox::pending(&app.state.db)
            .await
            .unwrap()
            >= 2
    );

    // Search answers from the database, marked degraded.
    let r = search(
        &app,
        Some(&admin),
        "trong luc su co",
        json!({ "unit": sdl }),
    )
    .await;
    assert_eq!(r["degraded"], true);
    assert_eq!(r["engine"], "database");
    assert_eq!(titles(&r), vec!["Phản ánh trong lúc sự cố"]);
    let r = search(&app, Some(&admin), "", json!({ "unit": sdl })).await;
    assert_eq!(r["totalCount"], 7);

    // Back in service: the outbox drains and the index equals the database.
    app.state.search.set_out_of_service(false);
    app.state.indexer_wake.wake();
    app.settle().await;
    let r = search(
        &app,
        Some(&admin),
        "trong luc su co",
        json!({ "unit": sdl }),
    )
    .await;
    assert_eq!(r["degraded"], false);
    assert_eq!(titles(&r), vec!["Phản ánh trong lúc sự cố"]);
    let all = search(&app, Some(&admin), "", json!({})).await;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let in_db = entity::complaint::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        all["totalCount"].as_u64().unwrap(),
        in_db,
        "nothing missing, nothing twice"
    );
    let accepted = search(
        &app,
        Some(&admin),
        "",
        json!({ "unit": sdl, "status": "ACCEPTED" }),
    )
    .await;
    assert_eq!(
        accepted["totalCount"], 1,
        "the change made during the outage arrived"
    );
}

/// Every `<` of a highlight must open or close an `<em>` marker: markup typed by a filer arrives
/// as escaped text.
fn assert_only_em_tags(h: &str) {
    let rest = h.replace("<em>", "").replace("</em>", "");
    assert!(
        !rest.contains('<') && !rest.contains('>'),
        "a tag other than <em> survived in {h:?}"
    );
}

#[tokio::test]
async fn highlights_are_escaped_text_with_em_markers_on_every_engine() {
    for app in engines().await {
        let (id, _) = file(
            &app,
            "P.CHOLON",
            "OTHER",
            "<img src=x onerror=alert(1)> Giấy phép xây dựng trễ hẹn",
            "Nội dung <script>alert('giấy phép')</script> & <b>xây dựng</b> \"trễ\"",
        )
        .await;
        app.settle().await;
        let admin = app.script_token(Role::Admin, None).await;
        let r = search(&app, Some(&admin), "giấy phép img script", json!({})).await;
        let hit = r["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["complaint"]["id"] == id.as_str())
            .unwrap_or_else(|| panic!("the complaint with markup is not found: {r}"))
            .clone();
        let title = hit["node"]["highlights"]["title"].as_str().unwrap();
        let body = hit["node"]["highlights"]["body"].as_str().unwrap();
        assert_only_em_tags(title);
        assert_only_em_tags(body);
        assert!(
            title.starts_with("&lt;<em>img</em> src=x onerror=alert(1)&gt;"),
            "{title}"
        );
        assert!(title.contains("<em>Giấy</em> <em>phép</em>"), "{title}");
        assert!(
            body.contains("&lt;<em>script</em>&gt;alert(&#39;<em>giấy</em> <em>phép</em>&#39;)"),
            "{body}"
        );
        assert!(
            body.contains("&amp; &lt;b&gt;xây dựng&lt;/b&gt; &quot;trễ&quot;"),
            "{body}"
        );
        // The stored text itself is unchanged: escaping is the highlight's job.
        assert!(
            hit["node"]["complaint"]["title"]
                .as_str()
                .unwrap()
                .starts_with("<img src=x")
        );
    }
}

const DIALOGUES: &str = "query($f: DialogueFilter) { dialogues(filter: $f, first: 50) { totalCount edges { node { id title } } } }";

async fn dialogue_ids(app: &TestApp, token: Option<&str>, filter: Value) -> Vec<String> {
    app.ok(token, DIALOGUES, json!({ "f": filter })).await["dialogues"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn dialogue_issues_have_a_filter_and_facet_and_dialogues_are_found_by_title_and_topic() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        let biz = app.login("congty.demo", "gopy-business-demo").await;
        let schedule = async |public: bool, kind: &str, title: &str, topic: &str| -> String {
            app.ok(
                Some(&admin),
                "mutation($i: ScheduleDialogueInput!) { scheduleDialogue(input: $i) { id } }",
                json!({ "i": { "kind": kind, "title": title, "topic": topic, "hostUnit": sdl, "public": public,
                               "startsAt": (portal::clock::now() + chrono::Duration::hours(1)).to_rfc3339(),
                               "online": true, "businesses": [ { "taxCode": "0100109106" } ] } }),
            )
            .await["scheduleDialogue"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let public = schedule(
            true,
            "THEMATIC",
            "Đối thoại chuyên đề lữ hành quốc tế",
            "Giấy phép kinh doanh dịch vụ lữ hành, thẻ hướng dẫn viên",
        )
        .await;
        let private = schedule(
            false,
            "PERIODIC",
            "Đối thoại định kỳ quý IV",
            "Đăng ký cơ sở lưu trú du lịch",
        )
        .await;
        for title in [
            "Cấp giấy phép lữ hành quốc tế chậm",
            "Thẻ hướng dẫn viên cấp lại",
        ] {
            app.ok(
                Some(&admin),
                "mutation($d: ID!, $i: RaiseDialogueIssueInput!) { raiseDialogueIssue(dialogue: $d, input: $i) { id } }",
                json!({ "d": public, "i": { "business": "0100109106", "unit": sdl, "title": title,
                        "body": "Doanh nghiệp nêu tại buổi đối thoại.",
                        "contact": { "name": "Phạm Thị Năm", "phone": "0903000111" } } }),
            )
            .await;
        }
        let earlier = search(
            &app,
            Some(&admin),
            "the huong dan vien",
            json!({ "unit": sdl }),
        )
        .await;
        let earlier_id = earlier["edges"][0]["node"]["complaint"]["id"].clone();
        assert_eq!(
            earlier["edges"][0]["node"]["complaint"]["title"],
            "Yêu cầu thêm giấy tờ khi cấp thẻ hướng dẫn viên"
        );
        app.ok(
            Some(&admin),
            "mutation($d: ID!, $c: ID!) { linkComplaintToDialogue(dialogue: $d, complaint: $c) { id } }",
            json!({ "d": private, "c": earlier_id }),
        )
        .await;
        app.settle().await;

        let r = search(&app, Some(&admin), "", json!({ "dialogue": public })).await;
        assert_eq!(r["totalCount"], 2, "{r}");
        let r = search(&app, Some(&admin), "lu hanh", json!({ "dialogue": public })).await;
        assert_eq!(titles(&r), vec!["Cấp giấy phép lữ hành quốc tế chậm"]);
        let r = search(&app, Some(&admin), "", json!({ "dialogue": private })).await;
        assert_eq!(
            titles(&r),
            vec!["Yêu cầu thêm giấy tờ khi cấp thẻ hướng dẫn viên"]
        );
        let all = search(&app, Some(&admin), "", json!({ "unit": sdl })).await;
        let facet = all["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "dialogue")
            .cloned()
            .unwrap_or_else(|| panic!("no dialogue facet: {all}"));
        let mut values: Vec<(String, u64)> = facet["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["value"].as_str().unwrap().to_string(),
                    v["count"].as_u64().unwrap(),
                )
            })
            .collect();
        values.sort();
        let mut expected = vec![(public.clone(), 2), (private.clone(), 1)];
        expected.sort();
        assert_eq!(values, expected);

        // Dialogues by their words, with or without marks, among those the caller may see.
        for q in ["lữ hành quốc tế", "lu hanh quoc te", "huong dan vien"] {
            assert_eq!(
                dialogue_ids(&app, None, json!({ "query": q })).await,
                vec![public.clone()],
                "{q}"
            );
        }
        assert!(
            dialogue_ids(&app, None, json!({ "query": "luu tru" }))
                .await
                .is_empty(),
            "a private dialogue is not found by the public"
        );
        assert_eq!(
            dialogue_ids(&app, Some(&biz), json!({ "query": "luu tru" })).await,
            vec![private.clone()],
            "its participants find it"
        );
        assert_eq!(
            dialogue_ids(
                &app,
                Some(&admin),
                json!({ "query": "doi thoai", "kind": "PERIODIC", "hostUnit": sdl })
            )
            .await,
            vec![private.clone()]
        );

        // Once published, the linked complaint is found by everyone, but a private dialogue is
        // not named in the public's facet.
        for m in [
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đã rà soát và hướng dẫn.\") { status } }",
        ] {
            app.ok(Some(&admin), m, json!({ "id": earlier_id })).await;
        }
        app.settle().await;
        let facet_of = |r: &Value| -> Vec<String> {
            r["facets"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == "dialogue")
                .map(|f| {
                    f["values"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v["value"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let anon = search(&app, None, "the huong dan vien", json!({ "unit": sdl })).await;
        assert_eq!(anon["totalCount"], 1, "{anon}");
        assert!(facet_of(&anon).is_empty(), "{anon}");
        let staff = search(
            &app,
            Some(&admin),
            "the huong dan vien",
            json!({ "unit": sdl }),
        )
        .await;
        assert!(facet_of(&staff).contains(&private), "{staff}");

        // With the engine out of service, the database answers the same.
        app.state.search.set_out_of_service(true);
        assert_eq!(
            dialogue_ids(&app, None, json!({ "query": "lu hanh quoc te" })).await,
            vec![public.clone()]
        );
        let r = search(&app, Some(&admin), "", json!({ "dialogue": public })).await;
        assert_eq!(r["degraded"], true);
        assert_eq!(r["totalCount"], 2);
        app.state.search.set_out_of_service(false);
    }
}

#[tokio::test]
async fn a_second_server_on_one_embedded_index_is_refused_with_a_message_naming_the_folder() {
    let app = TestApp::spawn().await;
    let err = portal::app::Application::build(crate::helpers::test_config(&app.db), false)
        .await
        .err()
        .expect("a second server on the same data folder must not start");
    let msg = format!("{err:#}");
    let folder = app.db.data_dir().join("search");
    assert!(
        msg.contains(&folder.display().to_string()) && msg.contains("MEILI_URL"),
        "{msg}"
    );
    assert!(
        err.chain().any(|e| e
            .downcast_ref::<portal::search::embedded::IndexBusy>()
            .is_some()),
        "{msg}"
    );
    // The first server goes on, its index untouched.
    app.settle().await;
    let r = app
        .ok(
            None,
            "{ searchUnits(filter: {query: \"tu phap\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(r["searchUnits"]["totalCount"].as_u64().unwrap() >= 1, "{r}");
}

#[tokio::test]
async fn a_query_naming_a_unit_finds_its_complaints_on_every_engine() {
    for app in engines().await {
        corpus(&app).await;
        let admin = app.script_token(Role::Admin, None).await;
        // No complaint of Sở Du lịch repeats its name: the unit's name is in the document.
        // The unit's complaint comes in the first results; complaints with only some of the
        // words (of other units too) follow as partial matches.
        for q in [
            "Sở Du lịch trễ hạn",
            "so du lich tre han",
            "du lich tre han",
        ] {
            let r = search(&app, Some(&admin), q, json!({})).await;
            let got = titles(&r);
            assert!(
                got.iter()
                    .take(3)
                    .any(|t| t == "Trễ hạn đăng ký kinh doanh lữ hành"),
                "{q} on {}: {got:?}",
                r["engine"]
            );
        }
        // The name never outranks the text: the two titles with the words come first (the
        // unit's own name, Sở Du lịch, also has "Sở"); on the embedded engine the marks as
        // typed rank the text's own words first, on Meilisearch the newer title (README,
        // "What differs between the two engines").
        let sdl = app.unit_id("SDL").await;
        let r = search(&app, Some(&admin), "Sở Tư pháp", json!({ "unit": sdl })).await;
        let got = titles(&r);
        let mut first_two = got.iter().take(2).cloned().collect::<Vec<_>>();
        if r["engine"] == "embedded" {
            assert_eq!(first_two[0], "Sở Tư pháp chậm trả kết quả", "{got:?}");
        } else {
            assert_eq!(first_two[0], "Hồ sơ tư pháp bị trả lại", "{got:?}");
        }
        first_two.sort();
        assert_eq!(
            first_two,
            ["Hồ sơ tư pháp bị trả lại", "Sở Tư pháp chậm trả kết quả"],
            "{got:?}"
        );
    }
}

#[tokio::test]
async fn within_the_title_tier_the_newest_ranks_first_wherever_the_words_stand() {
    for app in engines().await {
        let admin = app.script_token(Role::Admin, None).await;
        // The older complaint opens its title with the words, the newer one closes it with
        // them: where the words stand in the title does not rank (Meilisearch's `attribute`
        // rule would put the older first; the adapter ranks by `attributeRank` only).
        let (older, _) = file(
            &app,
            "SDL",
            "LATE_PROCESSING",
            "Phiếu hẹn ghi nhầm ngày trả kết quả thẻ hướng dẫn viên",
            "Nội dung thứ nhất.",
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let (newer, _) = file(
            &app,
            "SDL",
            "LATE_PROCESSING",
            "Đề nghị kiểm tra lại thẻ hướng dẫn viên vì phiếu hẹn ghi nhầm",
            "Nội dung thứ hai.",
        )
        .await;
        app.settle().await;
        let r = search(&app, Some(&admin), "phieu hen ghi nham", json!({})).await;
        let ids: Vec<&str> = r["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["complaint"]["id"].as_str().unwrap())
            .collect();
        let at = |id: &str| ids.iter().position(|x| *x == id);
        let (o, n) = (at(&older), at(&newer));
        assert!(
            matches!((n, o), (Some(n), Some(o)) if n < o),
            "{} ranks the newer title first: {r}",
            r["engine"]
        );
    }
}

/// The Meilisearch server the suite runs against, when `MEILI_URL` is set.
fn meili() -> Option<(String, Option<String>)> {
    let url = std::env::var("MEILI_URL").ok().filter(|u| !u.is_empty())?;
    Some((url, std::env::var("MEILI_KEY").ok()))
}

#[tokio::test]
async fn meilisearch_indexes_carry_the_settings_of_the_adapter() {
    let Some((url, key)) = meili() else {
        return;
    };
    let app = engines().await.pop().expect("the Meilisearch server");
    let prefix = app.meili.as_ref().expect("its prefix").prefix.clone();
    let http = reqwest::Client::new();
    let get = |index: &str| {
        let mut r = http.get(format!(
            "{}/indexes/{prefix}{index}/settings",
            url.trim_end_matches('/')
        ));
        if let Some(k) = &key {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    let complaints: Value = get("complaints").await.unwrap().json().await.unwrap();
    // Whole words only, as the embedded engine matches them; no facet search.
    assert_eq!(complaints["prefixSearch"], "disabled", "{complaints}");
    assert_eq!(complaints["facetSearch"], false, "{complaints}");
    assert_eq!(
        complaints["proximityPrecision"], "byAttribute",
        "{complaints}"
    );
    assert_eq!(
        complaints["rankingRules"],
        json!(["sort", "words", "typo", "attributeRank", "received_at:desc"])
    );
    // The folded text is searched; the text as typed is not sent at all.
    assert_eq!(
        complaints["searchableAttributes"],
        json!(["title_fold", "fold", "codes"])
    );
    assert_eq!(
        complaints["typoTolerance"]["minWordSizeForTypos"]["oneTypo"],
        3
    );
    let procedures: Value = get("procedures").await.unwrap().json().await.unwrap();
    assert_eq!(procedures["prefixSearch"], "disabled", "{procedures}");
    assert_eq!(procedures["proximityPrecision"], "byWord", "{procedures}");
}

/// A complaint document of the rebuild test.
fn doc(i: usize) -> portal::search::Doc {
    portal::search::Doc::Complaint(portal::search::ComplaintDoc {
        id: format!("00000000-0000-7000-8000-{i:012}"),
        code: format!("PA-TEST-{i:05}"),
        title: format!("Phản ánh thử số {i}"),
        body: "Hồ sơ gửi lại nhiều lần.".into(),
        unit_id: "u".into(),
        assigned_unit_id: "u".into(),
        procedure_id: None,
        procedure_code: None,
        dossier_code: None,
        kind: "FEEDBACK".into(),
        category: "OTHER".into(),
        status: "RECEIVED".into(),
        received_at: 1_700_000_000_000 + i as i64,
        answer_due_at: 1_800_000_000_000,
        open: true,
        published: false,
        dialogue_ids: vec![],
        unit_names: vec!["Sở Du lịch".into()],
    })
}

#[tokio::test]
async fn a_meilisearch_rebuild_sent_in_many_tasks_is_whole_and_an_aborted_one_changes_nothing() {
    use portal::search::{ComplaintQuery, IndexKind, SearchIndex};
    let Some((url, key)) = meili() else {
        return;
    };
    let prefix = format!("t{}_", uuid::Uuid::new_v4().simple());
    let _cleanup = crate::helpers::MeiliCleanup {
        url: url.clone(),
        key: key.clone(),
        prefix: prefix.clone(),
    };
    // Seven documents a task: 60 documents are nine tasks, at most four waiting at once.
    let m =
        portal::search::meili::MeiliIndex::new(&url, key.as_deref(), &prefix, Default::default())
            .unwrap()
            .with_chunk(7);
    m.prepare().await.unwrap();
    let rebuild = |batches: Vec<Result<Vec<portal::search::Doc>, String>>| {
        let (tx, rx) = tokio::sync::mpsc::channel(2);
        tokio::spawn(async move {
            for b in batches {
                let _ = tx.send(b).await;
            }
        });
        rx
    };
    let all: Vec<_> = (0..60).map(doc).collect();
    let batches = all.chunks(20).map(|c| Ok(c.to_vec())).collect();
    m.replace_all(IndexKind::Complaints, rebuild(batches))
        .await
        .unwrap();
    let everything = ComplaintQuery {
        text: "phan anh thu".into(),
        limit: 100,
        ..Default::default()
    };
    let hits = m.search_complaints(&everything).await.unwrap();
    assert_eq!(hits.total, 60);
    let mut ids = hits.ids.clone();
    ids.sort();
    let expected: Vec<String> = all.iter().map(|d| d.id().to_string()).collect();
    assert_eq!(ids, expected);
    // Newest first: the last document sent ranks first.
    assert_eq!(hits.ids[0], expected[59]);

    // A rebuild that fails half-way leaves the index as it was.
    let batches = vec![
        Ok((100..130).map(doc).collect()),
        Err("the database went away".to_string()),
    ];
    let err = m
        .replace_all(IndexKind::Complaints, rebuild(batches))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("went away"), "{err}");
    let after = m.search_complaints(&everything).await.unwrap();
    assert_eq!(after.total, 60);
    let mut again = after.ids.clone();
    again.sort();
    assert_eq!(again, expected);

    // Upserts in many tasks land whole too.
    m.upsert((60..75).map(doc).collect()).await.unwrap();
    assert_eq!(m.search_complaints(&everything).await.unwrap().total, 75);
}

#[tokio::test]
async fn a_renamed_unit_is_found_by_its_new_name_at_once_on_every_engine() {
    for app in engines().await {
        let sdl = corpus(&app).await;
        let admin = app.admin().await;
        let count = |r: &Value| r["totalCount"].as_u64().unwrap();
        let q = "du lich cong nghe";
        let before = search(&app, Some(&admin), q, json!({ "unit": sdl })).await;
        // Before: partial matches at best (some word dropped), or fewer.
        assert!(
            count(&before) < 6 || before["droppedWords"] != json!([]),
            "{before}"
        );
        // A renaming that applies today (no date: the latest version is corrected).
        app.ok(
            Some(&admin),
            "mutation($id: ID!, $n: String) { updateUnit(id: $id, input: {name: $n}) { name } }",
            json!({ "id": sdl, "n": "Sở Du lịch và Công nghệ" }),
        )
        .await;
        app.settle().await;
        // Every complaint of the unit is found by the new name.
        let after = search(&app, Some(&admin), q, json!({ "unit": sdl })).await;
        assert_eq!(count(&after), 6, "{after}");
        assert_eq!(after["droppedWords"], json!([]), "{after}");
        let everywhere = titles(&search(&app, Some(&admin), q, json!({})).await);
        for t in [
            "Trễ hạn đăng ký kinh doanh lữ hành",
            "Thu phí cấp giấy chứng nhận quyền sử dụng đất",
        ] {
            assert!(everywhere.contains(&t.to_string()), "{everywhere:?}");
        }
    }
}

#[tokio::test]
async fn a_meilisearch_rebuild_queues_again_what_changed_while_it_read() {
    if meili().is_none() {
        return;
    }
    let app = engines().await.pop().expect("the Meilisearch server");
    let (id, code) = file(
        &app,
        "SDL",
        "LATE_PROCESSING",
        "Phản ánh đổi trạng thái khi dựng lại chỉ mục",
        "Nội dung.",
    )
    .await;
    app.settle().await;
    // The rebuild runs as `portal reindex` does, with an engine of its own.
    let engine = portal::search::open(&app.state.config, &app.state.db)
        .await
        .unwrap();
    // A change the live index takes while a rebuild reads would be lost with the swap: the
    // rebuild queues again what changed since shortly before it started.
    let admin = app.admin().await;
    let d = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(d["acceptComplaint"]["status"], "ACCEPTED");
    app.settle().await;
    // The server's indexer is held off, so that what the rebuild queues stays to be seen.
    app.state.search.set_out_of_service(true);
    let n = portal::search::outbox::reindex(
        &app.state.db,
        &engine,
        portal::search::IndexKind::Complaints,
        |_| {},
    )
    .await
    .unwrap();
    assert!(n >= 1);
    let queued: Vec<String> = <entity::search_outbox::Entity as sea_orm::EntityTrait>::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.doc_id)
        .collect();
    assert!(queued.contains(&id), "{queued:?}");
    app.state.search.set_out_of_service(false);
    app.state.indexer_wake.wake();
    app.settle().await;
    let r = search(&app, Some(&admin), &code, json!({ "status": "ACCEPTED" })).await;
    assert_eq!(r["totalCount"], 1, "{r}");
}

#[tokio::test]
async fn a_search_engine_that_never_answers_leaves_searches_degraded_and_writes_going() {
    // A listener that takes connections and never answers: a hung Meilisearch.
    let hung = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = hung.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let started = std::time::Instant::now();
    let app = TestApp::spawn_configured(|c| {
        c.meili_url = Some(format!("http://{addr}"));
        c.meili_prefix = "hung_".into();
    })
    .await;
    // Start-up gives up on the settings after one call's time limit.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(40),
        "{:?}",
        started.elapsed()
    );
    file(
        &app,
        "SDL",
        "LATE_PROCESSING",
        "Phản ánh khi máy tìm kiếm treo",
        "Nội dung.",
    )
    .await;
    let admin = app.admin().await;
    let asked = std::time::Instant::now();
    let r = search(&app, Some(&admin), "may tim kiem treo", json!({})).await;
    assert_eq!(r["degraded"], true, "{r}");
    assert_eq!(r["engine"], "database", "{r}");
    assert_eq!(r["totalCount"], 1, "{r}");
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(15),
        "{:?}",
        asked.elapsed()
    );
}

/// How officials and citizens write: the complaints of the dictionary's examples, in Sở Du lịch.
const EVERYDAY: &[(&str, &str, &str)] = &[
    (
        "LATE_PROCESSING",
        "Cấp đổi giấy phép lái xe quá lâu",
        "Tôi nộp hồ sơ đổi giấy phép lái xe hạng B2 đã hơn hai mươi ngày.",
    ),
    (
        "LATE_PROCESSING",
        "Chậm cấp giấy phép xây dựng nhà ở riêng lẻ",
        "Hồ sơ xin giấy phép xây dựng nộp tháng trước chưa có kết quả.",
    ),
    (
        "EXTRA_DOCUMENTS",
        "Đăng ký doanh nghiệp bị yêu cầu bổ sung nhiều lần",
        "Công ty mới thành lập, hồ sơ đăng ký doanh nghiệp bị trả về ba lần.",
    ),
    (
        "FEES",
        "Thuế của hộ kinh doanh bị tính sai",
        "Hộ kinh doanh nhà tôi kê khai thuế theo quy định mới nhưng bị tính sai doanh thu.",
    ),
    (
        "LATE_PROCESSING",
        "Chứng chỉ hành nghề dược cấp chậm",
        "Tôi nộp hồ sơ xin chứng chỉ hành nghề dược từ lâu mà chưa được cấp.",
    ),
    (
        "LATE_PROCESSING",
        "Thông quan hàng hóa tại cảng Cát Lái",
        "Tờ khai hải quan luồng vàng chờ kiểm tra ba ngày.",
    ),
    (
        "LATE_PROCESSING",
        "Cấp giấy chứng nhận quyền sử dụng đất lần đầu",
        "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất của gia đình tôi chưa xong.",
    ),
    (
        "GUIDANCE",
        "Xin giấy xác nhận tình trạng hôn nhân phải đi lại nhiều lần",
        "Tôi cần giấy xác nhận tình trạng hôn nhân để làm thủ tục kết hôn.",
    ),
    (
        "OTHER",
        "Đường Nguyễn Hữu Cảnh ngập sâu sau mưa",
        "Mỗi lần mưa lớn đường ngập sâu, xe chết máy giữa đường.",
    ),
    (
        "OFFICIAL_CONDUCT",
        "Cán bộ đòi tiền bồi dưỡng để làm nhanh",
        "Khi nộp hồ sơ, cán bộ đòi tiền bồi dưỡng để làm nhanh cho tôi.",
    ),
    (
        "OFFICIAL_CONDUCT",
        "Thái độ hách dịch tại bộ phận tiếp nhận",
        "Cán bộ quát nạt người dân đến nộp hồ sơ.",
    ),
    (
        "OTHER",
        "Hồ sơ bị thất lạc sau hai tuần",
        "Bộ phận tiếp nhận báo không tìm thấy hồ sơ của tôi.",
    ),
    (
        "OTHER",
        "Trụ sở UBND Quận 1 thiếu chỗ ngồi chờ",
        "Người dân phải đứng chờ lâu.",
    ),
    (
        "REGULATION",
        "Niêm yết thủ tục tại Phường Bến Thành chưa rõ",
        "Bảng niêm yết thiếu thủ tục chứng thực.",
    ),
    (
        "LATE_PROCESSING",
        "Thủ tục đất đai tại Thành phố Thủ Đức kéo dài",
        "Hồ sơ đất đai nộp từ quý trước.",
    ),
    (
        "GUIDANCE",
        "Cảm ơn cán bộ hướng dẫn tận tình",
        "Cán bộ giải thích rõ thành phần hồ sơ.",
    ),
];

/// Queries as a new user types them, each with the title it must find: first where the query
/// names the thing precisely (an abbreviation, an everyday name, a place), else in the first
/// five.
const NAMED: &[(&str, usize, bool)] = &[
    ("GPLX", 0, true),
    ("gplx", 0, true),
    ("bằng lái xe", 0, true),
    ("GPXD", 1, true),
    ("ĐKDN", 2, true),
    ("dkdn", 2, true),
    ("HKD", 3, true),
    ("thuế khoán hộ kinh doanh", 3, false),
    ("CCHN", 4, true),
    ("HQ", 5, true),
    ("sổ hồng", 6, true),
    ("so hong", 6, true),
    ("xác nhận độc thân", 7, true),
    ("ngập nước", 8, false),
    ("nhũng nhiễu", 9, false),
    ("hối lộ", 9, false),
    ("thái độ hách dịch", 10, false),
    ("mất hồ sơ", 11, false),
    ("UBND Q.1", 12, true),
    ("Q1", 12, true),
    ("Q.1", 12, true),
    ("quận 1", 12, true),
    ("Quận Một", 12, true),
    ("P. Bến Thành", 13, true),
    ("TP Thủ Đức", 14, true),
];

#[tokio::test]
async fn the_administrations_words_find_the_intended_complaint_on_every_engine() {
    for app in engines().await {
        for (cat, title, body) in EVERYDAY {
            file(&app, "SDL", cat, title, body).await;
        }
        app.settle().await;
        let sdl = app.unit_id("SDL").await;
        let admin = app.script_token(Role::Admin, None).await;
        let engine = engine_name(&app);
        let mut missed = Vec::new();
        for (q, i, first) in NAMED {
            let r = search(&app, Some(&admin), q, json!({ "unit": sdl })).await;
            let got = titles(&r);
            let want = EVERYDAY[*i].1;
            let at = got.iter().position(|t| t == want);
            let ok = if *first {
                at == Some(0)
            } else {
                at.is_some_and(|p| p < 5)
            };
            if !ok {
                missed.push(format!("{q:?} → {want:?} at {at:?} of {got:?}"));
            }
        }
        assert!(missed.is_empty(), "{engine}: {}", missed.join("\n"));
        // What an abbreviation found is highlighted.
        let r = search(&app, Some(&admin), "GPLX", json!({ "unit": sdl })).await;
        let h = r["edges"][0]["node"]["highlights"]["title"]
            .as_str()
            .unwrap_or_default();
        assert!(
            h.contains("<em>giấy</em> <em>phép</em> <em>lái</em> <em>xe</em>"),
            "{engine}: {h}"
        );
        // "ngập nước": the flooded road has no "nước"; the result says which word was dropped.
        let r = search(&app, Some(&admin), "ngập nước", json!({ "unit": sdl })).await;
        assert_eq!(r["droppedWords"], json!(["nước"]), "{engine}: {r}");
        // The first set of queries still finds every complaint with every word.
        let r = search(
            &app,
            Some(&admin),
            "giấy phép lái xe",
            json!({ "unit": sdl }),
        )
        .await;
        assert_eq!(
            titles(&r).first().map(String::as_str),
            Some(EVERYDAY[0].1),
            "{engine}"
        );
        assert_eq!(r["droppedWords"], json!([]), "{engine}: {r}");
    }
}

const CONCERNS: &str = "query($f: ComplaintFilter) {
  searchComplaints(filter: $f, first: 50) {
    totalCount facets { name values { value count } }
    edges { node { complaint { title concerns } } } } }";

#[tokio::test]
async fn concerns_flag_complaints_for_staff_and_stay_hidden_from_the_public() {
    for app in engines().await {
        for (cat, title, body) in EVERYDAY {
            file(&app, "SDL", cat, title, body).await;
        }
        // The same words without marks, in NFD, and in everyday spelling.
        file(
            &app,
            "SDL",
            "OTHER",
            "Can bo doi tien boi duong",
            "Doi tien boi duong de lam nhanh ho so.",
        )
        .await;
        let nfd: String = "Cán bộ gợi ý đưa phong bì để hồ sơ đi nhanh"
            .nfd()
            .collect();
        file(
            &app,
            "SDL",
            "OTHER",
            &nfd,
            "Phải đưa phong bì mới được nhận hồ sơ.",
        )
        .await;
        app.settle().await;
        let sdl = app.unit_id("SDL").await;
        let admin = app.script_token(Role::Admin, None).await;
        let engine = engine_name(&app);
        let bribery = app
            .ok(
                Some(&admin),
                CONCERNS,
                json!({ "f": { "assignedUnit": sdl, "concern": "BRIBERY" } }),
            )
            .await;
        let mut got = titles_of(&bribery["searchComplaints"]);
        got.sort();
        let mut want = vec![
            "Can bo doi tien boi duong".to_string(),
            "Cán bộ gợi ý đưa phong bì để hồ sơ đi nhanh".to_string(),
            "Cán bộ đòi tiền bồi dưỡng để làm nhanh".to_string(),
        ];
        want.sort();
        assert_eq!(got, want, "{engine}: {bribery}");
        for e in bribery["searchComplaints"]["edges"].as_array().unwrap() {
            let c = e["node"]["complaint"]["concerns"].as_array().unwrap();
            assert!(c.contains(&json!("BRIBERY")), "{engine}: {e}");
        }
        // A thank-you carries no concern; the facet counts them.
        let all = app
            .ok(
                Some(&admin),
                CONCERNS,
                json!({ "f": { "assignedUnit": sdl } }),
            )
            .await;
        let thanks = all["searchComplaints"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["complaint"]["title"] == "Cảm ơn cán bộ hướng dẫn tận tình")
            .unwrap();
        assert_eq!(
            thanks["node"]["complaint"]["concerns"],
            json!([]),
            "{engine}"
        );
        let facet = all["searchComplaints"]["facets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "concern")
            .cloned()
            .unwrap_or_default();
        let count = |v: &str| {
            facet["values"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["value"] == v)
                .map_or(0, |x| x["count"].as_u64().unwrap())
        };
        assert_eq!(count("BRIBERY"), 3, "{engine}: {facet}");
        assert!(count("LOST_FILE") >= 1, "{engine}: {facet}");
        // The list filters alike, from the database.
        let listed = app
            .ok(
                Some(&admin),
                "query($f: ComplaintFilter) { complaints(filter: $f, first: 50) { totalCount } }",
                json!({ "f": { "assignedUnit": sdl, "concern": "BRIBERY" } }),
            )
            .await;
        assert_eq!(listed["complaints"]["totalCount"], 3, "{engine}: {listed}");

        // The public: no flag, no facet, no filter.
        let refused = app
            .gql(None, CONCERNS, json!({ "f": { "concern": "BRIBERY" } }))
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
        let public = app.ok(None, CONCERNS, json!({})).await;
        assert!(
            public["searchComplaints"]["facets"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["name"] != "concern"),
            "{public}"
        );
        for e in public["searchComplaints"]["edges"].as_array().unwrap() {
            assert!(e["node"]["complaint"]["concerns"].is_null(), "{e}");
        }
    }
}

fn titles_of(r: &Value) -> Vec<String> {
    r["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["node"]["complaint"]["title"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

const SYNONYMS: &str = "{ searchSynonyms { version isDefault source entries { kind concern phrases expansions } places { phrases } text } }";
const SET_SYNONYMS: &str = "mutation($i: SetSearchSynonymsInput!) { setSearchSynonyms(input: $i) { version source entries { kind phrases } } }";

#[tokio::test]
async fn admins_edit_the_dictionary_checked_and_versioned_and_it_applies_without_a_reindex() {
    for app in engines().await {
        let admin = app.admin().await;
        let engine = engine_name(&app);
        let d = app.ok(Some(&admin), SYNONYMS, json!({})).await["searchSynonyms"].clone();
        assert_eq!(d["version"], 0);
        assert_eq!(d["isDefault"], true);
        assert!(d["entries"].as_array().unwrap().len() >= 300);
        let places: Vec<String> = d["places"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| {
                p["phrases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap().to_string())
            })
            .collect();
        for p in ["quận 1", "q 1", "q1", "quận một", "tp thủ đức"] {
            assert!(places.contains(&p.to_string()), "{p}: {places:?}");
        }
        // Nobody else reads or edits it.
        let official = app.script_token(Role::Official, Some("SDL")).await;
        let r = app.gql(Some(&official), SYNONYMS, json!({})).await;
        assert_eq!(error_code(&r), "FORBIDDEN", "{r}");

        let (_, _) = file(
            &app,
            "SDL",
            "OTHER",
            "Xe buýt số 19 bỏ trạm",
            "Tài xế không dừng ở trạm.",
        )
        .await;
        app.settle().await;
        let sdl = app.unit_id("SDL").await;
        let r = search(&app, Some(&admin), "xe bus", json!({ "unit": sdl })).await;
        assert_eq!(r["droppedWords"], json!(["bus"]), "{engine}: {r}");

        let mut entries: Vec<Value> = d["entries"].as_array().unwrap().clone();
        entries.push(json!({ "kind": "ABBREVIATION", "phrases": ["xe bus", "xe buýt"] }));
        // A bad entry: refused with the entry and part named, nothing stored.
        let mut bad = entries.clone();
        bad.push(json!({ "kind": "ABBREVIATION", "phrases": ["Q.1", "quận 1"] }));
        let r = app
            .gql(
                Some(&admin),
                SET_SYNONYMS,
                json!({ "i": { "expectedVersion": 0, "entries": bad } }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
        let field = crate::helpers::error_field(&r);
        assert!(
            field.ends_with(&format!("entries[{}].phrases", bad.len() - 1)),
            "{r}"
        );
        let r = app
            .gql(
                Some(&admin),
                SET_SYNONYMS,
                json!({ "i": { "expectedVersion": 0, "entries": [{ "kind": "CONCERN", "phrases": ["a", "b"] }] } }),
            )
            .await;
        assert_eq!(error_code(&r), "BAD_USER_INPUT", "{r}");
        assert_eq!(
            app.ok(Some(&admin), SYNONYMS, json!({})).await["searchSynonyms"]["version"],
            0
        );

        let set = json!({ "i": { "expectedVersion": 0, "entries": entries } });
        let v1 = app.ok(Some(&admin), SET_SYNONYMS, set.clone()).await;
        assert_eq!(v1["setSearchSynonyms"]["version"], 1);
        assert_eq!(v1["setSearchSynonyms"]["source"], "graphql");
        // A retry returns the same version; an edit of the old version is refused.
        let again = app.ok(Some(&admin), SET_SYNONYMS, set).await;
        assert_eq!(again["setSearchSynonyms"]["version"], 1);
        let stale = app
            .gql(
                Some(&admin),
                SET_SYNONYMS,
                json!({ "i": { "expectedVersion": 0, "entries": [{ "kind": "ABBREVIATION", "phrases": ["a b", "c d"] }] } }),
            )
            .await;
        assert_eq!(error_code(&stale), "CONFLICT", "{stale}");
        // Applied at once, without a reindex.
        let r = search(&app, Some(&admin), "xe bus", json!({ "unit": sdl })).await;
        assert_eq!(r["droppedWords"], json!([]), "{engine}: {r}");
        assert_eq!(
            titles(&r).first().map(String::as_str),
            Some("Xe buýt số 19 bỏ trạm"),
            "{engine}"
        );
    }
}

#[tokio::test]
async fn units_and_procedures_are_found_by_the_administrations_words_on_every_engine() {
    for app in engines().await {
        let engine = engine_name(&app);
        app.settle().await;
        // Units in operation, typed as people type them.
        for (q, want, not) in [
            ("P. Bến Thành", "P.BENTHANH", "P.SAIGON"),
            ("P Ben Thanh", "P.BENTHANH", "P.SAIGON"),
            ("p. sài gòn", "P.SAIGON", "P.BENTHANH"),
        ] {
            let r = app
                .ok(
                    None,
                    "query($q: String) { searchUnits(filter: {query: $q}) { totalCount tookMs nodes { unit { code } } } }",
                    json!({ "q": q }),
                )
                .await;
            let codes: Vec<&str> = r["searchUnits"]["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|n| n["unit"]["code"].as_str())
                .collect();
            assert_eq!(codes.first(), Some(&want), "{engine}: {q} → {r}");
            assert!(!codes.contains(&not), "{engine}: {q} → {r}");
        }
        let r = app
            .ok(
                None,
                "{ searchProcedures(filter: {query: \"GPXD nhà ở riêng lẻ\"}) { nodes { procedure { name } } } }",
                json!({}),
            )
            .await;
        let first = r["searchProcedures"]["nodes"][0]["procedure"]["name"].as_str();
        assert_eq!(
            first,
            Some("Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"),
            "{engine}: {r}"
        );
    }
}

/// Which words a search drops is decided among what the caller may see: a word that stands
/// only in complaints hidden from the caller is dropped like a word that stands nowhere.
#[tokio::test]
async fn dropped_words_tell_nothing_of_complaints_the_caller_may_not_see() {
    for app in engines().await {
        let engine = engine_name(&app);
        corpus(&app).await;
        file(
            &app,
            "STP",
            "OTHER",
            "Hồ sơ chưa được xử lý",
            "Tôi là Phạm Thị Ngọc Xuyến, nộp hồ sơ từ tháng trước.",
        )
        .await;
        app.settle().await;
        let sdl_official = app.script_token(Role::Official, Some("SDL")).await;
        for token in [None, Some(sdl_official.as_str())] {
            let probe = search(&app, token, "Xuyến hồ sơ", json!({})).await;
            let blank = search(&app, token, "zzqqxx hồ sơ", json!({})).await;
            assert_eq!(
                probe["totalCount"], blank["totalCount"],
                "{engine}: {probe} / {blank}"
            );
            assert_eq!(probe["droppedWords"], json!(["xuyến"]), "{engine}: {probe}");
            assert_eq!(
                blank["droppedWords"],
                json!(["zzqqxx"]),
                "{engine}: {blank}"
            );
        }
    }
}

/// The engine a test server searches with, for assertion messages.
fn engine_name(app: &TestApp) -> &'static str {
    if app.meili.is_some() {
        "meilisearch"
    } else {
        "embedded"
    }
}
