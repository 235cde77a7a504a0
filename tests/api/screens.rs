//! The portal teams' screens, each built by exactly one request (a consumer contract,
//! docs/api.md): the query text here is the screen's, and each test asserts on what the
//! screen shows. A change of the schema that breaks a screen breaks its test.

use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const CITIZEN_HOME: &str = "query CitizenHome {
  units(filter: {block: COMMUNE}, first: 50) {
    totalCount
    nodes { id code name validTo onTimeShare
      satisfaction { overall { answers satisfiedShare sufficient } components { component answers satisfiedShare } } }
  }
  procedures(first: 20) {
    totalCount
    nodes { id code name processingDays
      satisfaction { overall { answers satisfiedShare } }
      units { code name validTo } }
  }
}";

const CITIZEN_FOLLOW: &str = "query Follow($code: String!, $contact: String) {
  complaintByCode(code: $code, contact: $contact) {
    id code title status receivedAt nextDeadlineAt answer answeredAt
    unit { name } allowedActions
    events { action toStatus at }
  }
}";

const OFFICIAL_INBOX: &str = "query Inbox($unit: ID!) {
  inbox: complaints(filter: {assignedUnit: $unit, open: true}, orderBy: NEXT_DEADLINE_ASC, first: 20) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { id code title status nextDeadlineAt forwardDueAt answerDueAt overdue allowedActions }
  }
  tabs: complaintStatusCounts(filter: {assignedUnit: $unit}) { status count }
}";

const OFFICIAL_BACKLOG: &str = "query Backlog($unit: ID!) {
  dueSoon: dossiers(filter: {unit: $unit, dueWithinWorkingDays: 3}, first: 20) {
    totalCount nodes { id code dueAt status late apologyStatus allowedActions }
  }
  apologiesDue: dossiers(filter: {unit: $unit, apologyDue: true}, first: 20) {
    totalCount nodes { id code dueAt allowedActions }
  }
  stats: dossierStatsByUnit(filter: {unit: $unit}) {
    unit { name } stats { total completed backlog late apologiesMissing onTimeShare }
  }
}";

const EVALUATOR: &str = "query Dashboard($year: Int!, $unit: ID!, $from: Date!, $to: Date!) {
  communes: parIndex(year: $year, block: COMMUNE) { status entries { unit { code name } total band rank } }
  departments: parIndex(year: $year, block: DEPARTMENT) { status entries { unit { code name } total band rank } }
  districts: parIndex(year: $year, block: DISTRICT) { status entries { unit { code name } total band rank } }
  verticals: parIndex(year: $year, block: VERTICAL_AGENCY) { status entries { unit { code name } total band rank } }
  breakdown: parBreakdown(year: $year, unit: $unit) { total band criteria { code points max } }
  grid: satisfaction(filter: {block: COMMUNE, from: $from, to: $to}, groupBy: UNIT) {
    months { month }
    groups { unit { code name } overall { answers } months { month overall { answers satisfiedShare sufficient } } }
  }
}";

const BUSINESS_DIALOGUES: &str = "query MyDialogues {
  myDialogues(first: 10) {
    totalCount
    nodes { id title status startsAt myRole
      issues(first: 10) { complaint { id code title status } commitments(first: 5) { text status dueOn overdue } } }
  }
}";

const BUSINESS_DIALOGUE: &str = "query Dialogue($id: ID!) {
  dialogue(id: $id) {
    id title topic kind status startsAt location online minutes myRole allowedActions
    hostUnit { name }
    units(first: 20) { code name }
    businesses(first: 50) { name taxCode agenda }
    counts { issues }
    issues(first: 30) {
      origin linkedAt raisedBy { name }
      complaint { code title status answer unit { name } }
      commitments(first: 5) { text status dueOn dueAt overdue keptOnTime evidence unit { name } allowedActions }
    }
  }
}";

