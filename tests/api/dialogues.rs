//! Dialogues with businesses: a thematic dialogue scheduled, held and closed with an issue
//! raised at the meeting, one linked from an earlier complaint and one merged as a duplicate;
//! commitments done, overdue and open; what each business, another unit's official and the
//! public see; commitment statistics against a hand-built set; the demo dialogues.

use chrono::Duration;
use portal::auth::Role;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code, error_field};

const SCHEDULE: &str = "mutation($i: ScheduleDialogueInput!) { scheduleDialogue(input: $i) { id status myRole allowedActions public kind hostUnit { code } units { code } businesses { name taxCode origin contact { name phone } } } }";
const HOLD: &str = "mutation($id: ID!) { holdDialogue(id: $id) { status heldAt } }";
const CLOSE: &str = "mutation($id: ID!, $m: String!, $int: Boolean) { closeDialogue(id: $id, minutes: $m, internal: $int) { status minutes } }";
const JOIN: &str = "mutation($id: ID!, $i: JoinDialogueInput) { joinDialogue(id: $id, input: $i) { id myRole businesses { name origin agenda contact { name phone email } } } }";
const RAISE: &str = "mutation($d: ID!, $i: RaiseDialogueIssueInput!) { raiseDialogueIssue(dialogue: $d, input: $i) { id code status source unit { code } assignedUnit { code } contact { name phone } dialogues { id } } }";
const LINK: &str = "mutation($d: ID!, $c: ID!) { linkComplaintToDialogue(dialogue: $d, complaint: $c) { id dialogues { id } } }";
const COMMIT: &str = "mutation($c: ID!, $i: RecordCommitmentInput!) { recordCommitment(complaint: $c, input: $i) { id status overdue dueOn dueAt unit { code } } }";
const COMPLETE: &str = "mutation($id: ID!, $e: String!) { completeCommitment(id: $id, evidence: $e) { id status keptOnTime evidence doneAt } }";
const DIALOGUE: &str = "query($id: ID!) { dialogue(id: $id) {
    id status minutes myRole
    businesses { name taxCode origin agenda contact { name phone } }
    issues { origin raisedBy { taxCode } complaint { id code status source contact { name } }
             commitments { id status overdue keptOnTime unit { code } } }
    counts { issues openIssues resolvedIssues duplicates rejectedIssues commitments open overdue done doneLate } } }";

const DEMO_TAX: &str = "0100109106";
const OTHER_TAX: &str = "0310987650";
const HOUSEHOLD_TAX: &str = "079185099999";

fn today_plus(days: i64) -> String {
    (portal::clock::today() + Duration::days(days)).to_string()
}

fn soon() -> String {
    (portal::clock::now() + Duration::hours(1)).to_rfc3339()
}

/// Registers a business account and has an admin confirm that it speaks for its business;
/// returns its token.
async fn other_business(app: &TestApp) -> String {
    let r = app
        .ok(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { id businessConfirmed } } }",
        json!({ "i": { "username": "xaydung.cholon", "password": "mat-khau-dai-du-12",
                       "displayName": "Công ty Xây dựng Chợ Lớn", "email": "lienhe@xaydungcholon.vn",
                       "phone": "0912345678",
                       "business": { "taxCode": OTHER_TAX, "name": "Công ty CP Xây dựng Chợ Lớn" } } }),
        )
        .await["register"]
        .clone();
    assert_eq!(r["account"]["businessConfirmed"], false);
    confirm(app, r["account"]["id"].as_str().unwrap()).await;
    r["accessToken"].as_str().unwrap().to_string()
}

async fn confirm(app: &TestApp, account: &str) {
    let admin = app.admin().await;
    let c = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { confirmBusinessAccount(id: $id) { businessConfirmed } }",
            json!({ "id": account }),
        )
        .await;
    assert_eq!(c["confirmBusinessAccount"]["businessConfirmed"], true);
}

