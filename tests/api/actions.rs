//! `allowedActions` per caller: for every kind (complaints, dossiers, dialogues, commitments),
//! every role reads what it may do to an item in a given state, then takes each action offered
//! on an item in the same state and sees it succeed; the kind's other actions are not offered.
//! Mutations go through the small helpers below, so that a renamed argument is changed in one
//! place.

use std::sync::atomic::Ordering;

use chrono::Duration;
use portal::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{OFFICE_ADDR, TestApp, error_code};

const DEMO_TAX: &str = "0100109106";
const OTHER_TAX: &str = "0310987650";
/// The phone an anonymous filer gives, and proves themselves with.
const ANON_PHONE: &str = "0903123456";

fn now_plus(hours: i64) -> String {
    (portal::clock::now() + Duration::hours(hours)).to_rfc3339()
}

fn ago(days: i64) -> String {
    (portal::clock::now() - Duration::days(days)).to_rfc3339()
}

fn today_plus(days: i64) -> String {
    (portal::clock::today() + Duration::days(days)).to_string()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_string()
}

/// The actions offered, as their names; `None` when the item itself was not shown.
fn actions(v: &Value) -> Option<Vec<String>> {
    if v.is_null() {
        return None;
    }
    Some(
        v["allowedActions"]
            .as_array()
            .unwrap_or_else(|| panic!("no allowedActions in {v}"))
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect(),
    )
}

/// Who reads and acts: a token (or none), the contact an anonymous filer proves themselves
/// with, the unit they commit for, the dialogue they link complaints to.
#[derive(Clone, Default)]
struct Who {
    name: &'static str,
    token: Option<String>,
    contact: Option<&'static str>,
    unit: Option<String>,
    dialogue: Option<String>,
}

impl Who {
    fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }
}

/// The demo data, the callers and the units and dialogues the scenes use.
struct Scene {
    app: TestApp,
    anonymous: Who,
    anon_filer: Who,
    citizen: Who,
    other_citizen: Who,
    demo_biz: Who,
    other_biz: Who,
    /// Official of phường Chợ Lớn: the unit complaints are assigned to and dossiers kept at.
    q5: Who,
    /// Official of Sở Tư pháp: another unit, or a dialogue's host.
    stp: Who,
    /// An official of phường Bến Thành, which has nothing to do with anything here.
    outsider: Who,
    evaluator: Who,
    admin: Who,
    cholon: String,
    stp_unit: String,
    benthanh: String,
    /// A public dialogue Sở Tư pháp hosts today, with phường Chợ Lớn and the demo business.
    stp_dialogue: String,
    /// Makes each anonymous filing come from an address of its own.
    filings: std::sync::atomic::AtomicU32,
}

async fn register(app: &TestApp, username: &str, business: Option<&str>) -> (String, String) {
    let mut i = json!({ "username": username, "password": "mat-khau-dai-du-12",
                        "displayName": format!("Tài khoản {username}"),
                        "email": format!("{username}@example.vn") });
    if let Some(tax) = business {
        i["business"] = json!({ "taxCode": tax, "name": "Công ty CP Xây dựng Chợ Lớn" });
    }
    let r = app
        .ok(
            None,
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken account { id } } }",
            json!({ "i": i }),
        )
        .await["register"]
        .clone();
    (
        r["accessToken"].as_str().unwrap().to_string(),
        id(&r["account"]),
    )
}

async fn scene() -> Scene {
    // Many items are filed here, by the same few callers: the hourly limits are not the test.
    let app = TestApp::spawn_configured(|c| {
        c.anonymous_submissions_per_hour = 10_000;
        c.account_submissions_per_hour = 10_000;
        // Statements are counted server-wide: no notification worker polling beside them.
        c.notify.worker = false;
    })
    .await;
    let admin = app.admin().await;
    let q5 = app.login("q5.canbo", "gopy-official-demo").await;
    let stp = app.login("stp.canbo", "gopy-official-demo").await;
    let evaluator = app.login("snv.danhgia", "gopy-evaluator-demo").await;
    let citizen = app.login("nguyenvana", "gopy-citizen-demo").await;
    let demo_biz = app.login("congty.demo", "gopy-business-demo").await;
    let outsider = app.script_token(Role::Official, Some("P.BENTHANH")).await;
    let (other_citizen, _) = register(&app, "congdan.khac", None).await;
    let (other_biz, account) = register(&app, "xaydung.cholon", Some(OTHER_TAX)).await;
    let confirmed = app
        .ok(
            Some(&admin),
            "mutation($id: ID!) { confirmBusinessAccount(id: $id) { businessConfirmed } }",
            json!({ "id": account }),
        )
        .await;
    assert_eq!(
        confirmed["confirmBusinessAccount"]["businessConfirmed"],
        true
    );
    let cholon = app.unit_id("P.CHOLON").await;
    let stp_unit = app.unit_id("STP").await;
    let benthanh = app.unit_id("P.BENTHANH").await;
    let stp_dialogue = schedule(
        &app,
        &stp,
        &stp_unit,
        &now_plus(1),
        true,
        &[cholon.as_str()],
        &[DEMO_TAX],
    )
    .await;
    // The ward's own dialogue, where its officials (and admins) bring the complaints they
    // handle and the demo business its own.
    let ward_dialogue = schedule(&app, &q5, &cholon, &now_plus(2), true, &[], &[DEMO_TAX]).await;
    let who = |name: &'static str, token: &str| Who {
        name,
        token: Some(token.to_string()),
        ..Default::default()
    };
    Scene {
        anonymous: Who {
            name: "anonymous",
            ..Default::default()
        },
        anon_filer: Who {
            name: "anonymous filer",
            contact: Some(ANON_PHONE),
            ..Default::default()
        },
        citizen: who("citizen", &citizen),
        other_citizen: who("another citizen", &other_citizen),
        demo_biz: Who {
            dialogue: Some(ward_dialogue.clone()),
            ..who("business", &demo_biz)
        },
        other_biz: who("another business", &other_biz),
        q5: Who {
            unit: Some(cholon.clone()),
            dialogue: Some(ward_dialogue.clone()),
            ..who("official of phường Chợ Lớn", &q5)
        },
        stp: Who {
            unit: Some(stp_unit.clone()),
            dialogue: Some(stp_dialogue.clone()),
            ..who("official of Sở Tư pháp", &stp)
        },
        outsider: Who {
            unit: Some(benthanh.clone()),
            ..who("official of phường Bến Thành", &outsider)
        },
        evaluator: who("evaluator", &evaluator),
        admin: Who {
            unit: Some(cholon.clone()),
            dialogue: Some(ward_dialogue.clone()),
            ..who("admin", &admin)
        },
        app,
        cholon,
        stp_unit,
        benthanh,
        stp_dialogue,
        filings: Default::default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Complaints

const COMPLAINT_FIELDS: &str = "id code status allowedActions";

async fn file_complaint(s: &Scene, by: &Who, unit: &str, title: &str) -> (String, String) {
    let q = format!(
        "mutation($i: FileComplaintInput!) {{ fileComplaint(input: $i) {{ {COMPLAINT_FIELDS} }} }}"
    );
    let vars = json!({ "i": { "kind": "FEEDBACK", "category": "LATE_PROCESSING", "unit": unit,
                              "title": title,
                              "body": "Hồ sơ của tôi quá hạn mười ngày mà chưa có kết quả.",
                              "contact": { "name": "Lê Thị C", "phone": ANON_PHONE } } });
    let n = s.filings.fetch_add(1, Ordering::SeqCst);
    let addr = format!("198.51.100.{}", n % 250 + 1);
    let (_, b) = s
        .app
        .gql_full(by.token(), &q, vars, &[("x-forwarded-for", addr.as_str())])
        .await;
    assert!(b.get("errors").is_none(), "filing failed: {b}");
    let c = &b["data"]["fileComplaint"];
    (id(c), c["code"].as_str().unwrap().to_string())
}

async fn accept_complaint(s: &Scene, by: &Who, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!) { acceptComplaint(id: $id) { status } }",
            json!({ "id": c }),
        )
        .await["acceptComplaint"]
        .clone()
}