fn nodes(v: &Value) -> Vec<Value> {
    v["nodes"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn citizen_home_lists_todays_units_and_procedures_with_one_shape_of_satisfaction() {
    let app = TestApp::spawn().await;
    let d = app.ok(None, CITIZEN_HOME, json!({})).await;
    let units = nodes(&d["units"]);
    assert!(!units.is_empty(), "{d}");
    let today = portal::clock::today().to_string();
    for u in &units {
        // Units that ended (29 districts and wards of the 2025 reorganisation) are left out.
        assert!(
            u["validTo"].is_null() || u["validTo"].as_str().unwrap() >= today.as_str(),
            "{u}"
        );
        // One shape: the overall figure counts every component's answers.
        let s = &u["satisfaction"];
        let sum: u64 = s["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["answers"].as_u64().unwrap())
            .sum();
        assert_eq!(s["overall"]["answers"].as_u64().unwrap(), sum, "{u}");
        assert_eq!(s["components"].as_array().unwrap().len(), 5);
    }
    assert!(
        units
            .iter()
            .any(|u| u["satisfaction"]["overall"]["answers"].as_u64().unwrap() > 0),
        "the demo's ratings show on the home screen: {d}"
    );
    // Phường Chợ Lớn is there, Quận 5 (ended 30 June 2025) is not.
    assert!(units.iter().any(|u| u["code"] == "P.CHOLON"));
    assert!(units.iter().all(|u| u["code"] != "Q5"));
    for p in nodes(&d["procedures"]) {
        for u in p["units"].as_array().unwrap() {
            assert!(
                u["validTo"].is_null() || u["validTo"].as_str().unwrap() >= today.as_str(),
                "a procedure lists only units that exist: {p}"
            );
        }
        assert!(p["satisfaction"]["overall"].is_object());
    }
}

#[tokio::test]
async fn citizen_follow_shows_the_answer_and_what_the_filer_may_do() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("STP").await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let filed = app
        .ok(
            None,
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id code } }",
            json!({ "i": { "kind": "FEEDBACK", "category": "OFFICIAL_CONDUCT", "unit": unit,
                           "title": "Cán bộ hướng dẫn chưa rõ", "body": "Hướng dẫn hồ sơ lý lịch tư pháp chưa rõ ràng.",
                           "contact": { "name": "Lê Thị E", "phone": "0908 123 456" } } }),
        )
        .await["fileComplaint"]
        .clone();
    let id = filed["id"].as_str().unwrap();
    let code = filed["code"].as_str().unwrap();
    for m in [
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đơn vị đã hướng dẫn lại và chấn chỉnh cán bộ.\") { status } }",
    ] {
        app.ok(Some(&stp), m, json!({ "id": id })).await;
    }
    // The screen, as the app sends it: the code as the filer typed it, any case.
    let d = app
        .ok(
            None,
            CITIZEN_FOLLOW,
            json!({ "code": code.to_lowercase(), "contact": "0908123456" }),
        )
        .await;
    let c = &d["complaintByCode"];
    assert_eq!(c["code"], code);
    assert_eq!(c["status"], "ANSWERED");
    assert_eq!(c["answer"], "Đơn vị đã hướng dẫn lại và chấn chỉnh cán bộ.");
    assert!(c["nextDeadlineAt"].is_null(), "answered: no deadline runs");
    assert_eq!(c["allowedActions"], json!(["RATE_ANSWER"]));
    let actions: Vec<&str> = c["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["FILED", "ACCEPTED", "ANSWERED"]);
    // A wrong phone number is told as such, on the field, without saying which part is wrong.
    let b = app
        .gql(
            None,
            CITIZEN_FOLLOW,
            json!({ "code": code, "contact": "0908000000" }),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "contact");
    assert!(b["data"]["complaintByCode"].is_null());
    // An unknown code with a contact gets the same answer.
    let b = app
        .gql(
            None,
            CITIZEN_FOLLOW,
            json!({ "code": "GY-2222-2222", "contact": "0908123456" }),
        )
        .await;
    assert_eq!(error_field(&b), "contact");
    // A code that cannot be one says so on the code.
    let b = app
        .gql(
            None,
            CITIZEN_FOLLOW,
            json!({ "code": "12345", "contact": null }),
        )
        .await;
    assert_eq!(error_field(&b), "code");
}

#[tokio::test]
async fn official_inbox_orders_open_items_by_their_next_deadline_with_counts_per_status() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("STP").await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let file = |title: &'static str| {
        json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                       "title": title, "body": "Nội dung phản ánh.",
                       "contact": { "name": "Phạm Văn F", "phone": "0912 345 678" } } })
    };
    let mut ids = vec![];
    for t in ["Phản ánh một", "Phản ánh hai", "Phản ánh ba"] {
        let c = app
            .ok(
                None,
                "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id } }",
                file(t),
            )
            .await;
        ids.push(c["fileComplaint"]["id"].as_str().unwrap().to_string());
    }
    // One accepted: its next deadline is the answer's; the others' the forwarding one.
    app.ok(
        Some(&stp),
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        json!({ "id": ids[0] }),
    )
    .await;
    let d = app
        .ok(Some(&stp), OFFICIAL_INBOX, json!({ "unit": unit }))
        .await;
    let inbox = nodes(&d["inbox"]);
    assert!(inbox.len() >= 3, "{d}");
    let mut last = String::new();
    for c in &inbox {
        let status = c["status"].as_str().unwrap();
        assert!(status == "RECEIVED" || status == "ACCEPTED", "{c}");
        let next = c["nextDeadlineAt"].as_str().unwrap().to_string();
        let expected = if status == "RECEIVED" {
            &c["forwardDueAt"]
        } else {
            &c["answerDueAt"]
        };
        assert_eq!(c["nextDeadlineAt"], *expected, "{c}");
        assert!(next >= last, "soonest first: {last} then {next}");
        last = next;
        // What the official may do next: take a received item in hand, answer an accepted one.
        let next_step = if status == "RECEIVED" {
            "ACCEPT"
        } else {
            "ANSWER"
        };
        assert!(
            c["allowedActions"]
                .as_array()
                .unwrap()
                .contains(&json!(next_step)),
            "{c}"
        );
    }
    let accepted = inbox.iter().find(|c| c["id"] == ids[0].as_str()).unwrap();
    assert_eq!(accepted["status"], "ACCEPTED");
    let tabs = d["tabs"].as_array().unwrap();
    assert_eq!(tabs.len(), 6, "every status, zeros included: {tabs:?}");
    let count = |s: &str| {
        tabs.iter().find(|t| t["status"] == s).unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        count("RECEIVED") + count("ACCEPTED"),
        d["inbox"]["totalCount"].as_u64().unwrap()
    );
    assert!(count("ACCEPTED") >= 1);
    // Another unit's official sees none of it.
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let other = app
        .ok(Some(&q5), OFFICIAL_INBOX, json!({ "unit": unit }))
        .await;
    assert_eq!(other["inbox"]["totalCount"], 0);
    assert!(
        other["tabs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["count"] == 0)
    );
}

