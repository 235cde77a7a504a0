//! Demo dialogues: Sở Tư pháp's periodic dialogue of last quarter, closed with its minutes, and
//! a thematic dialogue of phường Chợ Lớn on land and household-business procedures, held and
//! being followed up; businesses (a company, a branch-less company, a household business with a
//! personal number), issues raised and linked, and commitments in every state: kept on time,
//! kept late, overdue and open. Seeded once: nothing is added when a dialogue exists.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::commitment::{self, Status as CommitmentStatus};
use entity::complaint::{self, Category, Kind as ComplaintKind, Status as ComplaintStatus};
use entity::dialogue::{self, Kind, Status};
use entity::{complaint_event, dialogue_business, dialogue_issue, dialogue_unit, unit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::businesses::{self, TaxCode};
use crate::search::IndexKind;

/// The demo businesses: (tax code, name). The first is the demo business account's.
pub const BUSINESSES: &[(&str, &str)] = &[
    (crate::seed::DEMO_TAX_CODE, "Công ty TNHH Góp Ý Demo"),
    (
        "0301234562",
        "Công ty Cổ phần Xây dựng Chợ Lớn (dữ liệu mẫu)",
    ),
    (
        "079185012345",
        "Hộ kinh doanh Tạp hóa Bình Tây (dữ liệu mẫu)",
    ),
];

async fn unit_by_code(db: &DatabaseConnection, code: &str) -> anyhow::Result<Option<unit::Model>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::Code.eq(code))
        .one(db)
        .await?)
}

/// A demo commitment: the issue it is on (by position), the unit, what, the day due, and when
/// it was done.
type DemoCommitment<'a> = (usize, &'a str, &'a str, NaiveDate, Option<DateTime<Utc>>);

struct Issue<'a> {
    business: usize,
    unit: &'a str,
    category: Category,
    title: &'a str,
    body: &'a str,
    status: ComplaintStatus,
    answer: Option<&'a str>,
}