async fn answer_complaint(s: &Scene, by: &Who, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!) { answerComplaint(id: $id, answer: \"Đơn vị đã giải quyết và xin lỗi.\") { status published } }",
            json!({ "id": c }),
        )
        .await["answerComplaint"]
        .clone()
}

async fn reject_complaint(s: &Scene, by: &Who, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!) { rejectComplaint(id: $id, reason: OUT_OF_SCOPE) { status } }",
            json!({ "id": c }),
        )
        .await["rejectComplaint"]
        .clone()
}

async fn assign_complaint(s: &Scene, by: &Who, c: &str, unit: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!, $u: ID!) { assignComplaint(id: $id, unit: $u) { status assignedUnit { code } } }",
            json!({ "id": c, "u": unit }),
        )
        .await["assignComplaint"]
        .clone()
}

async fn mark_duplicate(s: &Scene, by: &Who, c: &str, of: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!, $of: ID!) { markDuplicate(id: $id, of: $of) { status duplicateOf { id } } }",
            json!({ "id": c, "of": of }),
        )
        .await["markDuplicate"]
        .clone()
}

async fn classify_complaint(s: &Scene, by: &Who, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!) { classifyComplaint(id: $id, track: COMPLAINT) { legalTrack { track decidedByOfficial } } }",
            json!({ "id": c }),
        )
        .await["classifyComplaint"]
        .clone()
}

async fn close_complaint(s: &Scene, by: &Who, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($id: ID!) { closeComplaint(id: $id) { status } }",
            json!({ "id": c }),
        )
        .await["closeComplaint"]
        .clone()
}

async fn rate_answer(s: &Scene, by: &Who, c: &str, satisfied: bool) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($i: RateComplaintAnswerInput!) { rateComplaintAnswer(input: $i) { status reopenCount filerSatisfied } }",
            json!({ "i": { "id": c, "contact": by.contact, "satisfied": satisfied } }),
        )
        .await["rateComplaintAnswer"]
        .clone()
}

async fn link_complaint(s: &Scene, by: &Who, dialogue: &str, c: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($d: ID!, $c: ID!) { linkComplaintToDialogue(dialogue: $d, complaint: $c) { id dialogues { id } } }",
            json!({ "d": dialogue, "c": c }),
        )
        .await["linkComplaintToDialogue"]
        .clone()
}

async fn record_commitment(s: &Scene, by: &Who, c: &str, unit: &str) -> Value {
    s.app
        .ok(
            by.token(),
            "mutation($c: ID!, $i: RecordCommitmentInput!) { recordCommitment(complaint: $c, input: $i) { id status unit { id } } }",
            json!({ "c": c, "i": { "unit": unit, "text": "Trả lời doanh nghiệp bằng văn bản", "dueOn": today_plus(10) } }),
        )
        .await["recordCommitment"]
        .clone()
}

/// Who filed a complaint of a scene.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Filer {
    Anonymous,
    Citizen,
    /// The demo business, through the portal.
    Business,
    /// The demo business, at Sở Tư pháp's dialogue, routed to phường Chợ Lớn.
    AtDialogue,
}

/// A complaint about phường Chợ Lớn in a given state.
#[derive(Clone, Copy, Debug)]
struct ComplaintScene {
    filer: Filer,
    /// RECEIVED, ACCEPTED, ANSWERED (published), REOPENED (answered again after the filer
    /// reopened it once), DUPLICATE.
    state: &'static str,
}

impl Scene {
    async fn make_complaint(&self, k: ComplaintScene) -> (String, String) {
        let (c, code) = match k.filer {
            Filer::Anonymous => {
                file_complaint(self, &self.anonymous, &self.cholon, "Hồ sơ trễ hẹn").await
            }
            Filer::Citizen => {
                file_complaint(self, &self.citizen, &self.cholon, "Hồ sơ trễ hẹn").await
            }
            Filer::Business => {
                file_complaint(self, &self.demo_biz, &self.cholon, "Giấy phép trễ hẹn").await
            }
            Filer::AtDialogue => {
                let r =
                    raise_issue(self, &self.demo_biz, &self.stp_dialogue, Some(&self.cholon)).await;
                (id(&r), r["code"].as_str().unwrap().to_string())
            }
        };
        match k.state {
            "RECEIVED" => {}
            "ACCEPTED" => {
                accept_complaint(self, &self.q5, &c).await;
            }
            "ANSWERED" | "REOPENED" => {
                accept_complaint(self, &self.q5, &c).await;
                assert_eq!(
                    answer_complaint(self, &self.q5, &c).await,
                    json!({ "status": "ANSWERED", "published": true })
                );
                if k.state == "REOPENED" {
                    let filer = self.filer_of(k.filer);
                    let r = rate_answer(self, filer, &c, false).await;
                    assert_eq!(r["status"], "ACCEPTED");
                    assert_eq!(r["reopenCount"], 1);
                    answer_complaint(self, &self.q5, &c).await;
                }
            }
            "DUPLICATE" => {
                let (original, _) = file_complaint(self, &self.citizen, &self.cholon, "Gốc").await;
                mark_duplicate(self, &self.q5, &c, &original).await;
            }
            other => panic!("no complaint state {other}"),
        }
        (c, code)
    }