async fn record(app: &TestApp, official: &str, code: &str, unit: &str, received: String) {
    let procedure = app.procedure_id("1.001193").await;
    let d = app
        .ok(
            Some(official),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code ratingCode } }",
            json!({ "i": { "code": code, "unit": unit, "procedure": procedure, "filerKind": "CITIZEN",
                           "receivedAt": received } }),
        )
        .await;
    app.keep_receipt(&d["recordDossier"]);
}

#[tokio::test]
async fn official_backlog_shows_dossiers_due_soon_apologies_owed_and_the_units_counts() {
    let app = TestApp::spawn().await;
    let unit = app.unit_id("P.CHOLON").await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let ago = |days: i64| (portal::clock::now() - chrono::Duration::days(days)).to_rfc3339();
    // Received now: due in a few working days. Received three weeks ago: long late.
    record(&app, &q5, "BL-NEW", &unit, ago(0)).await;
    record(&app, &q5, "BL-LATE", &unit, ago(21)).await;
    record(&app, &q5, "BL-DONE", &unit, ago(21)).await;
    app.complete_dossier(&q5, "BL-DONE").await;
    let d = app
        .ok(Some(&q5), OFFICIAL_BACKLOG, json!({ "unit": unit }))
        .await;
    let due: Vec<String> = nodes(&d["dueSoon"])
        .iter()
        .map(|n| n["code"].as_str().unwrap().to_string())
        .collect();
    assert!(due.contains(&"BL-LATE".to_string()), "{d}");
    assert!(
        !due.contains(&"BL-DONE".to_string()),
        "completed is not backlog"
    );
    for n in nodes(&d["dueSoon"]) {
        assert_eq!(n["status"], "OPEN");
    }
    let owed = nodes(&d["apologiesDue"]);
    let late = owed.iter().find(|n| n["code"] == "BL-LATE").expect("owed");
    assert!(
        late["allowedActions"]
            .as_array()
            .unwrap()
            .contains(&json!("ISSUE_APOLOGY")),
        "{late}"
    );
    assert!(owed.iter().all(|n| n["code"] != "BL-DONE"));
    let stats = d["stats"].as_array().unwrap();
    assert_eq!(stats.len(), 1);
    // BL-LATE is past its due time and open (backlog); BL-DONE is completed.
    assert!(stats[0]["stats"]["backlog"].as_u64().unwrap() >= 1, "{d}");
    assert!(stats[0]["stats"]["completed"].as_u64().unwrap() >= 1, "{d}");
    assert!(stats[0]["stats"]["total"].as_u64().unwrap() >= 3, "{d}");
}