/// Seeds the two demo dialogues; returns how many were created (0 when any exists, or when
/// the demo units are missing).
pub async fn seed(
    db: &DatabaseConnection,
    cal: &crate::calendar::Calendar,
) -> anyhow::Result<usize> {
    if dialogue::Entity::find().count(db).await? > 0 {
        return Ok(0);
    }
    let (Some(stp), Some(cholon)) = (
        unit_by_code(db, "STP").await?,
        unit_by_code(db, "P.CHOLON").await?,
    ) else {
        return Ok(0);
    };
    let snv = unit_by_code(db, "SNV").await?;
    let now = crate::clock::now();
    let today = crate::clock::today();
    let txn = crate::db::begin(db).await?;
    let mut biz = Vec::new();
    for (tax, name) in BUSINESSES {
        let t = TaxCode::parse(tax)?;
        biz.push(businesses::find_or_create(&txn, &t, name).await?.0);
    }

    // 1. Sở Tư pháp, periodic, last quarter: closed, public, minutes public.
    let periodic = new_dialogue(
        Kind::Periodic,
        "Đối thoại doanh nghiệp định kỳ quý III/2026 (dữ liệu mẫu)",
        "Thủ tục công chứng, chứng thực và cấp phiếu lý lịch tư pháp cho doanh nghiệp",
        &stp.id,
        now - Duration::days(70),
        Some("Hội trường Sở Tư pháp, 141–143 Pasteur, phường Xuân Hòa"),
        true,
        Status::Closed,
        Some(
            "Biên bản (dữ liệu mẫu): Sở Tư pháp tiếp nhận 2 kiến nghị của doanh nghiệp; \
             cam kết rút ngắn thời gian cấp phiếu lý lịch tư pháp và công khai danh mục giấy tờ chứng thực.",
        ),
    );
    // 2. Phường Chợ Lớn, thematic, ten days ago: held, invitation only; Sở Tư pháp invited.
    let thematic = new_dialogue(
        Kind::Thematic,
        "Đối thoại chuyên đề thủ tục đất đai và đăng ký hộ kinh doanh (dữ liệu mẫu)",
        "Cấp giấy chứng nhận quyền sử dụng đất (sổ đỏ), đăng ký hộ kinh doanh, giấy phép xây dựng",
        &cholon.id,
        now - Duration::days(10),
        Some("Trụ sở UBND phường Chợ Lớn"),
        false,
        Status::Held,
        None,
    );
    for d in [&periodic, &thematic] {
        dialogue::ActiveModel::from(d.clone()).insert(&txn).await?;
    }
    let mut invited = vec![(periodic.id.clone(), cholon.id.clone())];
    invited.push((thematic.id.clone(), stp.id.clone()));
    if let Some(snv) = &snv {
        invited.push((periodic.id.clone(), snv.id.clone()));
    }
    for (d, u) in invited {
        dialogue_unit::ActiveModel::from(dialogue_unit::Model {
            dialogue_id: d,
            unit_id: u,
        })
        .insert(&txn)
        .await?;
    }
    let parts: [(&dialogue::Model, usize, &str); 5] = [
        (&periodic, 0, super::INVITED),
        (&periodic, 1, super::REGISTERED),
        (&thematic, 0, super::INVITED),
        (&thematic, 1, super::INVITED),
        (&thematic, 2, super::INVITED),
    ];
    for (d, b, origin) in parts {
        dialogue_business::ActiveModel::from(dialogue_business::Model {
            dialogue_id: d.id.clone(),
            business_id: biz[b].id.clone(),
            origin: origin.to_string(),
            contact_name: Some(representative(&biz[b])),
            contact_phone: Some(demo_phone(&biz[b])),
            contact_email: None,
            agenda: Some("Thời gian giải quyết thủ tục và giấy tờ phải nộp (dữ liệu mẫu).".into()),
            created_at: d.created_at,
        })
        .insert(&txn)
        .await?;
    }

    let issues_periodic = [
        Issue {
            business: 0,
            unit: &stp.id,
            category: Category::LateProcessing,
            title: "Phiếu lý lịch tư pháp cho người lao động cấp chậm",
            body: "Doanh nghiệp đề nghị rút ngắn thời gian cấp phiếu lý lịch tư pháp số 1 cho người lao động tuyển mới (dữ liệu mẫu).",
            status: ComplaintStatus::Answered,
            answer: Some(
                "Sở Tư pháp đã bố trí thêm nhân sự, rút thời gian cấp phiếu còn 7 ngày làm việc (dữ liệu mẫu).",
            ),
        },
        Issue {
            business: 1,
            unit: &stp.id,
            category: Category::ExtraDocuments,
            title: "Yêu cầu nộp thêm bản sao khi chứng thực hợp đồng",
            body: "Doanh nghiệp phản ánh một số nơi yêu cầu nộp thêm bản sao giấy tờ ngoài danh mục khi chứng thực (dữ liệu mẫu).",
            status: ComplaintStatus::Closed,
            answer: Some(
                "Sở Tư pháp đã công khai danh mục giấy tờ và chấn chỉnh các tổ chức hành nghề (dữ liệu mẫu).",
            ),
        },
    ];
    let issues_thematic = [
        Issue {
            business: 2,
            unit: &cholon.id,
            category: Category::Guidance,
            title: "Hướng dẫn đăng ký hộ kinh doanh bằng số định danh cá nhân",
            body: "Hộ kinh doanh đề nghị hướng dẫn dùng số định danh cá nhân làm mã số thuế khi đăng ký thay đổi (dữ liệu mẫu).",
            status: ComplaintStatus::Accepted,
            answer: None,
        },
        Issue {
            business: 1,
            unit: &cholon.id,
            category: Category::LateProcessing,
            title: "Cấp sổ đỏ cho nhà xưởng trễ hẹn",
            body: "Hồ sơ cấp giấy chứng nhận quyền sử dụng đất cho nhà xưởng đã quá hẹn mà chưa có phiếu xin lỗi (dữ liệu mẫu).",
            status: ComplaintStatus::Received,
            answer: None,
        },
    ];
    let mut ids = Vec::new();
    for (d, issues) in [
        (&periodic, &issues_periodic[..]),
        (&thematic, &issues_thematic[..]),
    ] {
        for i in issues {
            let id = insert_issue(&txn, cal, d, &biz[i.business], i).await?;
            ids.push(id);
        }
    }
    // An earlier complaint about phường Chợ Lớn, linked to the thematic dialogue.
    if let Some(earlier) = complaint::Entity::find()
        .filter(complaint::Column::AssignedUnitId.eq(cholon.id.as_str()))
        .filter(complaint::Column::Source.eq(crate::complaints::SOURCE_PORTAL))
        .order_by_asc(complaint::Column::ReceivedAt)
        .one(&txn)
        .await?
    {
        dialogue_issue::ActiveModel::from(dialogue_issue::Model {
            dialogue_id: thematic.id.clone(),
            complaint_id: earlier.id.clone(),
            origin: super::LINKED.to_string(),
            business_id: None,
            created_by: "demo".into(),
            created_at: thematic.starts_at,
        })
        .insert(&txn)
        .await?;
        ids.push(earlier.id);
    }
    // Commitments in every state.
    let day = |d: i64| today + Duration::days(d);
    let commitments: [DemoCommitment; 5] = [
        (
            0,
            &stp.id,
            "Rút thời gian cấp phiếu lý lịch tư pháp số 1 còn 7 ngày làm việc",
            day(-40),
            Some(now - Duration::days(45)),
        ),
        (
            1,
            &stp.id,
            "Công khai danh mục giấy tờ chứng thực tại các tổ chức hành nghề công chứng",
            day(-50),
            Some(now - Duration::days(30)),
        ),
        (
            2,
            &cholon.id,
            "Tổ chức buổi hướng dẫn đăng ký hộ kinh doanh cho các hộ trên địa bàn",
            day(-3),
            None,
        ),
        (
            3,
            &cholon.id,
            "Giải quyết dứt điểm hồ sơ cấp giấy chứng nhận và gửi phiếu xin lỗi",
            day(20),
            None,
        ),
        (
            3,
            &stp.id,
            "Phối hợp rà soát hồ sơ đăng ký biện pháp bảo đảm liên quan",
            day(30),
            None,
        ),
    ];
    for (n, (issue, unit_id, text, due_on, done)) in commitments.into_iter().enumerate() {
        let Some(complaint_id) = ids.get(issue) else {
            continue;
        };
        let due_at = super::commitments::due_at(cal, due_on);
        commitment::ActiveModel::from(commitment::Model {
            id: uuid::Uuid::now_v7().to_string(),
            complaint_id: complaint_id.clone(),
            unit_id: unit_id.to_string(),
            text: format!("{text} (dữ liệu mẫu)"),
            due_on,
            due_at,
            status: if done.is_some() {
                CommitmentStatus::Done
            } else {
                CommitmentStatus::Open
            },
            done_at: done,
            evidence: done.map(|_| format!("Văn bản số {}/STP-HCTP (dữ liệu mẫu)", 100 + n)),
            recorded_by: "demo".into(),
            recorded_at: now - Duration::days(60),
            completed_by: done.map(|_| "demo".to_string()),
        })
        .insert(&txn)
        .await?;
    }
    crate::search::outbox::enqueue(&txn, IndexKind::Complaints, &ids).await?;
    crate::search::outbox::enqueue(
        &txn,
        IndexKind::Dialogues,
        &[periodic.id.clone(), thematic.id.clone()],
    )
    .await?;
    txn.commit().await?;
    Ok(2)
}