    fn filer_of(&self, f: Filer) -> &Who {
        match f {
            Filer::Anonymous => &self.anon_filer,
            Filer::Citizen => &self.citizen,
            Filer::Business | Filer::AtDialogue => &self.demo_biz,
        }
    }

    /// The complaint as `who` reads it: by id, or by its tracking code and the contact given
    /// when filing for an anonymous filer.
    async fn read_complaint(&self, who: &Who, c: &str, code: &str) -> Value {
        match who.contact {
            Some(contact) => {
                self.app
                    .ok(
                        None,
                        &format!("query($c: String!, $k: String) {{ complaintByCode(code: $c, contact: $k) {{ {COMPLAINT_FIELDS} }} }}"),
                        json!({ "c": code, "k": contact }),
                    )
                    .await["complaintByCode"]
                    .clone()
            }
            None => {
                self.app
                    .ok(
                        who.token(),
                        &format!("query($id: ID!) {{ complaint(id: $id) {{ {COMPLAINT_FIELDS} }} }}"),
                        json!({ "id": c }),
                    )
                    .await["complaint"]
                    .clone()
            }
        }
    }

    /// Takes `action` as `who` on the complaint `c` and checks what came back.
    async fn perform_complaint(&self, who: &Who, action: &str, c: &str) {
        let ctx = format!("{} taking {action}", who.name);
        match action {
            "ACCEPT" => assert_eq!(
                accept_complaint(self, who, c).await["status"],
                "ACCEPTED",
                "{ctx}"
            ),
            "ANSWER" => assert_eq!(
                answer_complaint(self, who, c).await["status"],
                "ANSWERED",
                "{ctx}"
            ),
            "REJECT" => assert_eq!(
                reject_complaint(self, who, c).await["status"],
                "REJECTED",
                "{ctx}"
            ),
            "ASSIGN" => {
                let r = assign_complaint(self, who, c, &self.benthanh).await;
                assert_eq!(
                    r,
                    json!({ "status": "RECEIVED", "assignedUnit": { "code": "P.BENTHANH" } }),
                    "{ctx}"
                );
            }
            "MARK_DUPLICATE" => {
                let (original, _) =
                    file_complaint(self, &self.citizen, &self.cholon, "Cùng vụ việc").await;
                let r = mark_duplicate(self, who, c, &original).await;
                assert_eq!(
                    r,
                    json!({ "status": "DUPLICATE", "duplicateOf": { "id": original } }),
                    "{ctx}"
                );
            }
            "CLASSIFY" => {
                let r = classify_complaint(self, who, c).await;
                assert_eq!(
                    r["legalTrack"],
                    json!({ "track": "COMPLAINT", "decidedByOfficial": true }),
                    "{ctx}"
                );
            }
            "CLOSE" => assert_eq!(
                close_complaint(self, who, c).await["status"],
                "CLOSED",
                "{ctx}"
            ),
            "RATE_ANSWER" => {
                let r = rate_answer(self, who, c, true).await;
                assert_eq!(r["status"], "CLOSED", "{ctx}");
                assert_eq!(r["filerSatisfied"], true, "{ctx}");
            }
            "LINK_TO_DIALOGUE" => {
                let d = who.dialogue.as_deref().expect("a dialogue to link to");
                let r = link_complaint(self, who, d, c).await;
                assert!(
                    r["dialogues"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|x| x["id"] == d),
                    "{ctx}: {r}"
                );
            }
            "RECORD_COMMITMENT" => {
                let unit = who.unit.as_deref().expect("a unit to commit for");
                let r = record_commitment(self, who, c, unit).await;
                assert_eq!(r["status"], "OPEN", "{ctx}");
                assert_eq!(r["unit"]["id"], unit, "{ctx}");
            }
            other => panic!("no complaint action {other}"),
        }
    }

    /// `who` reads a complaint of scene `k` and is offered `want` (`None`: it is not shown to
    /// them); each action offered succeeds when `who` takes it on another complaint of the same
    /// scene.
    async fn complaint_case(&self, k: ComplaintScene, who: &Who, want: Option<&[&str]>) {
        let (c, code) = self.make_complaint(k).await;
        let got = actions(&self.read_complaint(who, &c, &code).await);
        let want: Option<Vec<String>> = want.map(|w| w.iter().map(|a| a.to_string()).collect());
        assert_eq!(got, want, "{} reading a complaint of {k:?}", who.name);
        for action in want.unwrap_or_default() {
            let (c, code) = self.make_complaint(k).await;
            // The same is offered on the twin the action is taken on.
            assert!(
                actions(&self.read_complaint(who, &c, &code).await)
                    .is_some_and(|a| a.contains(&action)),
                "{} on a twin of {k:?}: {action}",
                who.name
            );
            self.perform_complaint(who, &action, &c).await;
        }
    }
}

const HANDLER_OPEN_RECEIVED: &[&str] = &[
    "ACCEPT",
    "REJECT",
    "ASSIGN",
    "MARK_DUPLICATE",
    "CLASSIFY",
    "LINK_TO_DIALOGUE",
    "RECORD_COMMITMENT",
];
const HANDLER_OPEN_ACCEPTED: &[&str] = &[
    "ANSWER",
    "REJECT",
    "ASSIGN",
    "MARK_DUPLICATE",
    "CLASSIFY",
    "LINK_TO_DIALOGUE",
    "RECORD_COMMITMENT",
];
const HANDLER_ANSWERED: &[&str] = &["CLASSIFY", "CLOSE", "LINK_TO_DIALOGUE", "RECORD_COMMITMENT"];

