//! Synthetic feedback for the demo units: dossiers, ratings and complaints, so that every query
//! shows something in GraphiQL. Everything here is marked synthetic: dossier codes start with
//! `DEMO-`, complaint titles with `[Dữ liệu mẫu]`, and no official score is invented.

use chrono::{Duration, TimeZone, Utc};
use entity::complaint::{self, Category, Kind, Status};
use entity::dossier::{self, FilerKind};
use entity::rating::{self, Channel};
use entity::rating_score::{self, Component};
use entity::{complaint_event, procedure_unit, unit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, Iterable, PaginatorTrait, QueryFilter,
};

use crate::calendar::Calendar;
use crate::clock::city_offset;

/// Units that get synthetic feedback, with how well each is made to do (0–1).
const UNITS: &[(&str, f64)] = &[
    ("STP", 0.92),
    ("SKHDT", 0.85),
    ("SXD", 0.7),
    ("SGTVT", 0.8),
    ("SLDTBXH", 0.78),
    ("SYT", 0.75),
    ("CHQ", 0.88),
    ("CT", 0.82),
    ("BHXH", 0.72),
    ("Q1", 0.8),
    ("Q5", 0.65),
    ("QBTA", 0.9),
    ("TPTD", 0.76),
    ("HBC", 0.7),
    // Wards since 1 July 2025.
    ("P.CHOLON", 0.74),
    ("P.BENTHANH", 0.87),
    ("P.BINHTAN", 0.9),
];

const COMPLAINTS: &[(Kind, Category, &str, &str)] = &[
    (
        Kind::Feedback,
        Category::LateProcessing,
        "Hồ sơ đăng ký trễ hẹn nhưng chưa nhận được phiếu xin lỗi",
        "Tôi nộp hồ sơ đúng hạn, đến ngày hẹn vẫn chưa có kết quả và không được thông báo lý do.",
    ),
    (
        Kind::Feedback,
        Category::ExtraDocuments,
        "Bị yêu cầu nộp thêm giấy tờ ngoài quy định",
        "Cán bộ tiếp nhận yêu cầu bổ sung bản sao có chứng thực dù thủ tục đã cho phép nộp bản chụp.",
    ),
    (
        Kind::Feedback,
        Category::OfficialConduct,
        "Thái độ tiếp dân chưa đúng mực tại bộ phận một cửa",
        "Cán bộ trả lời cộc lốc và không hướng dẫn cách hoàn thiện hồ sơ.",
    ),
    (
        Kind::Feedback,
        Category::OnlineSystem,
        "Cổng dịch vụ công trực tuyến báo lỗi khi nộp hồ sơ",
        "Hệ thống báo lỗi khi tải tệp đính kèm, tôi đã thử nhiều lần trong hai ngày.",
    ),
    (
        Kind::Petition,
        Category::Regulation,
        "Kiến nghị rút ngắn thời hạn giải quyết thủ tục",
        "Đề nghị xem xét rút ngắn thời hạn giải quyết vì phần lớn hồ sơ đơn giản.",
    ),
    (
        Kind::Feedback,
        Category::Guidance,
        "Hướng dẫn thủ tục trên cổng thông tin chưa rõ ràng",
        "Thành phần hồ sơ ghi trên cổng thông tin khác với hướng dẫn tại quầy.",
    ),
    (
        Kind::Feedback,
        Category::Fees,
        "Thu phí không đúng biểu phí niêm yết",
        "Tôi được yêu cầu nộp lệ phí cao hơn mức niêm yết tại trụ sở.",
    ),
];