/// The demo contact person of a business.
fn representative(b: &entity::business::Model) -> String {
    format!("Người đại diện {}", b.name)
}

/// A demo phone number of a business: 090 and the last seven digits of its tax code.
fn demo_phone(b: &entity::business::Model) -> String {
    let digits: String = b.tax_code.chars().filter(char::is_ascii_digit).collect();
    format!("090{}", &digits[digits.len().saturating_sub(7)..])
}

#[allow(clippy::too_many_arguments)]
fn new_dialogue(
    kind: Kind,
    title: &str,
    topic: &str,
    host: &str,
    starts_at: DateTime<Utc>,
    location: Option<&str>,
    public: bool,
    status: Status,
    minutes: Option<&str>,
) -> dialogue::Model {
    let created = starts_at - Duration::days(21);
    dialogue::Model {
        id: uuid::Uuid::now_v7().to_string(),
        kind,
        title: title.to_string(),
        topic: topic.to_string(),
        search_text: super::search_text(title, topic),
        host_unit_id: host.to_string(),
        starts_at,
        location: location.map(str::to_string),
        online: false,
        public,
        status,
        held_at: (status != Status::Planned).then_some(starts_at),
        closed_at: (status == Status::Closed).then(|| starts_at + Duration::days(3)),
        minutes: minutes.map(str::to_string),
        minutes_internal: false,
        cancelled_at: None,
        cancel_reason: None,
        created_by: "demo".into(),
        created_at: created,
        updated_at: starts_at,
    }
}