#[tokio::test]
async fn an_open_complaint_offers_its_handling_to_its_unit_and_admins_only() {
    let s = scene().await;
    let received = ComplaintScene {
        filer: Filer::Anonymous,
        state: "RECEIVED",
    };
    // Unpublished: neither anonymous callers nor another unit see it at all.
    s.complaint_case(received, &s.anonymous, None).await;
    s.complaint_case(received, &s.stp, None).await;
    s.complaint_case(received, &s.other_citizen, None).await;
    // Its filer sees it, with nothing to do yet; the evaluator reads it only.
    s.complaint_case(received, &s.anon_filer, Some(&[])).await;
    s.complaint_case(received, &s.evaluator, Some(&[])).await;
    s.complaint_case(received, &s.q5, Some(HANDLER_OPEN_RECEIVED))
        .await;
    s.complaint_case(received, &s.admin, Some(HANDLER_OPEN_RECEIVED))
        .await;

    let accepted = ComplaintScene {
        filer: Filer::Citizen,
        state: "ACCEPTED",
    };
    s.complaint_case(accepted, &s.citizen, Some(&[])).await;
    s.complaint_case(accepted, &s.q5, Some(HANDLER_OPEN_ACCEPTED))
        .await;
    s.complaint_case(accepted, &s.outsider, None).await;

    // A duplicate is settled: it is only reclassified; links and commitments go to its
    // original.
    let duplicate = ComplaintScene {
        filer: Filer::Citizen,
        state: "DUPLICATE",
    };
    s.complaint_case(duplicate, &s.q5, Some(&["CLASSIFY"]))
        .await;
    s.complaint_case(duplicate, &s.citizen, Some(&[])).await;
}

#[tokio::test]
async fn an_answered_complaint_offers_the_rating_to_its_filer_only() {
    let s = scene().await;
    let by_citizen = ComplaintScene {
        filer: Filer::Citizen,
        state: "ANSWERED",
    };
    // Published: everyone reads it; only the filer rates the answer.
    s.complaint_case(by_citizen, &s.anonymous, Some(&[])).await;
    s.complaint_case(by_citizen, &s.citizen, Some(&["RATE_ANSWER"]))
        .await;
    s.complaint_case(by_citizen, &s.other_citizen, Some(&[]))
        .await;
    s.complaint_case(by_citizen, &s.demo_biz, Some(&[])).await;
    s.complaint_case(by_citizen, &s.stp, Some(&[])).await;
    s.complaint_case(by_citizen, &s.evaluator, Some(&[])).await;
    s.complaint_case(by_citizen, &s.q5, Some(HANDLER_ANSWERED))
        .await;
    s.complaint_case(by_citizen, &s.admin, Some(HANDLER_ANSWERED))
        .await;

    // An anonymous filer proves themselves with the phone given; without it, they are anyone.
    let by_anonymous = ComplaintScene {
        filer: Filer::Anonymous,
        state: "ANSWERED",
    };
    s.complaint_case(by_anonymous, &s.anon_filer, Some(&["RATE_ANSWER"]))
        .await;
    s.complaint_case(by_anonymous, &s.anonymous, Some(&[]))
        .await;

    // The reopening is once only, the rating is not: reopened and answered again, the answer
    // is rated again.
    let reopened = ComplaintScene {
        filer: Filer::Anonymous,
        state: "REOPENED",
    };
    s.complaint_case(reopened, &s.anon_filer, Some(&["RATE_ANSWER"]))
        .await;
    let (c, code) = s.make_complaint(reopened).await;
    let r = rate_answer(&s, &s.anon_filer, &c, false).await;
    assert_eq!(
        r,
        json!({ "status": "ANSWERED", "reopenCount": 1, "filerSatisfied": false }),
        "no second reopening"
    );
    assert_eq!(
        actions(&s.read_complaint(&s.anon_filer, &c, &code).await),
        Some(vec!["RATE_ANSWER".to_string()])
    );

    // A business that filed through the portal also brings its complaint to a dialogue it
    // takes part in; another business reads the published answer only.
    let by_business = ComplaintScene {
        filer: Filer::Business,
        state: "ANSWERED",
    };
    s.complaint_case(
        by_business,
        &s.demo_biz,
        Some(&["RATE_ANSWER", "LINK_TO_DIALOGUE"]),
    )
    .await;
    s.complaint_case(by_business, &s.other_biz, Some(&[])).await;
    s.complaint_case(by_business, &s.citizen, Some(&[])).await;
}

#[tokio::test]
async fn an_issue_raised_at_a_dialogue_is_committed_to_by_the_units_involved() {
    let s = scene().await;
    let raised = ComplaintScene {
        filer: Filer::AtDialogue,
        state: "ANSWERED",
    };
    // The business taking part rates and links its issue; one not taking part reads it.
    s.complaint_case(
        raised,
        &s.demo_biz,
        Some(&["RATE_ANSWER", "LINK_TO_DIALOGUE"]),
    )
    .await;
    s.complaint_case(raised, &s.other_biz, Some(&[])).await;
    // The host unit does not handle it but is involved in the matter: it commits.
    s.complaint_case(raised, &s.stp, Some(&["RECORD_COMMITMENT"]))
        .await;
    // A unit with nothing to do with it reads the published answer.
    s.complaint_case(raised, &s.outsider, Some(&[])).await;
    s.complaint_case(raised, &s.q5, Some(HANDLER_ANSWERED))
        .await;
    s.complaint_case(raised, &s.evaluator, Some(&[])).await;

    // Before the answer, the host does not see another unit's unpublished issue.
    let open = ComplaintScene {
        filer: Filer::AtDialogue,
        state: "RECEIVED",
    };
    s.complaint_case(open, &s.stp, None).await;
    s.complaint_case(open, &s.demo_biz, Some(&["LINK_TO_DIALOGUE"]))
        .await;
}

// ---------------------------------------------------------------------------------------------
// Dossiers

const DOSSIER_FIELDS: &str = "code status late apologyStatus rated allowedActions";

async fn record_dossier(s: &Scene, code: &str, received_at: &str) -> Value {
    let procedure = s.app.procedure_id("1.001193").await;
    let d = s
        .app
        .ok(
            s.q5.token(),
            "mutation($i: RecordDossierInput!) { recordDossier(input: $i) { code ratingCode } }",
            json!({ "i": { "code": code, "unit": s.cholon, "procedure": procedure,
                           "filerKind": "BUSINESS", "taxCode": DEMO_TAX, "receivedAt": received_at } }),
        )
        .await;
    s.app.keep_receipt(&d["recordDossier"]);
    d["recordDossier"].clone()
}