/// Moves a commitment's due time `days` into the past, as if the days had gone by.
async fn backdate(app: &TestApp, id: &str, days: i64) {
    let due_at = portal::clock::now() - Duration::days(days);
    let day = portal::clock::local(due_at).date_naive();
    entity::commitment::ActiveModel {
        id: Set(id.to_string()),
        due_on: Set(day),
        due_at: Set(due_at),
        ..Default::default()
    }
    .update(&app.state.db)
    .await
    .unwrap();
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// What the thematic dialogue left behind.
struct Scenario {
    app: TestApp,
    stp: String,
    q5: String,
    demo_biz: String,
    other_biz: String,
    dialogue: String,
    /// Raised at the meeting by the host for the other business, routed to phường Chợ Lớn.
    raised: String,
    /// The demo business's earlier complaint, linked.
    linked: String,
    /// Submitted before the meeting by the demo business, then merged into `linked`.
    merged: String,
    /// Commitments: done, overdue, open.
    done: String,
    overdue: String,
    open: String,
}

async fn scenario() -> Scenario {
    let app = TestApp::spawn().await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let demo_biz = app.login("congty.demo", "gopy-business-demo").await;
    let other_biz = other_business(&app).await;
    let stp_id = app.unit_id("STP").await;
    let cholon = app.unit_id("P.CHOLON").await;

    // The demo business's complaint of last month, before any dialogue.
    let earlier = app
        .ok(
            Some(&demo_biz),
            "mutation($i: FileComplaintInput!) { fileComplaint(input: $i) { id source } }",
            json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": stp_id,
                           "title": "Phiếu lý lịch tư pháp cho người lao động cấp chậm",
                           "body": "Đã quá 10 ngày mà chưa nhận được phiếu lý lịch tư pháp số 1." } }),
        )
        .await["fileComplaint"]
        .clone();
    assert_eq!(earlier["source"], "PORTAL");
    let linked = id(&earlier);

    let d = app
        .ok(
            Some(&stp),
            SCHEDULE,
            json!({ "i": { "kind": "THEMATIC", "title": "Đối thoại chuyên đề lý lịch tư pháp và chứng thực",
                           "topic": "Thời gian cấp phiếu lý lịch tư pháp; giấy tờ khi chứng thực hợp đồng",
                           "hostUnit": stp_id, "startsAt": soon(), "location": "141 Pasteur",
                           "units": [cholon], "public": true,
                           "businesses": [ { "taxCode": DEMO_TAX },
                                           { "taxCode": HOUSEHOLD_TAX, "name": "Hộ kinh doanh Nguyễn Văn Bảy" } ] } }),
        )
        .await["scheduleDialogue"]
        .clone();
    assert_eq!(d["status"], "PLANNED");
    assert_eq!(d["myRole"], "HOST");
    assert_eq!(d["kind"], "THEMATIC");
    assert_eq!(d["units"], json!([{ "code": "P.CHOLON" }]));
    assert_eq!(
        d["allowedActions"],
        json!([
            "UPDATE",
            "INVITE",
            "HOLD",
            "CANCEL",
            "RAISE_ISSUE",
            "LINK_COMPLAINT"
        ])
    );
    let household = d["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Hộ kinh doanh Nguyễn Văn Bảy")
        .cloned()
        .unwrap();
    assert_eq!(household["taxCode"], HOUSEHOLD_TAX, "the host sees it");
    let dialogue = id(&d);

    // The other business registers itself for the public dialogue, with what it will raise.
    let j = app
        .ok(
            Some(&other_biz),
            JOIN,
            json!({ "id": dialogue, "i": { "agenda": "Cấp sổ đỏ cho nhà xưởng trễ hẹn" } }),
        )
        .await["joinDialogue"]
        .clone();
    assert_eq!(j["myRole"], "PARTICIPANT");
    let regs = j["businesses"].as_array().unwrap();
    assert_eq!(regs.len(), 3);
    let mine = regs.iter().find(|b| b["origin"] == "REGISTERED").unwrap();
    assert_eq!(
        mine["contact"]["phone"], "0912345678",
        "its account's phone"
    );
    assert_eq!(mine["agenda"], "Cấp sổ đỏ cho nhà xưởng trễ hẹn");
    assert!(
        regs.iter()
            .filter(|b| b["origin"] == "INVITED")
            .all(|b| b["contact"].is_null() && b["agenda"].is_null()),
        "no other business's contact or agenda: {regs:?}"
    );

    // Before the meeting the demo business submits what it will raise.
    let sub = app
        .ok(
            Some(&demo_biz),
            RAISE,
            json!({ "d": dialogue, "i": { "category": "LATE_PROCESSING",
                    "title": "Cấp phiếu lý lịch tư pháp chậm",
                    "body": "Phiếu lý lịch tư pháp cho người lao động vẫn cấp chậm." } }),
        )
        .await["raiseDialogueIssue"]
        .clone();
    assert_eq!(sub["source"], "DIALOGUE");
    assert_eq!(sub["status"], "RECEIVED");
    assert_eq!(
        sub["assignedUnit"]["code"], "STP",
        "routed to the host when no unit is named"
    );
    assert_eq!(sub["dialogues"], json!([{ "id": dialogue }]));
    let merged = id(&sub);

    let h = app.ok(Some(&stp), HOLD, json!({ "id": dialogue })).await;
    assert_eq!(h["holdDialogue"]["status"], "HELD");

    // At the meeting the host records the other business's issue, about the ward.
    let r = app
        .ok(
            Some(&stp),
            RAISE,
            json!({ "d": dialogue, "i": { "business": OTHER_TAX, "unit": cholon, "category": "LATE_PROCESSING",
                    "title": "Cấp giấy chứng nhận quyền sử dụng đất cho nhà xưởng trễ hẹn",
                    "body": "Hồ sơ nộp tại phường Chợ Lớn quá hẹn hai tuần." } }),
        )
        .await["raiseDialogueIssue"]
        .clone();
    assert_eq!(r["unit"]["code"], "P.CHOLON");
    assert_eq!(
        r["assignedUnit"]["code"], "P.CHOLON",
        "routed to the unit concerned"
    );
    let raised = id(&r);

    // The demo business links its earlier complaint; linking twice changes nothing.
    for _ in 0..2 {
        let l = app
            .ok(Some(&demo_biz), LINK, json!({ "d": dialogue, "c": linked }))
            .await["linkComplaintToDialogue"]
            .clone();
        assert_eq!(l["dialogues"], json!([{ "id": dialogue }]));
    }
    // The submitted issue is the same matter: the host merges it into the earlier complaint.
    let m = app
        .ok(
            Some(&stp),
            "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status duplicateOf { id } } }",
            json!({ "id": merged, "of": linked }),
        )
        .await["markDuplicate"]
        .clone();
    assert_eq!(m["status"], "DUPLICATE");
    // A duplicate cannot be linked anew; its original is.
    let b = app
        .gql(Some(&stp), LINK, json!({ "d": dialogue, "c": merged }))
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");

    // Commitments: the ward on its issue (recorded by its own official, an invited unit),
    // the host on the linked one twice.
    let done = app
        .ok(
            Some(&q5),
            COMMIT,
            json!({ "c": raised, "i": { "unit": cholon, "text": "Trả giấy chứng nhận cho doanh nghiệp", "dueOn": today_plus(10) } }),
        )
        .await["recordCommitment"]
        .clone();
    assert_eq!(done["status"], "OPEN");
    assert_eq!(done["overdue"], false);
    assert_eq!(done["unit"]["code"], "P.CHOLON");
    let overdue = app
        .ok(
            Some(&stp),
            COMMIT,
            json!({ "c": linked, "i": { "unit": stp_id, "text": "Bổ sung hai cán bộ cấp phiếu lý lịch tư pháp", "dueOn": today_plus(3) } }),
        )
        .await["recordCommitment"]
        .clone();
    let open = app
        .ok(
            Some(&stp),
            COMMIT,
            json!({ "c": linked, "i": { "unit": stp_id, "text": "Rút thời gian cấp phiếu còn 7 ngày làm việc", "dueOn": today_plus(30),
                    "idempotencyKey": "cam-ket-7-ngay" } }),
        )
        .await["recordCommitment"]
        .clone();
    // A retry of the same commitment is the same commitment.
    let again = app
        .ok(
            Some(&stp),
            COMMIT,
            json!({ "c": linked, "i": { "unit": stp_id, "text": "Rút thời gian cấp phiếu còn 7 ngày làm việc", "dueOn": today_plus(30),
                    "idempotencyKey": "cam-ket-7-ngay" } }),
        )
        .await["recordCommitment"]
        .clone();
    assert_eq!(again["id"], open["id"]);

    let c = app
        .ok(
            Some(&q5),
            COMPLETE,
            json!({ "id": done["id"], "e": "Đã trả giấy chứng nhận ngày hôm nay, biên nhận số 12/BN" }),
        )
        .await["completeCommitment"]
        .clone();
    assert_eq!(c["status"], "DONE");
    assert_eq!(c["keptOnTime"], true);
    let b = app
        .gql(
            Some(&q5),
            COMPLETE,
            json!({ "id": done["id"], "e": "Lần nữa" }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT", "done once only");
    let retry = app
        .ok(
            Some(&q5),
            COMPLETE,
            json!({ "id": done["id"], "e": "Đã trả giấy chứng nhận ngày hôm nay, biên nhận số 12/BN" }),
        )
        .await["completeCommitment"]
        .clone();
    assert_eq!(
        retry["doneAt"], c["doneAt"],
        "the same report again is the first"
    );
    backdate(&app, overdue["id"].as_str().unwrap(), 2).await;

    let closed = app
        .ok(
            Some(&stp),
            CLOSE,
            json!({ "id": dialogue, "m": "Biên bản: Sở Tư pháp tiếp nhận 3 kiến nghị và cam kết xử lý." }),
        )
        .await["closeDialogue"]
        .clone();
    assert_eq!(closed["status"], "CLOSED");

    Scenario {
        done: id(&done),
        overdue: id(&overdue),
        open: id(&open),
        app,
        stp,
        q5,
        demo_biz,
        other_biz,
        dialogue,
        raised,
        linked,
        merged,
    }
}

#[tokio::test]
async fn a_thematic_dialogue_is_held_and_closed_with_three_issues_and_commitments_in_every_state() {
    let s = scenario().await;
    let app = &s.app;
    let d = app
        .ok(Some(&s.stp), DIALOGUE, json!({ "id": s.dialogue }))
        .await["dialogue"]
        .clone();
    assert_eq!(d["status"], "CLOSED");
    let issues = d["issues"].as_array().unwrap();
    let by = |cid: &str| -> Value {
        issues
            .iter()
            .find(|i| i["complaint"]["id"] == cid)
            .cloned()
            .unwrap_or_else(|| panic!("no issue {cid} in {issues:?}"))
    };
    assert_eq!(issues.len(), 3, "{issues:?}");
    // The host recorded the other business's issue; the ward handles it, so the host sees who
    // raised it at its meeting but not the complaint itself.
    let raised = issues
        .iter()
        .find(|i| i["origin"] == "RAISED")
        .cloned()
        .unwrap();
    assert!(raised["complaint"].is_null(), "{raised}");
    assert_eq!(raised["raisedBy"]["taxCode"], OTHER_TAX);
    assert_eq!(by(&s.merged)["origin"], "SUBMITTED");
    assert_eq!(by(&s.merged)["complaint"]["status"], "DUPLICATE");
    let ward = app
        .ok(Some(&s.q5), DIALOGUE, json!({ "id": s.dialogue }))
        .await["dialogue"]["issues"]
        .clone();
    let at_ward = ward
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["complaint"]["id"] == s.raised.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("{ward}"));
    assert_eq!(at_ward["complaint"]["source"], "DIALOGUE");
    assert_eq!(
        at_ward["raisedBy"]["taxCode"], OTHER_TAX,
        "the handling unit sees its filer"
    );
    assert_eq!(by(&s.linked)["origin"], "LINKED");
    assert_eq!(by(&s.linked)["complaint"]["source"], "PORTAL");
    let ks = by(&s.linked)["commitments"].clone();
    let k = |cid: &str| -> Value {
        ks.as_array()
            .unwrap()
            .iter()
            .chain(raised["commitments"].as_array().unwrap())
            .find(|k| k["id"] == cid)
            .cloned()
            .unwrap_or_else(|| panic!("no commitment {cid}"))
    };
    assert_eq!(k(&s.done)["status"], "DONE");
    assert_eq!(k(&s.done)["keptOnTime"], true);
    assert_eq!(k(&s.overdue)["status"], "OPEN");
    assert_eq!(k(&s.overdue)["overdue"], true);
    assert_eq!(k(&s.open)["overdue"], false);
    assert_eq!(
        d["counts"],
        json!({ "issues": 3, "openIssues": 2, "resolvedIssues": 0, "duplicates": 1, "rejectedIssues": 0,
                "commitments": 3, "open": 1, "overdue": 1, "done": 1, "doneLate": 0 })
    );

    // Closed and not internal: the public reads the minutes and the commitments, never who
    // raised what nor an unpublished complaint.
    let public = app.ok(None, DIALOGUE, json!({ "id": s.dialogue })).await["dialogue"].clone();
    assert_eq!(public["myRole"], "PUBLIC");
    assert!(public["minutes"].as_str().unwrap().starts_with("Biên bản"));
    assert!(
        public["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["complaint"].is_null() && i["raisedBy"].is_null()),
        "{public}"
    );
    assert_eq!(public["counts"]["commitments"], 3);
    assert_eq!(public["counts"]["overdue"], 1);
    let hh = public["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Hộ kinh doanh Nguyễn Văn Bảy")
        .cloned()
        .unwrap();
    assert!(
        hh["taxCode"].is_null(),
        "a household's tax code is a personal number"
    );
    assert!(
        public["businesses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["contact"].is_null())
    );

    // Closed: nothing more is raised there; follow-up goes on through the commitments.
    let b = app
        .gql(
            Some(&s.demo_biz),
            RAISE,
            json!({ "d": s.dialogue, "i": { "title": "Muộn", "body": "Sau khi đóng." } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
    let late = app
        .ok(
            Some(&s.stp),
            COMPLETE,
            json!({ "id": s.overdue, "e": "Quyết định điều động cán bộ số 45/QĐ-STP" }),
        )
        .await["completeCommitment"]
        .clone();
    assert_eq!(late["keptOnTime"], false, "done after its due day");
    // The complaint's log tells the dialogue's part in it.
    let events = app
        .ok(
            Some(&s.stp),
            "query($id: ID!) { complaint(id: $id) { events { action note } } }",
            json!({ "id": s.linked }),
        )
        .await["complaint"]["events"]
        .clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        vec![
            "FILED",
            "DIALOGUE_LINKED",
            "COMMITTED",
            "COMMITTED",
            "COMMITMENT_DONE"
        ],
        "{events}"
    );
    assert!(events[4]["note"].as_str().unwrap().contains("45/QĐ-STP"));

    // Issues are searchable by their dialogue, with a facet.
    app.settle().await;
    let h = app
        .ok(
            Some(&s.stp),
            "query($f: ComplaintFilter) { searchComplaints(filter: $f) { totalCount facets { name values { value count } } edges { node { complaint { id } } } } }",
            json!({ "f": { "dialogue": s.dialogue } }),
        )
        .await["searchComplaints"]
        .clone();
    // Sở Tư pháp's scope: the linked and the merged issue (the ward's is not its own).
    assert_eq!(h["totalCount"], 2, "{h}");
    let facet = h["facets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "dialogue")
        .cloned()
        .unwrap();
    assert_eq!(
        facet["values"],
        json!([{ "value": s.dialogue, "count": 2 }])
    );
    let listed = app
        .ok(
            Some(&s.q5),
            "query($f: ComplaintFilter) { complaints(filter: $f) { totalCount edges { node { id } } } }",
            json!({ "f": { "dialogue": s.dialogue } }),
        )
        .await["complaints"]
        .clone();
    assert_eq!(listed["totalCount"], 1);
    assert_eq!(listed["edges"][0]["node"]["id"], s.raised.as_str());

    // Dialogues are found by the words of their title and topic, with or without marks.
    for q in [
        "chứng thực hợp đồng",
        "chung thuc hop dong",
        "ly lich tu phap",
    ] {
        let found = app
            .ok(
                None,
                "query($f: DialogueFilter) { dialogues(filter: $f) { totalCount edges { node { id } } } }",
                json!({ "f": { "query": q } }),
            )
            .await["dialogues"]
            .clone();
        assert!(
            found["edges"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["node"]["id"] == s.dialogue.as_str()),
            "{q}: {found}"
        );
    }
}

#[tokio::test]
async fn a_business_sees_its_own_issues_and_not_another_businesss() {
    let s = scenario().await;
    let app = &s.app;
    const MINE: &str = "{ myIssues(first: 50) { totalCount edges { node { id source dialogues { id } contact { name } commitments { status } } } } }";
    let ids = |v: &Value| -> Vec<String> {
        v["myIssues"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    let demo = app.ok(Some(&s.demo_biz), MINE, json!({})).await;
    let got = ids(&demo);
    assert!(got.contains(&s.linked) && got.contains(&s.merged), "{demo}");
    assert!(!got.contains(&s.raised), "another business's issue: {demo}");
    // Its two here, and the one it raised at the demo's periodic dialogue.
    assert_eq!(demo["myIssues"]["totalCount"], 3);
    let linked = demo["myIssues"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["id"] == s.linked.as_str())
        .unwrap()["node"]
        .clone();
    assert_eq!(linked["dialogues"], json!([{ "id": s.dialogue }]));
    assert_eq!(
        linked["commitments"].as_array().unwrap().len(),
        2,
        "its commitments"
    );

    // The issue the host recorded for the other business is that business's, though no
    // account of it filed it.
    let other = app.ok(Some(&s.other_biz), MINE, json!({})).await;
    assert_eq!(ids(&other), vec![s.raised.clone()]);
    assert_eq!(
        other["myIssues"]["edges"][0]["node"]["contact"]["name"],
        "Công ty Xây dựng Chợ Lớn"
    );

    // Through the dialogue, the other business sees its own issue whole and the demo
    // business's not at all (they are unpublished).
    let d = app
        .ok(Some(&s.other_biz), DIALOGUE, json!({ "id": s.dialogue }))
        .await["dialogue"]
        .clone();
    assert_eq!(d["myRole"], "PARTICIPANT");
    for i in d["issues"].as_array().unwrap() {
        let cid = i["complaint"]["id"].as_str();
        if cid == Some(s.raised.as_str()) {
            assert_eq!(i["raisedBy"]["taxCode"], OTHER_TAX);
            assert_eq!(
                i["complaint"]["contact"]["name"],
                "Công ty Xây dựng Chợ Lớn"
            );
        } else {
            assert!(
                i["complaint"].is_null() && i["raisedBy"].is_null(),
                "another business's issue: {i}"
            );
        }
    }
    for (who, cid) in [(&s.other_biz, &s.linked), (&s.demo_biz, &s.raised)] {
        let c = app
            .ok(
                Some(who),
                "query($id: ID!) { complaint(id: $id) { id } }",
                json!({ "id": cid }),
            )
            .await;
        assert!(c["complaint"].is_null(), "{c}");
    }

    // A dialogue by invitation only is invisible to a business not invited: not listed, not
    // readable, not joinable.
    let stp_id = app.unit_id("STP").await;
    let private = app
        .ok(
            Some(&s.stp),
            SCHEDULE,
            json!({ "i": { "kind": "PERIODIC", "title": "Đối thoại định kỳ quý IV", "topic": "Các vướng mắc về chứng thực",
                           "hostUnit": stp_id, "startsAt": soon(), "online": true,
                           "businesses": [ { "taxCode": DEMO_TAX } ] } }),
        )
        .await["scheduleDialogue"]
        .clone();
    let pid = id(&private);
    let seen = app
        .ok(
            Some(&s.other_biz),
            "query($id: ID!) { dialogue(id: $id) { id } dialogues(first: 100) { edges { node { id } } } myDialogues { totalCount edges { node { id } } } }",
            json!({ "id": pid }),
        )
        .await;
    assert!(seen["dialogue"].is_null());
    assert!(
        !seen["dialogues"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == pid.as_str())
    );
    assert_eq!(
        seen["myDialogues"]["totalCount"], 1,
        "only the one it joined"
    );
    let b = app
        .gql(Some(&s.other_biz), JOIN, json!({ "id": pid }))
        .await;
    assert_eq!(error_code(&b), "NOT_FOUND");
    let mine = app
        .ok(
            Some(&s.demo_biz),
            "{ myDialogues { totalCount edges { node { id myRole } } } }",
            json!({}),
        )
        .await;
    // This one, the private one, and the demo's two.
    assert_eq!(mine["myDialogues"]["totalCount"], 4, "{mine}");
    // Nor may a business raise an issue as another.
    let b = app
        .gql(
            Some(&s.demo_biz),
            RAISE,
            json!({ "d": pid, "i": { "business": OTHER_TAX, "title": "Giả danh", "body": "Nêu thay doanh nghiệp khác." } }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
}

#[tokio::test]
async fn an_official_of_a_unit_not_involved_cannot_record_a_commitment() {
    let s = scenario().await;
    let app = &s.app;
    let snv = app.unit_id("SNV").await;
    let stp_id = app.unit_id("STP").await;
    let outsider = app.script_token(Role::Official, Some("SNV")).await;
    let count = || async {
        entity::commitment::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    let input = |unit: &str| json!({ "c": s.raised, "i": { "unit": unit, "text": "Cam kết thay", "dueOn": today_plus(5) } });
    // For itself (not involved) or for a unit involved: refused either way.
    for unit in [&snv, &stp_id] {
        let b = app.gql(Some(&outsider), COMMIT, input(unit)).await;
        assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    }
    // An invited unit commits for itself only, not for the host.
    let b = app.gql(Some(&s.q5), COMMIT, input(&stp_id)).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    // Businesses and citizens never record commitments; the anonymous are asked to sign in.
    let b = app.gql(Some(&s.demo_biz), COMMIT, input(&stp_id)).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app.gql(None, COMMIT, input(&stp_id)).await;
    assert_eq!(error_code(&b), "UNAUTHENTICATED");
    // Nor does the host promise in another unit's name, though that unit is involved.
    let cholon = app.unit_id("P.CHOLON").await;
    let b = app.gql(Some(&s.stp), COMMIT, input(&cholon)).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    // An admin naming a unit not involved: a bad input, not a commitment.
    let admin = app.admin().await;
    let b = app.gql(Some(&admin), COMMIT, input(&snv)).await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(error_field(&b), "input.unit");
    // A due day in the past, or an empty promise.
    let b = app
        .gql(
            Some(&s.stp),
            COMMIT,
            json!({ "c": s.raised, "i": { "unit": stp_id, "text": "Xong", "dueOn": today_plus(-1) } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.dueOn");
    let b = app
        .gql(
            Some(&s.stp),
            COMMIT,
            json!({ "c": s.raised, "i": { "unit": stp_id, "text": "  ", "dueOn": today_plus(1) } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.text");
    // On a duplicate: commit on the original.
    let b = app
        .gql(
            Some(&s.stp),
            COMMIT,
            json!({ "c": s.merged, "i": { "unit": stp_id, "text": "Xử lý", "dueOn": today_plus(1) } }),
        )
        .await;
    assert_eq!(error_code(&b), "BAD_USER_INPUT");
    assert_eq!(count().await, before, "nothing written");

    // Only the committing unit reports its commitment done.
    let b = app
        .gql(
            Some(&s.stp),
            COMPLETE,
            json!({ "id": s.overdue, "e": "  " }),
        )
        .await;
    assert_eq!(error_field(&b), "evidence");
    let b = app
        .gql(
            Some(&s.q5),
            COMPLETE,
            json!({ "id": s.open, "e": "Đã xong" }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app
        .gql(
            Some(&outsider),
            COMPLETE,
            json!({ "id": s.open, "e": "Đã xong" }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");

    // Another unit's official neither runs the host's dialogue nor records issues there.
    let b = app
        .gql(Some(&s.q5), HOLD, json!({ "id": s.dialogue }))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let b = app
        .gql(
            Some(&outsider),
            SCHEDULE,
            json!({ "i": { "kind": "PERIODIC", "title": "T", "topic": "T", "hostUnit": stp_id,
                           "startsAt": soon(), "online": true } }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
}

#[tokio::test]
async fn scheduling_refuses_bad_input_and_a_retry_schedules_once() {
    let app = TestApp::spawn().await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let stp_id = app.unit_id("STP").await;
    let base = json!({ "kind": "PERIODIC", "title": "Đối thoại định kỳ", "topic": "Chứng thực",
                       "hostUnit": stp_id, "startsAt": soon(), "location": "141 Pasteur" });
    let with = |k: &str, v: Value| {
        let mut i = base.clone();
        i[k] = v;
        json!({ "i": i })
    };
    let count = || async {
        entity::dialogue::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    for (field, vars) in [
        (
            "businesses[0].taxCode",
            with("businesses", json!([{ "taxCode": "0100109107" }])),
        ),
        (
            "businesses[0].name",
            with("businesses", json!([{ "taxCode": "0306543211" }])),
        ),
        ("location", with("location", Value::Null)),
        (
            "startsAt",
            with(
                "startsAt",
                json!((portal::clock::now() - Duration::days(10)).to_rfc3339()),
            ),
        ),
        ("title", with("title", json!("\u{200b} "))),
        ("title", with("title", json!("Dòng 1\u{2028}Dòng 2"))),
        ("location", with("location", json!("Hội trường \u{202e}A"))),
        ("units[0]", with("units", json!(["khong-co"]))),
    ] {
        let b = app.gql(Some(&stp), SCHEDULE, vars).await;
        assert_eq!(error_code(&b), "BAD_USER_INPUT", "{field}: {b}");
        assert_eq!(error_field(&b), format!("input.{field}"), "{b}");
    }
    assert_eq!(count().await, before, "nothing half-written");

    let keyed = with("idempotencyKey", json!("doi-thoai-q4"));
    let a = app.ok(Some(&stp), SCHEDULE, keyed.clone()).await;
    let b = app.ok(Some(&stp), SCHEDULE, keyed).await;
    assert_eq!(a["scheduleDialogue"]["id"], b["scheduleDialogue"]["id"]);
    assert_eq!(count().await, before + 1);

    // Eight officials invite the same ward and business at once: one invitation each, no error.
    let did = id(&a["scheduleDialogue"]);
    let ward = app.unit_id("P.CHOLON").await;
    let invites = (0..8).map(|_| {
        app.gql(
            Some(&stp),
            "mutation($id: ID!, $u: [ID!], $b: [BusinessInviteInput!]) { inviteToDialogue(id: $id, units: $u, businesses: $b) { units { code } businesses { taxCode } } }",
            json!({ "id": did, "u": [ward], "b": [ { "taxCode": DEMO_TAX } ] }),
        )
    });
    for r in futures_util::future::join_all(invites).await {
        assert!(r.get("errors").is_none(), "{r}");
        assert_eq!(
            r["data"]["inviteToDialogue"]["units"],
            json!([{ "code": "P.CHOLON" }])
        );
        assert_eq!(
            r["data"]["inviteToDialogue"]["businesses"],
            json!([{ "taxCode": DEMO_TAX }])
        );
    }
    // An issue's title is one line too.
    let b = app
        .gql(
            Some(&stp),
            RAISE,
            json!({ "d": did, "i": { "business": DEMO_TAX, "title": "Tiêu đề\nthứ hai", "body": "Nội dung.",
                    "contact": { "name": "A", "phone": "0903123456" } } }),
        )
        .await;
    assert_eq!(error_field(&b), "input.title", "{b}");
    // Holding a dialogue of next month today is refused; cancelling says why.
    let later = app
        .ok(
            Some(&stp),
            SCHEDULE,
            with(
                "startsAt",
                json!((portal::clock::now() + Duration::days(30)).to_rfc3339()),
            ),
        )
        .await;
    let lid = id(&later["scheduleDialogue"]);
    let b = app.gql(Some(&stp), HOLD, json!({ "id": lid })).await;
    assert_eq!(error_code(&b), "CONFLICT");
    // Rescheduled and moved while planned; by the host only, with the same checks.
    const UPDATE: &str = "mutation($id: ID!, $i: UpdateDialogueInput!) { updateDialogue(id: $id, input: $i) { title startsAt location online } }";
    let when = (portal::clock::now() + Duration::days(40)).to_rfc3339();
    let u = app
        .ok(
            Some(&stp),
            UPDATE,
            json!({ "id": lid, "i": { "title": "Đối thoại định kỳ (dời lịch)", "startsAt": when, "location": "", "online": true } }),
        )
        .await["updateDialogue"]
        .clone();
    assert_eq!(u["title"], "Đối thoại định kỳ (dời lịch)");
    assert!(u["location"].is_null() && u["online"] == true, "{u}");
    let b = app
        .gql(
            Some(&stp),
            UPDATE,
            json!({ "id": lid, "i": { "online": false } }),
        )
        .await;
    assert_eq!(
        error_field(&b),
        "input.location",
        "neither a place nor online"
    );
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let b = app
        .gql(
            Some(&q5),
            UPDATE,
            json!({ "id": lid, "i": { "title": "Của tôi" } }),
        )
        .await;
    assert_eq!(
        error_code(&b),
        "NOT_FOUND",
        "a private dialogue of another unit"
    );
    let b = app
        .gql(
            Some(&stp),
            "mutation($id: ID!) { cancelDialogue(id: $id, reason: \"\") { status } }",
            json!({ "id": lid }),
        )
        .await;
    assert_eq!(error_field(&b), "reason");
    let c = app
        .ok(
            Some(&stp),
            "mutation($id: ID!) { cancelDialogue(id: $id, reason: \"Trùng lịch họp của UBND thành phố\") { status cancelReason allowedActions } }",
            json!({ "id": lid }),
        )
        .await;
    assert_eq!(c["cancelDialogue"]["status"], "CANCELLED");
    assert_eq!(c["cancelDialogue"]["allowedActions"], json!([]));
    let b = app.gql(Some(&stp), HOLD, json!({ "id": lid })).await;
    assert_eq!(error_code(&b), "CONFLICT");
    let b = app
        .gql(
            Some(&stp),
            UPDATE,
            json!({ "id": lid, "i": { "title": "Muộn" } }),
        )
        .await;
    assert_eq!(error_code(&b), "CONFLICT");
}

#[tokio::test]
async fn commitment_stats_match_counts_made_by_hand() {
    let app = TestApp::spawn().await;
    let snv_official = app.script_token(Role::Official, Some("SNV")).await;
    let ward_official = app.script_token(Role::Official, Some("P.ANDONG")).await;
    let snv = app.unit_id("SNV").await;
    let ward = app.unit_id("P.ANDONG").await;
    let d = app
        .ok(
            Some(&snv_official),
            SCHEDULE,
            json!({ "i": { "kind": "THEMATIC", "title": "Đối thoại về tuyển dụng công chức", "topic": "Thủ tục thi tuyển",
                           "hostUnit": snv, "startsAt": soon(), "online": true, "units": [ward],
                           "businesses": [ { "taxCode": DEMO_TAX } ] } }),
        )
        .await["scheduleDialogue"]
        .clone();
    let did = id(&d);
    app.ok(Some(&snv_official), HOLD, json!({ "id": did }))
        .await;
    let issue = app
        .ok(
            Some(&snv_official),
            RAISE,
            json!({ "d": did, "i": { "business": DEMO_TAX, "title": "Thông báo tuyển dụng muộn", "body": "Cần đăng sớm hơn.",
                    "contact": { "name": "Trần Văn Tư", "phone": "0987654321" } } }),
        )
        .await["raiseDialogueIssue"]
        .clone();
    let cid = id(&issue);
    let record = async |token: &str, unit: &str, days: i64| -> String {
        id(&app
            .ok(
                Some(token),
                COMMIT,
                json!({ "c": cid, "i": { "unit": unit, "text": "Bước xử lý", "dueOn": today_plus(days) } }),
            )
            .await["recordCommitment"])
    };
    // Sở Nội vụ: two kept on time, one kept late, one overdue, two open.
    let on1 = record(&snv_official, &snv, 5).await;
    let on2 = record(&snv_official, &snv, 6).await;
    let late = record(&snv_official, &snv, 7).await;
    let over = record(&snv_official, &snv, 8).await;
    record(&snv_official, &snv, 9).await;
    record(&snv_official, &snv, 10).await;
    // Phường An Đông (invited): one overdue, one open.
    let ward_over = record(&ward_official, &ward, 5).await;
    record(&ward_official, &ward, 6).await;
    for k in [&on1, &on2] {
        app.ok(
            Some(&snv_official),
            COMPLETE,
            json!({ "id": k, "e": "Văn bản kết quả" }),
        )
        .await;
    }
    backdate(&app, &late, 3).await;
    app.ok(
        Some(&snv_official),
        COMPLETE,
        json!({ "id": late, "e": "Văn bản kết quả" }),
    )
    .await;
    backdate(&app, &over, 1).await;
    backdate(&app, &ward_over, 4).await;

    const STATS: &str = "query($f: CommitmentStatsFilter) { commitmentStats(filter: $f) { unit { code } total keptOnTime keptLate overdue open keptOnTimeShare } }";
    let admin = app.admin().await;
    let rows = app
        .ok(Some(&admin), STATS, json!({ "f": { "unit": snv } }))
        .await["commitmentStats"]
        .clone();
    assert_eq!(
        rows,
        json!([{ "unit": { "code": "SNV" }, "total": 6, "keptOnTime": 2, "keptLate": 1, "overdue": 1, "open": 2,
                 "keptOnTimeShare": 50.0 }])
    );
    // The ward's official reads its own unit only.
    let mine = app.ok(Some(&ward_official), STATS, json!({})).await["commitmentStats"].clone();
    assert_eq!(
        mine,
        json!([{ "unit": { "code": "P.ANDONG" }, "total": 2, "keptOnTime": 0, "keptLate": 0, "overdue": 1, "open": 1,
                 "keptOnTimeShare": 0.0 }])
    );
    // A window of due times: the ward's overdue one only.
    let from = (portal::clock::now() - Duration::days(5)).to_rfc3339();
    let to = portal::clock::now().to_rfc3339();
    let window = app
        .ok(
            Some(&ward_official),
            STATS,
            json!({ "f": { "from": from, "to": to } }),
        )
        .await["commitmentStats"]
        .clone();
    assert_eq!(window[0]["total"], 1);
    assert_eq!(window[0]["overdue"], 1);
    let b = app
        .gql(Some(&ward_official), STATS, json!({ "f": { "unit": snv } }))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let b = app.gql(Some(&citizen), STATS, json!({})).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    // Evaluators read every unit.
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let all = app.ok(Some(&evaluator), STATS, json!({})).await["commitmentStats"].clone();
    let codes: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["unit"]["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"SNV") && codes.contains(&"P.ANDONG") && codes.contains(&"STP"),
        "{all}"
    );
}

#[tokio::test]
async fn the_demo_has_a_periodic_and_a_thematic_dialogue_with_commitments_in_every_state() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let d = app
        .ok(
            Some(&admin),
            "{ dialogues { totalCount edges { node { kind status hostUnit { code } businesses { taxCode }
               counts { issues commitments open overdue done doneLate } } } } }",
            json!({}),
        )
        .await["dialogues"]
        .clone();
    assert_eq!(d["totalCount"], 2);
    let nodes: Vec<Value> = d["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    let periodic = nodes.iter().find(|n| n["kind"] == "PERIODIC").unwrap();
    let thematic = nodes.iter().find(|n| n["kind"] == "THEMATIC").unwrap();
    assert_eq!(periodic["status"], "CLOSED");
    assert_eq!(periodic["hostUnit"]["code"], "STP");
    assert_eq!(thematic["status"], "HELD");
    assert_eq!(thematic["hostUnit"]["code"], "P.CHOLON");
    assert_eq!(periodic["counts"]["done"], 2);
    assert_eq!(periodic["counts"]["doneLate"], 1);
    assert_eq!(thematic["counts"]["issues"], 3, "two raised, one linked");
    assert_eq!(
        thematic["counts"]["open"].as_u64().unwrap()
            + thematic["counts"]["overdue"].as_u64().unwrap(),
        3
    );
    assert!(thematic["counts"]["overdue"].as_u64().unwrap() >= 1);
    assert!(
        thematic["businesses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["taxCode"] == "079185012345"),
        "a household business by its personal number"
    );
    // The demo business finds both in its own list.
    let biz = app.login("congty.demo", "gopy-business-demo").await;
    let mine = app
        .ok(Some(&biz), "{ myDialogues { totalCount } }", json!({}))
        .await;
    assert_eq!(mine["myDialogues"]["totalCount"], 2);
}

#[tokio::test]
async fn a_matter_raised_at_two_dialogues_comes_back_as_recurring() {
    let s = scenario().await;
    let app = &s.app;
    let stp_id = app.unit_id("STP").await;
    let cholon = app.unit_id("P.CHOLON").await;
    // Next quarter's dialogue, scheduled bare, then the invitations.
    let next = app
        .ok(
            Some(&s.stp),
            SCHEDULE,
            json!({ "i": { "kind": "PERIODIC", "title": "Đối thoại định kỳ quý I/2027", "topic": "Lý lịch tư pháp",
                           "hostUnit": stp_id, "startsAt": soon(), "location": "141 Pasteur" } }),
        )
        .await["scheduleDialogue"]
        .clone();
    let next_id = id(&next);
    const INVITE: &str = "mutation($id: ID!, $u: [ID!], $b: [BusinessInviteInput!]) { inviteToDialogue(id: $id, units: $u, businesses: $b) { units { code } businesses { taxCode origin } } }";
    for _ in 0..2 {
        let inv = app
            .ok(
                Some(&s.stp),
                INVITE,
                json!({ "id": next_id, "u": [cholon, stp_id], "b": [ { "taxCode": DEMO_TAX } ] }),
            )
            .await["inviteToDialogue"]
            .clone();
        assert_eq!(
            inv["units"],
            json!([{ "code": "P.CHOLON" }]),
            "the host is not its own guest"
        );
        assert_eq!(
            inv["businesses"],
            json!([{ "taxCode": DEMO_TAX, "origin": "INVITED" }]),
            "invited once"
        );
    }
    let b = app
        .gql(
            Some(&s.q5),
            INVITE,
            json!({ "id": next_id, "b": [ { "taxCode": OTHER_TAX } ] }),
        )
        .await;
    assert_eq!(
        error_code(&b),
        "FORBIDDEN",
        "an invited unit does not invite"
    );

    // The same matter again: raised, then merged into the first complaint.
    let again = app
        .ok(
            Some(&s.demo_biz),
            RAISE,
            json!({ "d": next_id, "i": { "title": "Lại chậm cấp phiếu lý lịch tư pháp", "body": "Vẫn chậm như quý trước." } }),
        )
        .await["raiseDialogueIssue"]
        .clone();
    app.ok(
        Some(&s.stp),
        "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status } }",
        json!({ "id": id(&again), "of": s.linked }),
    )
    .await;

    const RECURRING: &str = "{ recurringIssues { totalCount edges { node { timesRaised complaint { id } dialogues { id } } } } }";
    let r = app.ok(Some(&s.stp), RECURRING, json!({})).await["recurringIssues"].clone();
    assert_eq!(r["totalCount"], 1, "{r}");
    let node = &r["edges"][0]["node"];
    assert_eq!(node["complaint"]["id"], s.linked.as_str());
    assert_eq!(node["timesRaised"], 2);
    let mut ds: Vec<&str> = node["dialogues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    ds.sort();
    let mut expected = vec![s.dialogue.as_str(), next_id.as_str()];
    expected.sort();
    assert_eq!(ds, expected);
    // Not the ward's matter; not for businesses.
    let r = app.ok(Some(&s.q5), RECURRING, json!({})).await["recurringIssues"].clone();
    assert_eq!(r["totalCount"], 0);
    let b = app.gql(Some(&s.demo_biz), RECURRING, json!({})).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
}

#[tokio::test]
async fn a_claimed_tax_code_a_recorded_issue_and_another_units_complaint_open_nothing() {
    let s = scenario().await;
    let app = &s.app;
    let admin = app.admin().await;
    let stp_id = app.unit_id("STP").await;
    let cholon = app.unit_id("P.CHOLON").await;

    // A private dialogue with the household invited (known to the portal, with no account).
    let private = id(&app
        .ok(
            Some(&s.stp),
            SCHEDULE,
            json!({ "i": { "kind": "THEMATIC", "title": "Đối thoại riêng về hộ kinh doanh", "topic": "Đăng ký hộ kinh doanh",
                           "hostUnit": stp_id, "startsAt": soon(), "online": true, "units": [cholon],
                           "businesses": [ { "taxCode": HOUSEHOLD_TAX }, { "taxCode": DEMO_TAX } ] } }),
        )
        .await["scheduleDialogue"]);

    // Someone registers with the household's number: the account acts as itself only until an
    // admin confirms it speaks for the household.
    let claimant = app
        .ok(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { id businessConfirmed } } }",
            json!({ "i": { "username": "gia.danh", "password": "mat-khau-dai-du-12", "displayName": "Kẻ giả danh",
                           "email": "giadanh@example.vn", "business": { "taxCode": HOUSEHOLD_TAX, "name": "Bất kỳ" } } }),
        )
        .await["register"]
        .clone();
    assert_eq!(claimant["account"]["businessConfirmed"], false);
    let claimant_id = claimant["account"]["id"].as_str().unwrap().to_string();
    let claimant = claimant["accessToken"].as_str().unwrap().to_string();
    let seen = app
        .ok(
            Some(&claimant),
            "query($id: ID!) { dialogue(id: $id) { id } myIssues { totalCount } myDialogues { totalCount } }",
            json!({ "id": private }),
        )
        .await;
    assert!(seen["dialogue"].is_null(), "{seen}");
    assert_eq!(seen["myIssues"]["totalCount"], 0);
    assert_eq!(seen["myDialogues"]["totalCount"], 0);
    let b = app
        .gql(Some(&claimant), JOIN, json!({ "id": s.dialogue }))
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    assert!(
        b["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("xác nhận"),
        "{b}"
    );
    // Only an admin confirms an account for its business, and may withdraw it: the same token
    // then sees the household's dialogue, then no longer.
    const CONFIRM: &str = "mutation($id: ID!, $c: Boolean) { confirmBusinessAccount(id: $id, confirmed: $c) { businessConfirmed } }";
    for token in [&claimant, &s.stp, &s.demo_biz] {
        let b = app
            .gql(Some(token), CONFIRM, json!({ "id": claimant_id }))
            .await;
        assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    }
    const ROLE: &str = "query($id: ID!) { dialogue(id: $id) { myRole } }";
    app.ok(Some(&admin), CONFIRM, json!({ "id": claimant_id }))
        .await;
    let r = app
        .ok(Some(&claimant), ROLE, json!({ "id": private }))
        .await;
    assert_eq!(r["dialogue"]["myRole"], "PARTICIPANT");
    app.ok(
        Some(&admin),
        CONFIRM,
        json!({ "id": claimant_id, "c": false }),
    )
    .await;
    let r = app
        .ok(Some(&claimant), ROLE, json!({ "id": private }))
        .await;
    assert!(r["dialogue"].is_null(), "withdrawn at once: {r}");

    // Nor does it rate the household's dossiers without their rating code, until confirmed.
    let procedure = app.procedure_id("2.000488").await;
    app.ok(
        Some(&s.stp),
        "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code } }",
        json!({ "i": { "code": "HKD-DT-1", "unit": stp_id, "procedure": procedure, "filerKind": "BUSINESS",
                       "taxCode": HOUSEHOLD_TAX, "receivedAt": "2026-11-02T09:00:00+07:00" } }),
    )
    .await;
    app.complete_dossier(&s.stp, "HKD-DT-1").await;
    const RATE: &str = "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified } }";
    let rating = json!({ "i": { "dossierCode": "HKD-DT-1", "scores": [{ "component": "ACCESS", "score": 2 }] } });
    let b = app.gql(Some(&claimant), RATE, rating.clone()).await;
    assert_eq!(error_code(&b), "FORBIDDEN", "{b}");
    // A household's number is no key for strangers to try against the dialogues.
    let b = app
        .gql(
            None,
            "query($t: String) { dialogues(filter: { business: $t }) { totalCount } }",
            json!({ "t": HOUSEHOLD_TAX }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let staff = app
        .ok(
            Some(&s.stp),
            "query($t: String) { dialogues(filter: { business: $t }) { totalCount } }",
            json!({ "t": HOUSEHOLD_TAX }),
        )
        .await;
    assert_eq!(staff["dialogues"]["totalCount"], 2);

    // The host records the household's issue, routed to the ward: it is the household's, not
    // the official's, and its number shows to the host only.
    let issue = id(&app
        .ok(
            Some(&s.stp),
            RAISE,
            json!({ "d": private, "i": { "business": HOUSEHOLD_TAX, "unit": cholon, "title": "Hướng dẫn đăng ký thay đổi",
                    "body": "Cần hướng dẫn thủ tục thay đổi địa điểm kinh doanh.",
                    "contact": { "name": "Nguyễn Văn Bảy", "phone": "0977123456" } } }),
        )
        .await["raiseDialogueIssue"]);
    let mine = app
        .ok(
            Some(&s.stp),
            "{ myIssues { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(
        !mine.to_string().contains(&issue),
        "not the recording official's: {mine}"
    );
    let b = app
        .gql(
            Some(&s.stp),
            "mutation($i: RateComplaintAnswerInput!) { rateComplaintAnswer(input: $i) { status } }",
            json!({ "i": { "id": issue, "satisfied": true } }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    let raised_by = |token: String| {
        let private = private.clone();
        let issue = issue.clone();
        async move {
            let d = app
                .ok(
                    Some(&token),
                    "query($id: ID!) { dialogue(id: $id) { issues { complaint { id } raisedBy { name taxCode } } } }",
                    json!({ "id": private }),
                )
                .await;
            d["dialogue"]["issues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["complaint"]["id"] == issue.as_str() || i["complaint"].is_null())
                .cloned()
                .unwrap_or_else(|| panic!("{d}"))["raisedBy"]
                .clone()
        }
    };
    assert_eq!(raised_by(s.stp.clone()).await["taxCode"], HOUSEHOLD_TAX);
    let ward = raised_by(s.q5.clone()).await;
    assert_eq!(ward["name"], "Hộ kinh doanh Nguyễn Văn Bảy");
    assert!(ward["taxCode"].is_null(), "{ward}");

    // A dialogue the caller may not see is not confirmed to exist by its issues.
    for token in [None, Some(claimant.as_str())] {
        let r = app
            .ok(
                token,
                "query($d: ID) { searchComplaints(filter: { dialogue: $d }) { totalCount } complaints(filter: { dialogue: $d }) { totalCount } }",
                json!({ "d": private }),
            )
            .await;
        assert_eq!(r["searchComplaints"]["totalCount"], 0);
        assert_eq!(r["complaints"]["totalCount"], 0);
    }

    // Another unit's complaint, published, cannot be pulled into one's own dialogue.
    for m in [
        "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
        "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Sở đã bổ sung cán bộ.\") { published } }",
    ] {
        app.ok(Some(&s.stp), m, json!({ "id": s.linked })).await;
    }
    let ward_dialogue = id(&app
        .ok(
            Some(&s.q5),
            SCHEDULE,
            json!({ "i": { "kind": "PERIODIC", "title": "Đối thoại của phường", "topic": "Chung",
                           "hostUnit": cholon, "startsAt": soon(), "online": true } }),
        )
        .await["scheduleDialogue"]);
    let b = app
        .gql(
            Some(&s.q5),
            LINK,
            json!({ "d": ward_dialogue, "c": s.linked }),
        )
        .await;
    assert_eq!(error_code(&b), "FORBIDDEN");

    // An anonymous replay of a business's keyed request gets nothing of it.
    let keyed = json!({ "d": private, "i": { "title": "Phí chứng thực", "body": "Mức phí chưa rõ.",
                        "idempotencyKey": "nen-mot-lan" } });
    let first = app.ok(Some(&s.demo_biz), RAISE, keyed.clone()).await;
    let replay = app.gql(None, RAISE, keyed).await;
    assert_eq!(error_code(&replay), "UNAUTHENTICATED");
    assert!(replay["data"].is_null(), "{replay}");
    assert!(
        !replay
            .to_string()
            .contains(first["raiseDialogueIssue"]["code"].as_str().unwrap())
    );

    // A merged duplicate's commitments follow the matter to its original.
    let dup = id(&app
        .ok(
            Some(&s.demo_biz),
            RAISE,
            json!({ "d": private, "i": { "title": "Vẫn chậm phiếu lý lịch tư pháp", "body": "Như đã nêu." } }),
        )
        .await["raiseDialogueIssue"]);
    let k = id(&app
        .ok(
            Some(&s.stp),
            COMMIT,
            json!({ "c": dup, "i": { "unit": stp_id, "text": "Trả lời doanh nghiệp", "dueOn": today_plus(7) } }),
        )
        .await["recordCommitment"]);
    app.ok(
        Some(&s.stp),
        "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status } }",
        json!({ "id": dup, "of": s.linked }),
    )
    .await;
    let ks = app
        .ok(
            Some(&admin),
            "query($a: ID!, $b: ID!) { a: complaint(id: $a) { commitments { id } } b: complaint(id: $b) { commitments { id } } }",
            json!({ "a": s.linked, "b": dup }),
        )
        .await;
    assert!(ks["a"]["commitments"].to_string().contains(&k), "{ks}");
    assert_eq!(ks["b"]["commitments"], json!([]));

    // A participant's counts add up, hidden issues included.
    let c = app
        .ok(Some(&s.q5), DIALOGUE, json!({ "id": s.dialogue }))
        .await["dialogue"]["counts"]
        .clone();
    let n = |k: &str| c[k].as_u64().unwrap();
    assert_eq!(
        n("issues"),
        n("openIssues") + n("resolvedIssues") + n("duplicates") + n("rejectedIssues"),
        "{c}"
    );

    // Lists inside lists weigh what they may hold: a query nesting them is refused up front.
    let b = app
        .gql(
            Some(&admin),
            "{ dialogues(first: 30) { edges { node { issues { complaint { dialogues { issues { complaint { code } } } } } } } } }",
            json!({}),
        )
        .await;
    assert!(
        b["errors"][0]["extensions"]["cost"].as_u64().unwrap_or(0) > 5000,
        "{b}"
    );
}