async fn insert_issue(
    txn: &sea_orm::DatabaseTransaction,
    cal: &crate::calendar::Calendar,
    d: &dialogue::Model,
    business: &entity::business::Model,
    i: &Issue<'_>,
) -> anyhow::Result<String> {
    use sea_orm::ActiveEnum;
    let at = d.starts_at + Duration::hours(1);
    let id = uuid::Uuid::now_v7().to_string();
    let code = crate::complaints::code::generate();
    let answered = i.answer.is_some();
    let answer_due = cal.deadline(at, 10);
    let answered_at = answered.then(|| at + Duration::days(6));
    let m = complaint::Model {
        kind: ComplaintKind::Feedback,
        category: i.category,
        title: format!("[Dữ liệu mẫu] {}", i.title),
        body: i.body.to_string(),
        search_text: crate::complaints::searchable_text(i.title, i.body, &code),
        contact_name: representative(business),
        contact_phone: Some(demo_phone(business)),
        status: i.status,
        forward_due_at: cal.deadline(at, crate::complaints::FORWARD_DAYS),
        answer_due_at: answer_due,
        accepted_at: (i.status != ComplaintStatus::Received).then_some(at + Duration::hours(4)),
        answer: i.answer.map(str::to_string),
        answered_at,
        answered_late: answered_at.map(|a| a > answer_due),
        published: answered,
        published_at: answered_at,
        closed_at: (i.status == ComplaintStatus::Closed).then_some(at + Duration::days(9)),
        filer_satisfied: (i.status == ComplaintStatus::Closed).then_some(true),
        source: crate::complaints::SOURCE_DIALOGUE.into(),
        business_id: Some(business.id.clone()),
        updated_at: at,
        ..crate::complaints::received(id.clone(), code, i.unit, at)
    };
    complaint::ActiveModel::from(m).insert(txn).await?;
    complaint_event::ActiveModel::from(complaint_event::Model {
        id: uuid::Uuid::now_v7().to_string(),
        complaint_id: id.clone(),
        at,
        action: "FILED".into(),
        actor_subject: Some("demo".into()),
        actor_role: Some("OFFICIAL".into()),
        from_status: None,
        to_status: ComplaintStatus::Received.to_value(),
        from_unit_id: None,
        to_unit_id: None,
        note: Some("Nêu tại đối thoại doanh nghiệp.".into()),
    })
    .insert(txn)
    .await?;
    dialogue_issue::ActiveModel::from(dialogue_issue::Model {
        dialogue_id: d.id.clone(),
        complaint_id: id.clone(),
        origin: super::RAISED.to_string(),
        business_id: Some(business.id.clone()),
        created_by: "demo".into(),
        created_at: at,
    })
    .insert(txn)
    .await?;
    Ok(id)
}