async fn read_dossier(s: &Scene, who: &Who, code: &str) -> Value {
    s.app
        .ok(
            who.token(),
            &format!(
                "query($c: String!) {{ dossier: dossierByCode(code: $c) {{ {DOSSIER_FIELDS} }} }}"
            ),
            json!({ "c": code }),
        )
        .await["dossier"]
        .clone()
}

async fn complete_dossier(s: &Scene, who: &Who, code: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($c: ID!) { completeDossier(id: $c) { status } }",
            json!({ "c": s.app.dossier_id(code).await }),
        )
        .await["completeDossier"]
        .clone()
}

async fn issue_apology(s: &Scene, who: &Who, code: &str, new_due_at: Option<String>) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($c: ID!, $n: DateTime) { issueApology(id: $c, reason: \"Hồ sơ cần xác minh thêm.\", newDueAt: $n) { apologyStatus apology { atHandover } } }",
            json!({ "c": s.app.dossier_id(code).await, "n": new_due_at }),
        )
        .await["issueApology"]
        .clone()
}

async fn excuse_delay(s: &Scene, who: &Who, code: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($c: ID!) { excuseDelay(id: $c, reason: \"Người nộp hẹn bổ sung giấy tờ.\") { apologyStatus delayExcuse { reason } } }",
            json!({ "c": s.app.dossier_id(code).await }),
        )
        .await["excuseDelay"]
        .clone()
}

/// Rates a dossier as `who`, from the addresses `headers` say; returns the whole answer.
async fn rate_dossier_from(s: &Scene, who: &Who, code: &str, headers: &[(&str, &str)]) -> Value {
    s.app
        .gql_full(
            who.token(),
            "mutation($i: SubmitRatingInput!) { submitRating(input: $i) { verified scores { component score } } }",
            json!({ "i": { "dossierCode": code, "scores": [ { "component": "RESULT", "score": 5 } ] } }),
            headers,
        )
        .await
        .1
}

async fn rate_dossier(s: &Scene, who: &Who, code: &str) -> Value {
    let b = rate_dossier_from(s, who, code, &[]).await;
    assert!(b.get("errors").is_none(), "rating failed: {b}");
    b["data"]["submitRating"].clone()
}

impl Scene {
    /// A dossier of the demo business at phường Chợ Lớn (a one-day procedure) in `state`:
    /// OPEN (received now), LATE (open, received three weeks ago), COMPLETED_LATE,
    /// COMPLETED (on time), RATED (on time, rated by the business), APOLOGISED (late, with an
    /// apology and a new appointment), EXCUSED (late, its delay excused).
    async fn make_dossier(&self, state: &str) -> String {
        let n = self.filings.fetch_add(1, Ordering::SeqCst);
        let code = format!("ACT-{state}-{n}");
        let received = match state {
            "OPEN" | "COMPLETED" | "RATED" => portal::clock::now().to_rfc3339(),
            _ => ago(21),
        };
        record_dossier(self, &code, &received).await;
        match state {
            "OPEN" | "LATE" => {}
            "COMPLETED" | "RATED" | "COMPLETED_LATE" => {
                complete_dossier(self, &self.q5, &code).await;
                if state == "RATED" {
                    rate_dossier(self, &self.demo_biz, &code).await;
                }
            }
            "APOLOGISED" => {
                issue_apology(self, &self.q5, &code, Some(now_plus(240))).await;
            }
            "EXCUSED" => {
                excuse_delay(self, &self.q5, &code).await;
            }
            other => panic!("no dossier state {other}"),
        }
        code
    }

    async fn perform_dossier(&self, who: &Who, action: &str, code: &str) {
        let ctx = format!("{} taking {action}", who.name);
        let d = read_dossier(self, &self.admin, code).await;
        match action {
            "COMPLETE" => assert_eq!(
                complete_dossier(self, who, code).await["status"],
                "COMPLETED",
                "{ctx}"
            ),
            "ISSUE_APOLOGY" => {
                let open = d["status"] == "OPEN";
                let r = issue_apology(self, who, code, open.then(|| now_plus(240))).await;
                // After completion it is the unit's word of an apology at hand-over: it waits
                // for the evaluator, counted late meanwhile.
                assert_eq!(r["apology"]["atHandover"], false, "{ctx}: {r}");
                if !open {
                    assert_eq!(r["apologyStatus"], "LATE", "{ctx}: {r}");
                }
            }
            "EXCUSE_DELAY" => {
                let r = excuse_delay(self, who, code).await;
                assert_eq!(
                    r["delayExcuse"]["reason"], "Người nộp hẹn bổ sung giấy tờ.",
                    "{ctx}"
                );
            }
            "RATE" => {
                let r = rate_dossier(self, who, code).await;
                assert_eq!(r["verified"], true, "{ctx}");
                assert_eq!(read_dossier(self, who, code).await["rated"], true, "{ctx}");
            }
            other => panic!("no dossier action {other}"),
        }
    }

    async fn dossier_case(&self, state: &str, who: &Who, want: &[&str]) {
        let code = self.make_dossier(state).await;
        let got = actions(&read_dossier(self, who, &code).await);
        let want: Vec<String> = want.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            got,
            Some(want.clone()),
            "{} reading a {state} dossier",
            who.name
        );
        for action in want {
            let code = self.make_dossier(state).await;
            self.perform_dossier(who, &action, &code).await;
        }
    }
}