#[tokio::test]
async fn evaluator_sees_every_blocks_table_a_breakdown_and_a_unit_by_month_grid() {
    let app = TestApp::spawn().await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let year = portal::clock::today()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap();
    app.ok(
        Some(&evaluator),
        "mutation($i: OpenParPeriodInput!) { openParPeriod(input: $i) { year } }",
        json!({ "i": { "year": year } }),
    )
    .await;
    app.ok(
        Some(&evaluator),
        "mutation($y: Int!) { computeParIndex(year: $y) { period { status } } }",
        json!({ "y": year }),
    )
    .await;
    let unit = app.unit_id("P.CHOLON").await;
    let from = format!("{year}-01-01");
    let to = format!("{}-01-01", year + 1);
    let d = app
        .ok(
            Some(&evaluator),
            EVALUATOR,
            json!({ "year": year, "unit": unit, "from": from, "to": to }),
        )
        .await;
    let communes = d["communes"]["entries"].as_array().unwrap();
    assert!(
        communes.iter().any(|e| e["unit"]["code"] == "P.CHOLON"),
        "{d}"
    );
    assert!(!d["departments"]["entries"].as_array().unwrap().is_empty());
    assert!(d["breakdown"]["criteria"].as_array().unwrap().len() > 3);
    // The grid: twelve months, every commune of the block with answers, each with its twelve
    // months (empty ones included), and a row's months add up to its overall figure.
    let months = d["grid"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 12, "{months:?}");
    assert_eq!(months[0]["month"], format!("{year}-01"));
    let groups = d["grid"]["groups"].as_array().unwrap();
    assert!(!groups.is_empty());
    for g in groups {
        let row = g["months"].as_array().unwrap();
        assert_eq!(row.len(), 12, "{g}");
        let sum: u64 = row
            .iter()
            .map(|m| m["overall"]["answers"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, g["overall"]["answers"].as_u64().unwrap(), "{g}");
    }
    // The public does not see the draft year: null tables, as any lookup.
    let public = app
        .gql(
            None,
            EVALUATOR,
            json!({ "year": year, "unit": unit, "from": from, "to": to }),
        )
        .await;
    assert!(
        public["data"]["communes"].is_null() || public["data"].is_null(),
        "{public}"
    );
}

#[tokio::test]
async fn business_sees_its_dialogues_with_issues_and_commitments_and_one_dialogue_in_full() {
    let app = TestApp::spawn().await;
    let biz = app.login("congty.demo", "gopy-business-demo").await;
    let d = app.ok(Some(&biz), BUSINESS_DIALOGUES, json!({})).await;
    let mine = nodes(&d["myDialogues"]);
    assert!(!mine.is_empty(), "{d}");
    let with_commitments = mine
        .iter()
        .find(|x| {
            x["issues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| !i["commitments"].as_array().unwrap().is_empty())
        })
        .unwrap_or_else(|| panic!("the demo's dialogues carry commitments: {d}"));
    let id = with_commitments["id"].as_str().unwrap();
    let full = app
        .ok(Some(&biz), BUSINESS_DIALOGUE, json!({ "id": id }))
        .await["dialogue"]
        .clone();
    assert_eq!(full["id"], id);
    assert!(!full["hostUnit"]["name"].as_str().unwrap().is_empty());
    let issues = full["issues"].as_array().unwrap();
    assert_eq!(
        issues.len() as u64,
        full["counts"]["issues"].as_u64().unwrap()
    );
    let statuses: Vec<&str> = issues
        .iter()
        .flat_map(|i| i["commitments"].as_array().unwrap().iter())
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(!statuses.is_empty(), "{full}");
    // A business is offered none of the host's actions.
    let actions = full["allowedActions"].as_array().unwrap();
    for host_only in ["CLOSE", "CANCEL", "HOLD", "UPDATE", "INVITE"] {
        assert!(!actions.contains(&json!(host_only)), "{actions:?}");
    }
}

#[tokio::test]
async fn the_dialogue_list_that_was_refused_passes_and_a_refusal_names_cost_limit_and_field() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let d = app
        .ok(
            Some(&admin),
            "{ dialogues(first: 10) { edges { node { issues { complaint { id } commitments { status } } } } } }",
            json!({}),
        )
        .await;
    assert!(d["dialogues"]["edges"].is_array());
    // Past the limit: the cost, the limit and the heaviest field's path, in both languages.
    let heavy = "{ dialogues(first: 100) { edges { node { issues(first: 100) { complaint { id } commitments(first: 100) { status } } } } } }";
    for (lang, word) in [("vi", "tối đa"), ("en", "the limit is")] {
        let (_, b) = app
            .gql_full(Some(&admin), heavy, json!({}), &[("accept-language", lang)])
            .await;
        let e = &b["errors"][0];
        assert_eq!(e["extensions"]["code"], "BAD_USER_INPUT", "{b}");
        assert!(e["extensions"]["cost"].as_u64().unwrap() > 5000, "{b}");
        assert_eq!(e["extensions"]["limit"], 5000);
        assert_eq!(
            e["extensions"]["field"],
            "dialogues.edges.node.issues.commitments"
        );
        assert!(e["message"].as_str().unwrap().contains(word), "{b}");
        assert!(b["data"].is_null());
    }
    // A nested list's `first` is bounded.
    let b = app
        .gql(
            Some(&admin),
            "{ dialogues(first: 1) { edges { node { issues(first: 1000) { origin } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
}