/// Seeds synthetic feedback once (skipped when synthetic dossiers exist). Returns the counts of
/// dossiers, ratings and complaints created.
pub async fn seed(
    db: &DatabaseConnection,
    cal: &Calendar,
) -> anyhow::Result<(usize, usize, usize)> {
    let existing = dossier::Entity::find()
        .filter(dossier::Column::Code.starts_with("DEMO-"))
        .count(db)
        .await?;
    if existing > 0 {
        return Ok((0, 0, 0));
    }
    let mut rng = StdRng::seed_from_u64(2022);
    let now = crate::clock::now();
    let mut dossiers = Vec::new();
    let mut ratings = Vec::new();
    let mut scores = Vec::new();
    let mut complaints = Vec::new();
    let mut events = Vec::new();

    for (code, quality) in UNITS {
        let Some(u) = unit::Entity::find()
            .filter(unit::Column::Code.eq(*code))
            .one(db)
            .await?
        else {
            continue;
        };
        // A unit's feedback falls within its lifetime: the half-year before it ended, or
        // before now.
        let end = match u.valid_to {
            Some(t) => crate::calendar::at_close(t).min(now),
            None => now,
        };
        let procs: Vec<String> = procedure_unit::Entity::find()
            .filter(procedure_unit::Column::UnitId.eq(u.id.as_str()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| p.procedure_id)
            .collect();
        if procs.is_empty() {
            continue;
        }
        let days_of: std::collections::HashMap<String, i32> = entity::procedure::Entity::find()
            .filter(entity::procedure::Column::Id.is_in(procs.clone()))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.processing_days))
            .collect();
        for n in 1..=40 {
            let pid = procs[rng.random_range(0..procs.len())].clone();
            let days_ago = rng.random_range(1..180);
            let local_day = (end - Duration::days(days_ago))
                .with_timezone(&city_offset())
                .date_naive();
            let received = city_offset()
                .from_local_datetime(
                    &local_day
                        .and_hms_opt(rng.random_range(8..16), rng.random_range(0..60), 0)
                        .unwrap(),
                )
                .single()
                .unwrap()
                .with_timezone(&Utc);
            let due = cal.deadline(
                received,
                days_of.get(&pid).copied().unwrap_or(5).max(0) as u32,
            );
            let on_time = rng.random_bool(*quality);
            let completed = if due < now || rng.random_bool(0.6) {
                let at = if on_time {
                    received + (due - received) * rng.random_range(30..95) / 100
                } else {
                    due + Duration::hours(rng.random_range(2..240))
                };
                (at <= now).then_some(at)
            } else {
                None
            };
            let late = completed.map_or(due < now, |c| c > due);
            let apology = late && rng.random_bool(0.5);
            let id = uuid::Uuid::now_v7().to_string();
            dossiers.push(dossier::ActiveModel::from(dossier::Model {
                id: id.clone(),
                code: format!("DEMO-{code}-{n:04}"),
                procedure_id: pid.clone(),
                unit_id: u.id.clone(),
                filer_kind: if n % 4 == 0 {
                    FilerKind::Business
                } else {
                    FilerKind::Citizen
                },
                tax_code: (n % 4 == 0).then(|| crate::seed::DEMO_TAX_CODE.to_string()),
                received_at: received,
                original_due_at: due,
                due_at: if apology {
                    due + Duration::days(5)
                } else {
                    due
                },
                completed_at: completed,
                online: n % 3 == 0,
                due_given: false,
                counts_from: Some(received.with_timezone(&city_offset()).date_naive()),
                apology_at_handover: false,
                delay_excused_at: None,
                delay_excuse_reason: None,
                delay_excused_by: None,
                apology_issued_at: apology
                    .then(|| due - Duration::hours(rng.random_range(-48..30))),
                apology_reason: apology
                    .then(|| "Hồ sơ cần lấy ý kiến cơ quan liên quan (dữ liệu mẫu).".to_string()),
                apology_late: apology.then(|| rng.random_bool(0.3)),
                apology_by: apology.then(|| "demo".to_string()),
                recorded_by: "demo".into(),
                // Synthetic dossiers are rated here, never through a receipt.
                rating_code_hash: None,
                excuse_accepted: false,
                created_at: received,
                updated_at: completed.unwrap_or(received),
            }));
            // Most returned results get rated; quality drives the scores.
            if let Some(done) = completed
                && rng.random_bool(0.7)
            {
                let rid = uuid::Uuid::now_v7().to_string();
                let at = done + Duration::hours(rng.random_range(1..48)).min(now - done);
                ratings.push(rating::ActiveModel::from(rating::Model {
                    client_hash: None,
                    id: rid.clone(),
                    dossier_id: Some(id.clone()),
                    unit_id: u.id.clone(),
                    procedure_id: Some(pid.clone()),
                    verified: true,
                    channel: if rng.random_bool(0.5) {
                        Channel::Mobile
                    } else {
                        Channel::Web
                    },
                    comment: None,
                    rater_account_id: None,
                    idempotency_key: None,
                    month: crate::ratings::month_of(at),
                    created_at: at,
                }));
                for c in Component::iter() {
                    if c == Component::FeedbackHandling && rng.random_bool(0.7) {
                        continue; // most raters have not given feedback: left unanswered
                    }
                    let good = rng.random_bool(*quality);
                    scores.push(rating_score::ActiveModel::from(rating_score::Model {
                        rating_id: rid.clone(),
                        component: c,
                        score: if good {
                            rng.random_range(4..=5)
                        } else {
                            rng.random_range(1..=3)
                        },
                    }));
                }
            }
        }
        // A few kiosk ratings: unverified, reported apart.
        for _ in 0..5 {
            let rid = uuid::Uuid::now_v7().to_string();
            let at = end - Duration::days(rng.random_range(1..90));
            ratings.push(rating::ActiveModel::from(rating::Model {
                client_hash: None,
                id: rid.clone(),
                dossier_id: None,
                unit_id: u.id.clone(),
                procedure_id: None,
                verified: false,
                channel: Channel::Kiosk,
                comment: Some("Đánh giá tại quầy (dữ liệu mẫu).".into()),
                rater_account_id: None,
                idempotency_key: None,
                month: crate::ratings::month_of(at),
                created_at: at,
            }));
            scores.push(rating_score::ActiveModel::from(rating_score::Model {
                rating_id: rid,
                component: Component::Official,
                score: rng.random_range(3..=5),
            }));
        }
        // Complaints in every stage of their lifecycle.
        for (i, (kind, category, title, body)) in COMPLAINTS.iter().enumerate().take(4) {
            let k = (i + code.len()) % COMPLAINTS.len();
            let (kind, category, title, body) = if i % 2 == 0 {
                (*kind, *category, *title, *body)
            } else {
                COMPLAINTS[k]
            };
            let received = end - Duration::days(rng.random_range(1..60));
            let status = [
                Status::Received,
                Status::Accepted,
                Status::Answered,
                Status::Closed,
            ][i % 4];
            let id = uuid::Uuid::now_v7().to_string();
            let answered = matches!(status, Status::Answered | Status::Closed);
            let answer_due = cal.deadline(received, 10);
            let answered_at = answered.then(|| received + Duration::days(rng.random_range(1..12)));
            complaints.push(complaint::ActiveModel::from(complaint::Model {
                id: id.clone(),
                code: crate::complaints::code::generate(),
                kind,
                category,
                unit_id: u.id.clone(),
                assigned_unit_id: u.id.clone(),
                procedure_id: None,
                dossier_id: None,
                title: format!("[Dữ liệu mẫu] {title}"),
                body: body.to_string(),
                contact_name: "Người dân (dữ liệu mẫu)".into(),
                contact_phone: Some(format!("09{:08}", rng.random_range(0..100_000_000u32))),
                contact_email: None,
                filer_account_id: None,
                status,
                received_at: received,
                forward_due_at: cal.deadline(received, crate::complaints::FORWARD_DAYS),
                answer_due_at: answer_due,
                accepted_at: (status != Status::Received).then_some(received + Duration::hours(4)),
                forwarded_at: None,
                answer: answered.then(|| "Đơn vị đã kiểm tra, chấn chỉnh và hướng dẫn người dân hoàn thiện hồ sơ (dữ liệu mẫu).".to_string()),
                answered_at,
                answered_late: answered_at.map(|a| a > answer_due),
                published: answered,
                published_at: answered_at,
                rejection_reason: None,
                legal_track: None,
                legal_track_source: None,
                filer_confirmed_feedback: false,
                duplicate_of_id: None,
                filer_satisfied: (status == Status::Closed).then_some(true),
                filer_comment: None,
                reopen_count: 0,
                closed_at: (status == Status::Closed).then_some(received + Duration::days(14)),
                idempotency_key: None,
                updated_at: received,
                search_text: crate::search::text::fallback_text(&format!("[Dữ liệu mẫu] {title}"), body, &[]),
                source: crate::complaints::SOURCE_PORTAL.into(),
                business_id: None,
                anonymised_at: None,
                restricted_at: None,
                notice_version: None,
                contact_lang: None,
            }));
            let _ = (kind, category);
            let steps: &[(&str, Option<Status>, Status)] = &[
                ("FILED", None, Status::Received),
                ("ACCEPTED", Some(Status::Received), Status::Accepted),
                ("ANSWERED", Some(Status::Accepted), Status::Answered),
                ("RATED", Some(Status::Answered), Status::Closed),
            ];
            for (j, (action, from, to)) in steps.iter().take(i % 4 + 1).enumerate() {
                use sea_orm::ActiveEnum;
                events.push(complaint_event::ActiveModel::from(complaint_event::Model {
                    id: uuid::Uuid::now_v7().to_string(),
                    complaint_id: id.clone(),
                    at: received + Duration::hours(4 * j as i64),
                    action: action.to_string(),
                    actor_subject: Some("demo".into()),
                    actor_role: Some(
                        if j == 0 || j == 3 {
                            "FILER"
                        } else {
                            "OFFICIAL"
                        }
                        .into(),
                    ),
                    from_status: from.map(|s| s.to_value()),
                    to_status: to.to_value(),
                    from_unit_id: None,
                    to_unit_id: None,
                    note: None,
                }));
            }
        }
    }
    let counts = (dossiers.len(), ratings.len(), complaints.len());
    for chunk in dossiers.chunks(200) {
        dossier::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    for chunk in ratings.chunks(200) {
        rating::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    for chunk in scores.chunks(500) {
        rating_score::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    let meta: std::collections::HashMap<&String, (&String, &String, bool)> = ratings
        .iter()
        .map(|r| {
            (
                r.id.as_ref(),
                (r.unit_id.as_ref(), r.month.as_ref(), *r.verified.as_ref()),
            )
        })
        .collect();
    let answers: Vec<crate::ratings::tally::Answer> = scores
        .iter()
        .filter_map(|s| {
            let (unit_id, month, verified) = meta.get(s.rating_id.as_ref())?;
            Some(crate::ratings::tally::Answer {
                unit_id,
                month,
                verified: *verified,
                component: *s.component.as_ref(),
                score: *s.score.as_ref(),
            })
        })
        .collect();
    crate::ratings::tally::add(db, &answers).await?;
    for chunk in complaints.chunks(100) {
        complaint::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    for chunk in events.chunks(200) {
        complaint_event::Entity::insert_many(chunk.to_vec())
            .exec(db)
            .await?;
    }
    Ok(counts)
}
