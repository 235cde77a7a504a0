//! Retention: a set time (`PORTAL_RETAIN_CONTACT_DAYS`, 365 by default) after an item ends,
//! its filer's contact and the personal data in its text are anonymised in place, so that
//! counts, deadlines and the PAR index stay as they were. Every server sweeps; an item is
//! anonymised once, by whichever gets there first (the update names `anonymised_at IS NULL`).

use chrono::{DateTime, Duration, Utc};
use entity::complaint::{self, Status};
use entity::complaint_event;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::Step;
use super::masks::{self, TextField};
use crate::error::AppResult;
use crate::state::AppState;

/// The name an anonymised filer is shown under.
pub const ANONYMISED_NAME: &str = "";

/// Anonymises one item in `txn` unless it already is: the contact goes, the filer's comment
/// goes, and the personal data found in the title, body, answer and event notes is masked for
/// good. Returns whether this call did it. `step` carries who asked (retention or a request).
pub async fn anonymise(
    txn: &impl ConnectionTrait,
    c: &complaint::Model,
    now: DateTime<Utc>,
    step: Step,
    action: &'static str,
) -> AppResult<bool> {
    let d = masks::decisions(txn, &c.id).await?;
    let title = masks::redacted(&c.title, TextField::Title, &d);
    let body = masks::redacted(&c.body, TextField::Body, &d);
    let answer = c
        .answer
        .as_deref()
        .map(|a| masks::redacted(a, TextField::Answer, &d));
    let r = complaint::Entity::update_many()
        .col_expr(complaint::Column::ContactName, Expr::value(ANONYMISED_NAME))
        .col_expr(
            complaint::Column::ContactPhone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            complaint::Column::ContactEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            complaint::Column::FilerComment,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            complaint::Column::SearchText,
            Expr::value(crate::complaints::searchable_text(
                &c.title, &c.body, &c.code,
            )),
        )
        .col_expr(complaint::Column::Title, Expr::value(title))
        .col_expr(complaint::Column::Body, Expr::value(body))
        .col_expr(complaint::Column::Answer, Expr::value(answer))
        .col_expr(complaint::Column::AnonymisedAt, Expr::value(now))
        .col_expr(complaint::Column::UpdatedAt, Expr::value(now))
        .filter(complaint::Column::Id.eq(c.id.clone()))
        .filter(complaint::Column::AnonymisedAt.is_null())
        .exec(txn)
        .await?;
    if r.rows_affected == 0 {
        return Ok(false);
    }
    let events = complaint_event::Entity::find()
        .filter(complaint_event::Column::ComplaintId.eq(c.id.clone()))
        .filter(complaint_event::Column::Note.is_not_null())
        .all(txn)
        .await?;
    for e in events {
        let note = e.note.as_deref().unwrap_or("");
        let found = super::mask::detect(note);
        if !found.is_empty() {
            complaint_event::Entity::update_many()
                .col_expr(
                    complaint_event::Column::Note,
                    Expr::value(super::mask::mask(note, &found)),
                )
                .filter(complaint_event::Column::Id.eq(e.id.clone()))
                .exec(txn)
                .await?;
        }
    }
    super::log(
        txn,
        Step {
            complaint_id: Some(c.id.clone()),
            action,
            ..step
        },
    )
    .await?;
    crate::search::outbox::enqueue(
        txn,
        crate::search::IndexKind::Complaints,
        std::slice::from_ref(&c.id),
    )
    .await?;
    Ok(true)
}

/// The items whose contact is due to go at `now`: ended (closed, rejected, a duplicate, or
/// answered and not contested) more than `days` ago, and not anonymised yet.
fn due_condition(days: u32, now: DateTime<Utc>) -> Condition {
    let cutoff = now - Duration::days(i64::from(days));
    Condition::all()
        .add(complaint::Column::AnonymisedAt.is_null())
        .add(complaint::Column::Status.is_in([
            Status::Closed,
            Status::Rejected,
            Status::Duplicate,
            Status::Answered,
        ]))
        .add(
            Condition::any()
                .add(complaint::Column::ClosedAt.lte(cutoff))
                .add(
                    Condition::all()
                        .add(complaint::Column::ClosedAt.is_null())
                        .add(complaint::Column::AnsweredAt.lte(cutoff)),
                )
                .add(
                    Condition::all()
                        .add(complaint::Column::ClosedAt.is_null())
                        .add(complaint::Column::AnsweredAt.is_null())
                        .add(complaint::Column::UpdatedAt.lte(cutoff)),
                ),
        )
}

