//! The documents the engines index, built from the database. The filer's identity is never
//! put into a document: what an engine holds is safe to show the public once published.

use std::collections::{BTreeMap, HashMap};

use entity::rating_score::Component;
use entity::{complaint, dossier, procedure, procedure_unit, rating, unit};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
};

use crate::error::AppResult;
use crate::ratings::stats::Tally;

#[derive(Debug, Clone, PartialEq)]
pub struct ComplaintDoc {
    pub id: String,
    pub code: String,
    pub title: String,
    pub body: String,
    pub unit_id: String,
    pub assigned_unit_id: String,
    pub procedure_id: Option<String>,
    pub procedure_code: Option<String>,
    pub dossier_code: Option<String>,
    pub kind: String,
    pub category: String,
    pub status: String,
    /// Milliseconds since the epoch.
    pub received_at: i64,
    pub answer_due_at: i64,
    /// Received or accepted: may become overdue.
    pub open: bool,
    pub published: bool,
    /// The dialogues it is an issue of.
    pub dialogue_ids: Vec<String>,
    /// The names and short names of the unit concerned and the assigned unit: a query naming a
    /// unit (`Quận 5 trễ hạn`) finds its complaints whose text does not repeat the name.
    pub unit_names: Vec<String>,
}

impl ComplaintDoc {
    /// The text as typed: title and body (what ranks a query's marked words first).
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }

    /// What every query word must match, folded: the text and the units' names.
    pub fn match_text(&self) -> String {
        format!("{}\n{}", self.text(), self.unit_names.join("\n"))
    }
    pub fn codes(&self) -> Vec<String> {
        let mut c = vec![self.code.clone()];
        c.extend(self.procedure_code.clone());
        c.extend(self.dossier_code.clone());
        c
    }
}

/// Per component: satisfied share (percent), mean and answers. Verified ratings only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SatisfactionFields(pub BTreeMap<Component, Tally>);

impl SatisfactionFields {
    pub fn get(&self, c: Component) -> Tally {
        self.0.get(&c).copied().unwrap_or_default()
    }
}

/// The name of a component in engine field names (`sat_official_share`, …).
pub fn component_key(c: Component) -> &'static str {
    match c {
        Component::Access => "access",
        Component::Procedure => "procedure",
        Component::Official => "official",
        Component::Result => "result",
        Component::FeedbackHandling => "feedback_handling",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureDoc {
    pub id: String,
    pub code: String,
    pub name: String,
    pub field: String,
    pub level: String,
    pub one_day: bool,
    pub retired: bool,
    pub unit_ids: Vec<String>,
    pub unit_names: Vec<String>,
    pub satisfaction: SatisfactionFields,
    /// Percent of completed dossiers completed on time.
    pub on_time_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitDoc {
    pub id: String,
    pub code: String,
    pub name: String,
    pub block: String,
    pub parent_id: Option<String>,
    pub satisfaction: SatisfactionFields,
    pub on_time_share: Option<f64>,
}

/// Complaint documents for `ids` (ids no longer in the database are simply absent).
pub async fn complaints(db: &DatabaseConnection, ids: &[String]) -> AppResult<Vec<ComplaintDoc>> {
    let rows = complaint::Entity::find()
        .filter(complaint::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    to_complaint_docs(db, rows).await
}

/// Builds documents for complaint rows, loading their procedure and dossier codes in two
/// queries.
pub async fn to_complaint_docs(
    db: &DatabaseConnection,
    rows: Vec<complaint::Model>,
) -> AppResult<Vec<ComplaintDoc>> {
    let pids: Vec<String> = rows.iter().filter_map(|c| c.procedure_id.clone()).collect();
    let dids: Vec<String> = rows.iter().filter_map(|c| c.dossier_id.clone()).collect();
    let pcodes: HashMap<String, String> = if pids.is_empty() {
        HashMap::new()
    } else {
        procedure::Entity::find()
            .filter(procedure::Column::Id.is_in(pids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.code))
            .collect()
    };
    let cids: Vec<String> = rows.iter().map(|c| c.id.clone()).collect();
    let mut dialogues = crate::dialogues::dialogues_of(db, &cids).await?;
    let mut uids: Vec<String> = rows
        .iter()
        .flat_map(|c| [c.unit_id.clone(), c.assigned_unit_id.clone()])
        .collect();
    uids.sort();
    uids.dedup();
    let units = crate::units::by_ids(db, &uids).await?;
    let names_of = |ids: [&String; 2]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in ids {
            if let Some(u) = units.get(id) {
                for n in std::iter::once(&u.name).chain(u.short_name.as_ref()) {
                    if !out.contains(n) {
                        out.push(n.clone());
                    }
                }
            }
        }
        out
    };
    let dcodes: HashMap<String, String> = if dids.is_empty() {
        HashMap::new()
    } else {
        dossier::Entity::find()
            .filter(dossier::Column::Id.is_in(dids))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.id, d.code))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|c| ComplaintDoc {
            procedure_code: c.procedure_id.as_ref().and_then(|p| pcodes.get(p).cloned()),
            dossier_code: c.dossier_id.as_ref().and_then(|d| dcodes.get(d).cloned()),
            kind: c.kind.to_value(),
            category: c.category.to_value(),
            status: c.status.to_value(),
            received_at: c.received_at.timestamp_millis(),
            answer_due_at: c.answer_due_at.timestamp_millis(),
            open: matches!(
                c.status,
                complaint::Status::Received | complaint::Status::Accepted
            ),
            published: c.published,
            dialogue_ids: dialogues.remove(&c.id).unwrap_or_default(),
            unit_names: names_of([&c.unit_id, &c.assigned_unit_id]),
            id: c.id,
            code: c.code,
            // The engines hold the text without its personal data: the public's queries cannot
            // probe for a number the public view masks (officials read it in the item).
            title: crate::pii_mask::unsearchable(&c.title),
            body: crate::pii_mask::unsearchable(&c.body),
            unit_id: c.unit_id,
            assigned_unit_id: c.assigned_unit_id,
            procedure_id: c.procedure_id,
        })
        .collect())
}