#[tokio::test]
async fn a_dossier_offers_its_record_to_its_unit_and_the_rating_to_the_business_that_filed_it() {
    let s = scene().await;
    // Open and not late: completed, or apologised for ahead of a foreseen delay.
    for who in [&s.q5, &s.admin] {
        s.dossier_case("OPEN", who, &["COMPLETE", "ISSUE_APOLOGY"])
            .await;
    }
    for who in [
        &s.anonymous,
        &s.citizen,
        &s.demo_biz,
        &s.other_biz,
        &s.stp,
        &s.evaluator,
    ] {
        s.dossier_case("OPEN", who, &[]).await;
    }
    // Late: its delay may be excused instead.
    for who in [&s.q5, &s.admin] {
        s.dossier_case("LATE", who, &["COMPLETE", "EXCUSE_DELAY", "ISSUE_APOLOGY"])
            .await;
    }
    s.dossier_case("LATE", &s.demo_biz, &[]).await;
    // The appointment is reset once: after an apology, or an excuse, only the completion
    // remains.
    s.dossier_case("APOLOGISED", &s.q5, &["COMPLETE"]).await;
    s.dossier_case("EXCUSED", &s.q5, &["COMPLETE"]).await;

    // Completed late: an apology at hand-over or an excuse; the business rates it.
    for who in [&s.q5, &s.admin] {
        s.dossier_case("COMPLETED_LATE", who, &["EXCUSE_DELAY", "ISSUE_APOLOGY"])
            .await;
    }
    s.dossier_case("COMPLETED_LATE", &s.demo_biz, &["RATE"])
        .await;
    for who in [&s.anonymous, &s.citizen, &s.other_biz, &s.stp, &s.evaluator] {
        s.dossier_case("COMPLETED_LATE", who, &[]).await;
    }
    // Completed on time: nothing to apologise for; rated once.
    s.dossier_case("COMPLETED", &s.q5, &[]).await;
    s.dossier_case("COMPLETED", &s.demo_biz, &["RATE"]).await;
    s.dossier_case("RATED", &s.demo_biz, &[]).await;

    // From an address the ward's officials just used, the business is neither offered the
    // rating nor let rate.
    let code = s.make_dossier("COMPLETED").await;
    let office = [("x-forwarded-for", OFFICE_ADDR)];
    let (_, seen) = s
        .app
        .gql_full(
            s.demo_biz.token(),
            "query($c: String!) { dossier: dossierByCode(code: $c) { allowedActions } }",
            json!({ "c": code }),
            &office,
        )
        .await;
    assert_eq!(
        seen["data"]["dossier"]["allowedActions"],
        json!([]),
        "{seen}"
    );
    let b = rate_dossier_from(&s, &s.demo_biz, &code, &office).await;
    assert_eq!(error_code(&b), "FORBIDDEN");
    // From its own, it is offered the rating again.
    assert_eq!(
        actions(&read_dossier(&s, &s.demo_biz, &code).await),
        Some(vec!["RATE".to_string()])
    );
}

// ---------------------------------------------------------------------------------------------
// Dialogues

const DIALOGUE_FIELDS: &str = "id status title myRole allowedActions";

async fn schedule(
    app: &TestApp,
    token: &str,
    host: &str,
    starts_at: &str,
    public: bool,
    units: &[&str],
    businesses: &[&str],
) -> String {
    let businesses: Vec<Value> = businesses.iter().map(|t| json!({ "taxCode": t })).collect();
    let d = app
        .ok(
            Some(token),
            &format!("mutation($i: ScheduleDialogueInput!) {{ scheduleDialogue(input: $i) {{ {DIALOGUE_FIELDS} }} }}"),
            json!({ "i": { "kind": "THEMATIC", "title": "Đối thoại về chứng thực", "topic": "Giấy tờ khi chứng thực",
                           "hostUnit": host, "startsAt": starts_at, "location": "141 Pasteur",
                           "public": public, "units": units, "businesses": businesses } }),
        )
        .await;
    id(&d["scheduleDialogue"])
}

async fn read_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            &format!("query($id: ID!) {{ dialogue(id: $id) {{ {DIALOGUE_FIELDS} }} }}"),
            json!({ "id": d }),
        )
        .await["dialogue"]
        .clone()
}

async fn update_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { updateDialogue(id: $id, input: { title: \"Đối thoại (dời địa điểm)\" }) { title } }",
            json!({ "id": d }),
        )
        .await["updateDialogue"]
        .clone()
}

async fn invite_to_dialogue(s: &Scene, who: &Who, d: &str, unit: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!, $u: ID!) { inviteToDialogue(id: $id, units: [$u]) { units { id } } }",
            json!({ "id": d, "u": unit }),
        )
        .await["inviteToDialogue"]
        .clone()
}

async fn hold_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { holdDialogue(id: $id) { status } }",
            json!({ "id": d }),
        )
        .await["holdDialogue"]
        .clone()
}

async fn close_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { closeDialogue(id: $id, minutes: \"Biên bản cuộc đối thoại.\") { status } }",
            json!({ "id": d }),
        )
        .await["closeDialogue"]
        .clone()
}

async fn cancel_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { cancelDialogue(id: $id, reason: \"Trùng lịch họp.\") { status } }",
            json!({ "id": d }),
        )
        .await["cancelDialogue"]
        .clone()
}