/// What a sweep found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Items due.
    pub due: u64,
    /// Items this sweep anonymised (another server may have taken some).
    pub anonymised: u64,
    /// The tracking codes of the items due (at most the first 1,000).
    pub codes: Vec<String>,
    /// Contact persons of businesses at dialogues that ended more than the same days ago,
    /// cleared by this sweep.
    pub dialogue_contacts: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} item(s) due, {} anonymised",
            self.due, self.anonymised
        )
    }
}

/// How many items are due, and their codes.
pub async fn due(db: &DatabaseConnection, days: u32, now: DateTime<Utc>) -> AppResult<Report> {
    use sea_orm::PaginatorTrait;
    let cond = due_condition(days, now);
    let n = complaint::Entity::find()
        .filter(cond.clone())
        .count(db)
        .await?;
    let codes = complaint::Entity::find()
        .filter(cond)
        .order_by_asc(complaint::Column::Id)
        .limit(1000)
        .select_only()
        .column(complaint::Column::Code)
        .into_tuple::<String>()
        .all(db)
        .await?;
    Ok(Report {
        due: n,
        codes,
        ..Report::default()
    })
}

/// Anonymises every item due, in batches of 200, one transaction each; `progress` is told of
/// each batch. Safe with several servers at once.
pub async fn sweep(
    db: &DatabaseConnection,
    days: u32,
    progress: impl Fn(u64, u64),
) -> AppResult<Report> {
    let now = crate::clock::now();
    let mut report = due(db, days, now).await?;
    let mut seen = 0u64;
    let mut after = String::new();
    loop {
        let batch = complaint::Entity::find()
            .filter(due_condition(days, now))
            .filter(complaint::Column::Id.gt(after.clone()))
            .order_by_asc(complaint::Column::Id)
            .limit(200)
            .all(db)
            .await?;
        let Some(last) = batch.last() else { break };
        after = last.id.clone();
        let txn = crate::db::begin(db).await?;
        for c in &batch {
            if anonymise(&*txn, c, now, Step::system(now), "RETENTION_ANONYMISED").await? {
                report.anonymised += 1;
            }
        }
        txn.commit().await?;
        seen += batch.len() as u64;
        progress(seen, report.due);
    }
    report.dialogue_contacts = clear_dialogue_contacts(db, days, now).await?;
    if report.anonymised > 0 {
        tracing::info!(
            anonymised = report.anonymised,
            days,
            "retention: contacts anonymised"
        );
    }
    Ok(report)
}

/// Clears the contact persons of businesses at dialogues closed or cancelled more than `days`
/// ago (the dialogue, its issues and its commitments stay). Returns how many.
async fn clear_dialogue_contacts(
    db: &DatabaseConnection,
    days: u32,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    use entity::{dialogue, dialogue_business};
    use sea_orm::sea_query::Query;
    let cutoff = now - Duration::days(i64::from(days));
    let ended = Query::select()
        .column(dialogue::Column::Id)
        .from(dialogue::Entity)
        .cond_where(
            Condition::any()
                .add(dialogue::Column::ClosedAt.lte(cutoff))
                .add(dialogue::Column::CancelledAt.lte(cutoff)),
        )
        .to_owned();
    let txn = crate::db::begin(db).await?;
    let r = dialogue_business::Entity::update_many()
        .col_expr(
            dialogue_business::Column::ContactName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            dialogue_business::Column::ContactPhone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            dialogue_business::Column::ContactEmail,
            Expr::value(Option::<String>::None),
        )
        .filter(dialogue_business::Column::DialogueId.in_subquery(ended))
        .filter(
            Condition::any()
                .add(dialogue_business::Column::ContactName.is_not_null())
                .add(dialogue_business::Column::ContactPhone.is_not_null())
                .add(dialogue_business::Column::ContactEmail.is_not_null()),
        )
        .exec(&*txn)
        .await?;
    if r.rows_affected > 0 {
        super::log(
            &*txn,
            Step {
                action: "RETENTION_DIALOGUE_CONTACTS",
                note: Some(format!("{} contact(s) cleared", r.rows_affected)),
                ..Step::system(now)
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(r.rows_affected)
}

/// Sweeps every `PORTAL_RETENTION_SWEEP_SECS` (not at all when 0).
pub async fn run(state: AppState) {
    let secs = state.config.retention_sweep_secs;
    if secs == 0 {
        return;
    }
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(secs));
    loop {
        tick.tick().await;
        match sweep(&state.db, state.config.retain_contact_days, |_, _| {}).await {
            Ok(r) if r.anonymised > 0 => state.indexer_wake.wake(),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e.message(crate::error::Lang::En), "retention sweep failed")
            }
        }
    }
}