/// A dialogue with who may see it: its host and invited units, the businesses taking part,
/// and whether it is public.
#[derive(Debug, Clone, PartialEq)]
pub struct DialogueDoc {
    pub id: String,
    pub title: String,
    pub topic: String,
    pub kind: String,
    pub status: String,
    pub host_unit_id: String,
    /// The host and the invited units.
    pub unit_ids: Vec<String>,
    pub business_ids: Vec<String>,
    pub public: bool,
    /// Milliseconds since the epoch.
    pub starts_at: i64,
}

impl DialogueDoc {
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.topic)
    }
}

/// Dialogue documents for `ids`.
pub async fn dialogues(db: &DatabaseConnection, ids: &[String]) -> AppResult<Vec<DialogueDoc>> {
    let mut full = crate::dialogues::load_full(db, ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| full.remove(id))
        .map(|f| DialogueDoc {
            unit_ids: f.all_units(),
            business_ids: f.business_ids(),
            kind: f.model.kind.to_value(),
            status: f.model.status.to_value(),
            public: f.model.public,
            starts_at: f.model.starts_at.timestamp_millis(),
            host_unit_id: f.model.host_unit_id,
            id: f.model.id,
            title: f.model.title,
            topic: f.model.topic,
        })
        .collect())
}

fn figure_kind(by: By) -> &'static str {
    match by {
        By::Procedure => "procedure",
        By::Unit => "unit",
    }
}