async fn join_dialogue(s: &Scene, who: &Who, d: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { joinDialogue(id: $id, input: { agenda: \"Thời gian chứng thực\" }) { myRole } }",
            json!({ "id": d }),
        )
        .await["joinDialogue"]
        .clone()
}

/// Raises an issue at `d`: a business as itself, the host for the demo business. Routed to
/// `unit` (the host when `None`).
async fn raise_issue(s: &Scene, who: &Who, d: &str, unit: Option<&str>) -> Value {
    let mut i = json!({ "title": "Chứng thực hợp đồng chậm", "body": "Phải chờ ba ngày mới được chứng thực.",
                        "unit": unit });
    if who.token() != s.demo_biz.token() && who.token() != s.other_biz.token() {
        i["business"] = json!(DEMO_TAX);
        i["contact"] = json!({ "name": "Người đại diện", "phone": "0901234567" });
    }
    s.app
        .ok(
            who.token(),
            "mutation($d: ID!, $i: RaiseDialogueIssueInput!) { raiseDialogueIssue(dialogue: $d, input: $i) { id code source dialogues { id } } }",
            json!({ "d": d, "i": i }),
        )
        .await["raiseDialogueIssue"]
        .clone()
}

impl Scene {
    /// A dialogue hosted by Sở Tư pháp in `state`: TODAY (planned, public, starting within
    /// the hour, with phường Chợ Lớn and the demo business), LATER (the same, next week),
    /// EMPTY (planned today, private, nobody invited), HELD, CLOSED.
    async fn make_dialogue(&self, state: &str) -> String {
        let stp = self.stp.token().unwrap();
        let (starts, public, units, businesses): (String, bool, Vec<&str>, Vec<&str>) = match state
        {
            "LATER" => (now_plus(24 * 8), true, vec![&self.cholon], vec![DEMO_TAX]),
            "EMPTY" => (now_plus(1), false, vec![], vec![]),
            _ => (now_plus(1), true, vec![&self.cholon], vec![DEMO_TAX]),
        };
        let d = schedule(
            &self.app,
            stp,
            &self.stp_unit,
            &starts,
            public,
            &units,
            &businesses,
        )
        .await;
        if matches!(state, "HELD" | "CLOSED") {
            hold_dialogue(self, &self.stp, &d).await;
        }
        if state == "CLOSED" {
            close_dialogue(self, &self.stp, &d).await;
        }
        d
    }

    async fn perform_dialogue(&self, who: &Who, action: &str, d: &str) {
        let ctx = format!("{} taking {action}", who.name);
        match action {
            "UPDATE" => assert_eq!(
                update_dialogue(self, who, d).await["title"],
                "Đối thoại (dời địa điểm)",
                "{ctx}"
            ),
            "INVITE" => {
                let r = invite_to_dialogue(self, who, d, &self.benthanh).await;
                assert!(
                    r["units"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|u| u["id"] == self.benthanh.as_str()),
                    "{ctx}: {r}"
                );
            }
            "HOLD" => assert_eq!(hold_dialogue(self, who, d).await["status"], "HELD", "{ctx}"),
            "CLOSE" => assert_eq!(
                close_dialogue(self, who, d).await["status"],
                "CLOSED",
                "{ctx}"
            ),
            "CANCEL" => assert_eq!(
                cancel_dialogue(self, who, d).await["status"],
                "CANCELLED",
                "{ctx}"
            ),
            "JOIN" => assert_eq!(
                join_dialogue(self, who, d).await["myRole"],
                "PARTICIPANT",
                "{ctx}"
            ),
            "RAISE_ISSUE" => {
                let r = raise_issue(self, who, d, None).await;
                assert_eq!(r["source"], "DIALOGUE", "{ctx}");
                assert_eq!(r["dialogues"], json!([{ "id": d }]), "{ctx}");
            }
            "LINK_COMPLAINT" => {
                // The host brings a complaint it handles, a business its own.
                let filer = if who.token() == self.demo_biz.token() {
                    who
                } else {
                    &self.citizen
                };
                let (c, _) = file_complaint(self, filer, &self.stp_unit, "Chứng thực chậm").await;
                let r = link_complaint(self, who, d, &c).await;
                assert_eq!(r["dialogues"], json!([{ "id": d }]), "{ctx}");
            }
            other => panic!("no dialogue action {other}"),
        }
    }

    async fn dialogue_case(&self, state: &str, who: &Who, want: Option<&[&str]>) {
        let d = self.make_dialogue(state).await;
        let got = actions(&read_dialogue(self, who, &d).await);
        let want: Option<Vec<String>> = want.map(|w| w.iter().map(|a| a.to_string()).collect());
        assert_eq!(got, want, "{} reading a {state} dialogue", who.name);
        for action in want.unwrap_or_default() {
            let d = self.make_dialogue(state).await;
            self.perform_dialogue(who, &action, &d).await;
        }
    }
}

#[tokio::test]
async fn a_dialogue_offers_its_running_to_the_host_and_joining_to_businesses() {
    let s = scene().await;
    let host: &[&str] = &[
        "UPDATE",
        "INVITE",
        "HOLD",
        "CANCEL",
        "RAISE_ISSUE",
        "LINK_COMPLAINT",
    ];
    s.dialogue_case("TODAY", &s.stp, Some(host)).await;
    s.dialogue_case("TODAY", &s.admin, Some(host)).await;
    // The business taking part joins (confirms), raises its issues and links its complaints;
    // another business registers itself for the public dialogue.
    s.dialogue_case(
        "TODAY",
        &s.demo_biz,
        Some(&["JOIN", "RAISE_ISSUE", "LINK_COMPLAINT"]),
    )
    .await;
    s.dialogue_case("TODAY", &s.other_biz, Some(&["JOIN"]))
        .await;
    // An invited unit, another unit, the evaluator, citizens and the public only read.
    for who in [&s.q5, &s.outsider, &s.evaluator, &s.citizen, &s.anonymous] {
        s.dialogue_case("TODAY", who, Some(&[])).await;
    }
    // Held on its day, not before.
    s.dialogue_case(
        "LATER",
        &s.stp,
        Some(&[
            "UPDATE",
            "INVITE",
            "CANCEL",
            "RAISE_ISSUE",
            "LINK_COMPLAINT",
        ]),
    )
    .await;
    // Issues are raised for a business taking part: with none, there is nobody to raise for.
    s.dialogue_case(
        "EMPTY",
        &s.stp,
        Some(&["UPDATE", "INVITE", "HOLD", "CANCEL", "LINK_COMPLAINT"]),
    )
    .await;
    s.dialogue_case("EMPTY", &s.demo_biz, None).await;
    // Held: closed with its minutes; invitations, issues and links go on.
    s.dialogue_case(
        "HELD",
        &s.stp,
        Some(&["INVITE", "CLOSE", "RAISE_ISSUE", "LINK_COMPLAINT"]),
    )
    .await;
    s.dialogue_case(
        "HELD",
        &s.demo_biz,
        Some(&["JOIN", "RAISE_ISSUE", "LINK_COMPLAINT"]),
    )
    .await;
    s.dialogue_case("HELD", &s.other_biz, Some(&["JOIN"])).await;
    // Closed: the follow-up goes on through the complaints and their commitments.
    for who in [&s.stp, &s.admin, &s.demo_biz, &s.anonymous] {
        s.dialogue_case("CLOSED", who, Some(&[])).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Commitments

async fn complete_commitment(s: &Scene, who: &Who, k: &str) -> Value {
    s.app
        .ok(
            who.token(),
            "mutation($id: ID!) { completeCommitment(id: $id, evidence: \"Công văn trả lời số 12\") { status evidence } }",
            json!({ "id": k }),
        )
        .await["completeCommitment"]
        .clone()
}

impl Scene {
    /// A commitment of `unit` on an issue the demo business raised at a public dialogue of Sở
    /// Tư pháp, routed to phường Chợ Lớn; the dialogue is closed, so its record is public.
    /// `done`: reported done. Returns (dialogue, complaint, commitment).
    async fn make_commitment(&self, unit: &Who, done: bool) -> (String, String, String) {
        let d = self.make_dialogue("HELD").await;
        let issue = id(&raise_issue(self, &self.demo_biz, &d, Some(&self.cholon)).await);
        close_dialogue(self, &self.stp, &d).await;
        let k = id(&record_commitment(self, unit, &issue, unit.unit.as_deref().unwrap()).await);
        if done {
            complete_commitment(self, unit, &k).await;
        }
        (d, issue, k)
    }

    /// The commitment `k` as `who` reads it in the dialogue's record.
    async fn read_commitment(&self, who: &Who, d: &str, k: &str) -> Value {
        let r = self
            .app
            .ok(
                who.token(),
                "query($id: ID!) { dialogue(id: $id) { issues { commitments { id status allowedActions } } } }",
                json!({ "id": d }),
            )
            .await;
        r["dialogue"]["issues"]
            .as_array()
            .unwrap_or_else(|| panic!("{} does not see the dialogue: {r}", who.name))
            .iter()
            .flat_map(|i| i["commitments"].as_array().unwrap().iter())
            .find(|c| c["id"] == k)
            .cloned()
            .unwrap_or(Value::Null)
    }

    async fn commitment_case(&self, unit: &Who, done: bool, who: &Who, want: &[&str]) {
        let (d, _, k) = self.make_commitment(unit, done).await;
        let got = actions(&self.read_commitment(who, &d, &k).await);
        let want: Vec<String> = want.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            got,
            Some(want.clone()),
            "{} reading a commitment of {}",
            who.name,
            unit.name
        );
        for action in want {
            assert_eq!(action, "COMPLETE");
            let (_, _, k) = self.make_commitment(unit, done).await;
            let r = complete_commitment(self, who, &k).await;
            assert_eq!(
                r,
                json!({ "status": "DONE", "evidence": "Công văn trả lời số 12" }),
                "{} completing",
                who.name
            );
        }
    }
}

#[tokio::test]
async fn a_commitment_is_reported_done_by_the_unit_that_made_it_once() {
    let s = scene().await;
    // The ward committed: its officials and admins report it done.
    for who in [&s.q5, &s.admin] {
        s.commitment_case(&s.q5, false, who, &["COMPLETE"]).await;
    }
    // The host, another unit, the evaluator, the businesses and the public read it.
    for who in [
        &s.stp,
        &s.outsider,
        &s.evaluator,
        &s.demo_biz,
        &s.other_biz,
        &s.citizen,
        &s.anonymous,
    ] {
        s.commitment_case(&s.q5, false, who, &[]).await;
    }
    // The host's own commitment is the host's to report.
    s.commitment_case(&s.stp, false, &s.stp, &["COMPLETE"])
        .await;
    s.commitment_case(&s.stp, false, &s.q5, &[]).await;
    // Reported done: nothing more.
    s.commitment_case(&s.q5, true, &s.q5, &[]).await;

    // The filer of a complaint reads its commitments, with nothing to do: an anonymous filer
    // proved by contact, a citizen by account.
    for filer in [Filer::Anonymous, Filer::Citizen] {
        let (c, code) = s
            .make_complaint(ComplaintScene {
                filer,
                state: "ACCEPTED",
            })
            .await;
        let k = id(&record_commitment(&s, &s.q5, &c, &s.cholon).await);
        let reader = s.filer_of(filer);
        let seen = match reader.contact {
            Some(contact) => {
                s.app
                    .ok(
                        None,
                        "query($c: String!, $k: String) { complaintByCode(code: $c, contact: $k) { commitments { id allowedActions } } }",
                        json!({ "c": code, "k": contact }),
                    )
                    .await["complaintByCode"]
                    .clone()
            }
            None => {
                s.app
                    .ok(
                        reader.token(),
                        "query($id: ID!) { complaint(id: $id) { commitments { id allowedActions } } }",
                        json!({ "id": c }),
                    )
                    .await["complaint"]
                    .clone()
            }
        };
        assert_eq!(
            seen["commitments"],
            json!([{ "id": k, "allowedActions": [] }]),
            "{filer:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Cost

#[tokio::test]
async fn allowed_actions_on_a_page_cost_a_bounded_number_of_statements() {
    let s = scene().await;
    for i in 0..50 {
        let (c, _) = file_complaint(&s, &s.citizen, &s.cholon, &format!("Phản ánh {i}")).await;
        if i % 2 == 0 {
            link_complaint(&s, &s.q5, s.q5.dialogue.as_deref().unwrap(), &c).await;
        }
        record_dossier(&s, &format!("COST-{i}"), &ago(21)).await;
    }
    let complaints =
        "query($f: Int, $u: ID) { complaints(filter: { unit: $u }, first: $f) { edges { node {
        allowedActions commitments { allowedActions } dialogues { allowedActions } } } } }";
    let dossiers = "query($f: Int, $u: ID) { dossiers(filter: { unit: $u, backlog: true }, first: $f) { edges { node { allowedActions } } } }";
    for (what, q) in [("complaints", complaints), ("dossiers", dossiers)] {
        let mut used = Vec::new();
        for first in [5, 50] {
            let before = s.app.state.sql_statements.load(Ordering::SeqCst);
            let b = s
                .app
                .gql(s.q5.token(), q, json!({ "f": first, "u": s.cholon }))
                .await;
            assert!(b.get("errors").is_none(), "{b}");
            let edges = b["data"][what]["edges"].as_array().unwrap();
            assert_eq!(edges.len(), first as usize, "{what}");
            assert!(
                edges
                    .iter()
                    .all(|e| !e["node"]["allowedActions"].as_array().unwrap().is_empty()),
                "the ward's official acts on every one of its {what}: {b}"
            );
            used.push(s.app.state.sql_statements.load(Ordering::SeqCst) - before);
        }
        // About one statement per kind of nested data, whatever the page size: ten times the
        // rows stay far from ten times the statements. (A loaded machine can split a
        // DataLoader batch in two, so the bound is absolute, not a ratio.)
        assert!(
            used[1] <= 25 && used[1] < used[0] * 4,
            "{what}: 5 rows ran {} statements, 50 rows {}",
            used[0],
            used[1]
        );
    }
}