fn encode(s: &SatisfactionFields) -> String {
    use sea_orm::ActiveEnum;
    s.0.iter()
        .map(|(c, t)| {
            format!(
                "{}:{}:{}:{}",
                c.to_value(),
                t.answers,
                t.score_sum,
                t.satisfied
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn decode(text: &str) -> SatisfactionFields {
    use sea_orm::{ActiveEnum, Iterable};
    let mut out = SatisfactionFields::default();
    for part in text.split(';').filter(|p| !p.is_empty()) {
        let f: Vec<&str> = part.split(':').collect();
        let (Some(c), [_, a, s, t]) = (
            Component::iter().find(|c| Some(c.to_value().as_str()) == f.first().copied()),
            f.as_slice(),
        ) else {
            continue;
        };
        let n = |v: &str| v.parse::<u64>().unwrap_or(0);
        out.0.insert(
            c,
            Tally {
                answers: n(a),
                score_sum: n(s),
                satisfied: n(t),
            },
        );
    }
    out
}

/// Keeps the figures of the documents just built, for search hits to show.
pub async fn store_figures(
    db: &DatabaseConnection,
    by: By,
    figures: &[(String, SatisfactionFields, Option<f64>)],
) -> AppResult<()> {
    use entity::catalog_figure;
    use sea_orm::sea_query::OnConflict;
    if figures.is_empty() {
        return Ok(());
    }
    let now = crate::clock::now();
    let txn = crate::db::begin(db).await?;
    for chunk in figures.chunks(200) {
        catalog_figure::Entity::insert_many(chunk.iter().map(|(id, s, on)| {
            catalog_figure::ActiveModel {
                kind: sea_orm::Set(figure_kind(by).to_string()),
                id: sea_orm::Set(id.clone()),
                satisfaction: sea_orm::Set(encode(s)),
                on_time_share: sea_orm::Set(*on),
                updated_at: sea_orm::Set(now),
            }
        }))
        .on_conflict(
            OnConflict::columns([catalog_figure::Column::Kind, catalog_figure::Column::Id])
                .update_columns([
                    catalog_figure::Column::Satisfaction,
                    catalog_figure::Column::OnTimeShare,
                    catalog_figure::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// The figures of `ids` as the indexer last computed them; those it never computed are
/// computed now (one aggregate each for the few missing).
pub async fn figures(
    db: &DatabaseConnection,
    by: By,
    ids: &[String],
) -> AppResult<(HashMap<String, SatisfactionFields>, HashMap<String, f64>)> {
    use entity::catalog_figure;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let kept = catalog_figure::Entity::find()
        .filter(catalog_figure::Column::Kind.eq(figure_kind(by)))
        .filter(catalog_figure::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let mut sat = HashMap::new();
    let mut on = HashMap::new();
    for f in kept {
        if let Some(v) = f.on_time_share {
            on.insert(f.id.clone(), v);
        }
        sat.insert(f.id, decode(&f.satisfaction));
    }
    let missing: Vec<String> = ids
        .iter()
        .filter(|i| !sat.contains_key(*i))
        .cloned()
        .collect();
    if !missing.is_empty() {
        sat.extend(tallies(db, by, &missing).await?);
        on.extend(on_time(db, by, &missing).await?);
    }
    Ok((sat, on))
}

/// Which column groups a satisfaction or timeliness aggregate.
#[derive(Clone, Copy)]
pub enum By {
    Procedure,
    Unit,
}

/// Verified satisfaction per component for each of `ids`, in one aggregate query.
pub async fn tallies(
    db: &DatabaseConnection,
    by: By,
    ids: &[String],
) -> AppResult<HashMap<String, SatisfactionFields>> {
    let key = match by {
        By::Procedure => rating::Column::ProcedureId,
        By::Unit => rating::Column::UnitId,
    };
    let mut q = crate::ratings::stats::tally_select(key, "k");
    q.and_where(Expr::col((rating::Entity, rating::Column::Verified)).eq(true))
        .and_where(Expr::col((rating::Entity, key)).is_in(ids.iter().cloned()));
    let mut out: HashMap<String, SatisfactionFields> = HashMap::new();
    for row in db.query_all(&q).await? {
        let k: String = row.try_get("", "k")?;
        if let Some((component, t)) = crate::ratings::stats::tally_of(&row)? {
            out.entry(k).or_default().0.insert(component, t);
        }
    }
    Ok(out)
}

/// Percent of completed dossiers completed on time, for each of `ids`, in one query.
pub async fn on_time(
    db: &DatabaseConnection,
    by: By,
    ids: &[String],
) -> AppResult<HashMap<String, f64>> {
    let key = match by {
        By::Procedure => dossier::Column::ProcedureId,
        By::Unit => dossier::Column::UnitId,
    };
    let d = |c: dossier::Column| Expr::col((dossier::Entity, c));
    let mut q = Query::select();
    q.expr_as(d(key), Alias::new("k"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("completed"))
        .expr_as(
            Func::sum(
                Expr::case(
                    d(dossier::Column::CompletedAt).lte(d(dossier::Column::OriginalDueAt)),
                    1,
                )
                .finally(0),
            ),
            Alias::new("on_time"),
        )
        .from(dossier::Entity)
        .and_where(d(dossier::Column::CompletedAt).is_not_null())
        .and_where(d(key).is_in(ids.iter().cloned()))
        .group_by_col((dossier::Entity, key));
    let mut out = HashMap::new();
    for row in db.query_all(&q).await? {
        let k: String = row.try_get("", "k")?;
        let completed = row.try_get::<i64>("", "completed")?;
        let on = row.try_get::<Option<i64>>("", "on_time")?.unwrap_or(0);
        if completed > 0 {
            out.insert(k, 100.0 * on as f64 / completed as f64);
        }
    }
    Ok(out)
}

pub async fn procedures(db: &DatabaseConnection, ids: &[String]) -> AppResult<Vec<ProcedureDoc>> {
    let rows = procedure::Entity::find()
        .filter(procedure::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let links = procedure_unit::Entity::find()
        .filter(procedure_unit::Column::ProcedureId.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let unit_ids: Vec<String> = links.iter().map(|l| l.unit_id.clone()).collect();
    let names: HashMap<String, String> = crate::units::by_ids(db, &unit_ids)
        .await?
        .into_iter()
        .map(|(id, u)| (id, u.name))
        .collect();
    let mut sat = tallies(db, By::Procedure, ids).await?;
    let on = on_time(db, By::Procedure, ids).await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let units: Vec<String> = links
                .iter()
                .filter(|l| l.procedure_id == p.id)
                .map(|l| l.unit_id.clone())
                .collect();
            ProcedureDoc {
                unit_names: units.iter().filter_map(|u| names.get(u).cloned()).collect(),
                unit_ids: units,
                satisfaction: sat.remove(&p.id).unwrap_or_default(),
                on_time_share: on.get(&p.id).copied(),
                level: p.level.to_value(),
                id: p.id,
                code: p.code,
                name: p.name,
                field: p.field,
                one_day: p.one_day,
                retired: p.retired,
            }
        })
        .collect())
}

pub async fn units(db: &DatabaseConnection, ids: &[String]) -> AppResult<Vec<UnitDoc>> {
    let rows = unit::Entity::find()
        .filter(unit::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?;
    let mut sat = tallies(db, By::Unit, ids).await?;
    let on = on_time(db, By::Unit, ids).await?;
    Ok(rows
        .into_iter()
        .map(|u| UnitDoc {
            satisfaction: sat.remove(&u.id).unwrap_or_default(),
            on_time_share: on.get(&u.id).copied(),
            block: u.block.to_value(),
            id: u.id,
            code: u.code,
            name: u.name,
            parent_id: u.parent_id,
        })
        .collect())
}
