//! Units (đơn vị): the agencies that serve people, in their blocks, with validity periods and
//! successors so that a past year is reproduced with the units of that year.

pub mod graphql;
pub mod history;
pub mod import;
pub mod search;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::unit::{self, Block};
use entity::unit_succession::{self, Kind as SuccessionKind};
use entity::unit_version;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::auth::Actor;
use crate::error::{AppError, AppResult, on_unique};
use crate::pagination::Page;
use crate::text;

/// Filters of `units(filter: …)`.
#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub block: Option<Block>,
    pub parent: Option<String>,
    pub search: Option<String>,
    pub active_on: Option<NaiveDate>,
    /// Units that ended before today too (without `active_on`).
    pub include_ended: bool,
}

/// A page of units in name order, with the total matching the filter. With `active_on`, the
/// units in existence that day, each as it was then (name, block, parent of that day's version).
pub async fn list(
    state: &crate::state::AppState,
    filter: &UnitFilter,
    page: Page,
) -> AppResult<(u64, Vec<unit::Model>)> {
    if let Some(d) = filter.active_on {
        return list_on(state, filter, d, page).await;
    }
    let db = &state.db;
    let mut cond = Condition::all();
    if let Some(b) = filter.block {
        cond = cond.add(unit::Column::Block.eq(b));
    }
    if let Some(p) = &filter.parent {
        cond = cond.add(unit::Column::ParentId.eq(p.as_str()));
    }
    if let Some(q) = &filter.search {
        let q = text::clean("filter.query", q, 200)?;
        cond = cond.add(crate::db::folded_words_match(unit::Column::NameFolded, &q));
    }
    if !filter.include_ended {
        cond = cond.add(
            Condition::any()
                .add(unit::Column::ValidTo.is_null())
                .add(unit::Column::ValidTo.gte(crate::clock::today())),
        );
    }
    let q = unit::Entity::find().filter(cond);
    let total = q.clone().count(db).await?;
    let items = if page.limit == 0 {
        vec![]
    } else {
        let q = match &filter.search {
            Some(s) => q.order_by(
                crate::db::phrase_first(unit::Column::NameFolded, s),
                Order::Asc,
            ),
            None => q,
        };
        q.order_by_asc(unit::Column::Block)
            .order_by_asc(unit::Column::NameFolded)
            .order_by_asc(unit::Column::Id)
            .offset(page.offset)
            .limit(page.limit)
            .all(db)
            .await?
    };
    Ok((total, items))
}

/// `list` on a date: the units of that day as they were, filtered and ordered in memory (a
/// city has hundreds of units, not millions).
async fn list_on(
    state: &crate::state::AppState,
    filter: &UnitFilter,
    d: NaiveDate,
    page: Page,
) -> AppResult<(u64, Vec<unit::Model>)> {
    let search = match &filter.search {
        Some(q) => Some(text::fold(&text::clean("search", q, 200)?)),
        None => None,
    };
    let rows = unit::Entity::find()
        .filter(unit::Column::ValidFrom.lte(d))
        .filter(
            Condition::any()
                .add(unit::Column::ValidTo.is_null())
                .add(unit::Column::ValidTo.gte(d)),
        )
        .all(&state.db)
        .await?;
    let h = history::UnitHistory::cached(state).await?;
    let mut items: Vec<(bool, unit::Model)> = rows
        .iter()
        .map(|u| history::unit_at(&h, u, d))
        .filter(|u| filter.block.is_none_or(|b| u.block == b))
        .filter(|u| {
            filter
                .parent
                .as_deref()
                .is_none_or(|p| u.parent_id.as_deref() == Some(p))
        })
        .filter_map(|u| match &search {
            None => Some((true, u)),
            Some(q) => text::words_match(&u.name_folded, q)
                .then(|| (u.name_folded.contains(q.as_str()), u)),
        })
        .collect();
    let block_rank = |b: Block| {
        use sea_orm::ActiveEnum;
        b.to_value()
    };
    items.sort_by(|(pa, a), (pb, b)| {
        pb.cmp(pa)
            .then_with(|| block_rank(a.block).cmp(&block_rank(b.block)))
            .then_with(|| a.name_folded.cmp(&b.name_folded))
            .then_with(|| a.id.cmp(&b.id))
    });
    let total = items.len() as u64;
    Ok((
        total,
        items
            .into_iter()
            .skip(page.offset as usize)
            .take(page.limit as usize)
            .map(|(_, u)| u)
            .collect(),
    ))
}

/// One unit by id or by code (exactly one of the two), whether or not it still exists.
pub async fn get(
    db: &DatabaseConnection,
    id: Option<&str>,
    code: Option<&str>,
) -> AppResult<Option<unit::Model>> {
    match (id, code) {
        (Some(id), None) => Ok(unit::Entity::find_by_id(id.to_string()).one(db).await?),
        (None, Some(code)) => {
            let code = text::code("code", code, 32)?;
            Ok(unit::Entity::find()
                .filter(unit::Column::Code.eq(code))
                .one(db)
                .await?)
        }
        _ => Err(AppError::bad_input(
            "id",
            "Cần đúng một trong hai tham số id hoặc code.",
            "Give exactly one of id or code.",
        )),
    }
}

/// Finds a unit that must exist; `field` names the input that referred to it.
pub async fn require(db: &DatabaseConnection, field: &str, id: &str) -> AppResult<unit::Model> {
    unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| {
            AppError::bad_input(
                field,
                format!("Không tìm thấy đơn vị có id {id}."),
                format!("No unit has id {id}."),
            )
        })
}

/// Units by id, for the DataLoader.
pub async fn by_ids(
    db: &DatabaseConnection,
    ids: &[String],
) -> AppResult<HashMap<String, unit::Model>> {
    Ok(unit::Entity::find()
        .filter(unit::Column::Id.is_in(ids.iter().cloned()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect())
}

/// Input of `createUnit`.
#[derive(Debug, Clone)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub block: Block,
    pub parent: Option<String>,
    pub valid_from: Option<NaiveDate>,
}

fn short_name(s: Option<&str>) -> AppResult<Option<String>> {
    Ok(s.map(|s| text::clean("shortName", s, 64))
        .transpose()?
        .filter(|s| !s.is_empty()))
}

/// The version row of a unit's current fields from `from`.
pub fn version_of(u: &unit::Model, from: NaiveDate) -> unit_version::ActiveModel {
    unit_version::ActiveModel {
        unit_id: Set(u.id.clone()),
        valid_from: Set(from),
        name: Set(u.name.clone()),
        name_folded: Set(u.name_folded.clone()),
        short_name: Set(u.short_name.clone()),
        block: Set(u.block),
        parent_id: Set(u.parent_id.clone()),
        created_at: Set(crate::clock::now()),
    }
}

fn code_taken(code: &str) -> AppError {
    AppError::conflict(
        format!("Đã có đơn vị mang mã {code}."),
        format!("A unit with code {code} already exists."),
    )
}

/// Creates a unit (admins only), with its first version.
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewUnit,
) -> AppResult<unit::Model> {
    crate::access::require_admin(actor)?;
    let code = text::code("code", &input.code, 32)?;
    let name = text::required("name", &input.name, 200)?;
    let short_name = short_name(input.short_name.as_deref())?;
    if let Some(p) = &input.parent {
        require(db, "parent", p).await?;
    }
    let now = crate::clock::now();
    let model = unit::Model {
        id: uuid::Uuid::now_v7().to_string(),
        code: code.clone(),
        name_folded: text::fold(&name),
        name,
        short_name,
        block: input.block,
        parent_id: input.parent,
        valid_from: input.valid_from.unwrap_or_else(crate::clock::today),
        valid_to: None,
        successor_id: None,
        created_at: now,
        updated_at: now,
    };
    let txn = crate::db::begin(db).await?;
    let m = unit::ActiveModel::from(model)
        .insert(&txn)
        .await
        .map_err(|e| on_unique(e, code_taken(&code)))?;
    version_of(&m, m.valid_from).insert(&txn).await?;
    enqueue(&txn, &m.id).await?;
    txn.commit().await?;
    crate::catalog::changed();
    crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    Ok(m)
}

/// Input of `updateUnit`: absent fields stay as they are. With `valid_from`, the change is a new
/// version in force from that date (a renaming, a move to another block or parent); without
/// it, the latest version is corrected in place.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub parent: Option<String>,
    pub block: Option<Block>,
    pub valid_from: Option<NaiveDate>,
}

/// Renames a unit, moves it to another block or parent, as a correction or as a new version
/// (admins only).
pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    patch: UnitPatch,
) -> AppResult<unit::Model> {
    crate::access::require_admin(actor)?;
    let current = unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    let latest = unit_version::Entity::find()
        .filter(unit_version::Column::UnitId.eq(id))
        .order_by_desc(unit_version::Column::ValidFrom)
        .one(db)
        .await?;
    // A change starts from the version it amends or follows: the latest one.
    let mut next = match &latest {
        Some(v) => history::as_of(&current, v),
        None => current.clone(),
    };
    if let Some(n) = patch.name {
        let n = text::required("name", &n, 200)?;
        next.name_folded = text::fold(&n);
        next.name = n;
    }
    if let Some(s) = patch.short_name {
        next.short_name = short_name(Some(&s))?;
    }
    if let Some(b) = patch.block {
        next.block = b;
    }
    if let Some(p) = patch.parent {
        if p == id {
            return Err(AppError::bad_input(
                "parent",
                "Một đơn vị không thể trực thuộc chính nó.",
                "A unit cannot be its own parent.",
            ));
        }
        require(db, "parent", &p).await?;
        refuse_cycle(db, id, &p).await?;
        next.parent_id = Some(p);
    }
    let latest_from = latest
        .as_ref()
        .map(|v| v.valid_from)
        .unwrap_or(current.valid_from);
    let from = match patch.valid_from {
        None => latest_from,
        Some(d) if d < latest_from => {
            return Err(AppError::bad_input(
                "validFrom",
                format!(
                    "Phiên bản mới phải bắt đầu từ ngày {latest_from} trở đi (phiên bản gần nhất)."
                ),
                format!(
                    "A new version must start on or after {latest_from}, the latest version's start."
                ),
            ));
        }
        Some(d) if current.valid_to.is_some_and(|t| d > t) => {
            return Err(AppError::bad_input(
                "validFrom",
                "Đơn vị đã ngừng hoạt động trước ngày này.",
                "The unit had ended before this date.",
            ));
        }
        Some(d) => d,
    };
    let txn = crate::db::begin(db).await?;
    unit_version::Entity::delete_many()
        .filter(unit_version::Column::UnitId.eq(id))
        .filter(unit_version::Column::ValidFrom.eq(from))
        .exec(&txn)
        .await?;
    version_of(&next, from).insert(&txn).await?;
    // The unit's row holds the version in force today: a version dated later (a renaming or a
    // move announced in advance) takes effect on its day, not before.
    sync_row(&txn, id, crate::clock::today()).await?;
    enqueue(&txn, id).await?;
    txn.commit().await?;
    crate::catalog::changed();
    crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Sets a unit's row to its version in force on `today` (its first version before it exists);
/// returns whether anything changed.
pub async fn sync_row(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
    today: NaiveDate,
) -> AppResult<bool> {
    let versions = unit_version::Entity::find()
        .filter(unit_version::Column::UnitId.eq(id))
        .order_by_asc(unit_version::Column::ValidFrom)
        .all(db)
        .await?;
    let Some(v) = versions
        .iter()
        .rev()
        .find(|v| v.valid_from <= today)
        .or(versions.first())
    else {
        return Ok(false);
    };
    let res = unit::Entity::update_many()
        .col_expr(unit::Column::Name, Expr::value(v.name.clone()))
        .col_expr(unit::Column::NameFolded, Expr::value(v.name_folded.clone()))
        .col_expr(unit::Column::ShortName, Expr::value(v.short_name.clone()))
        .col_expr(unit::Column::Block, Expr::value(v.block))
        .col_expr(unit::Column::ParentId, Expr::value(v.parent_id.clone()))
        .col_expr(unit::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(unit::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(unit::Column::Name.ne(v.name.clone()))
                .add(unit::Column::Block.ne(v.block))
                .add(match &v.short_name {
                    Some(s) => Condition::any()
                        .add(unit::Column::ShortName.is_null())
                        .add(unit::Column::ShortName.ne(s.clone())),
                    None => Condition::all().add(unit::Column::ShortName.is_not_null()),
                })
                .add(match &v.parent_id {
                    Some(p) => Condition::any()
                        .add(unit::Column::ParentId.is_null())
                        .add(unit::Column::ParentId.ne(p.clone())),
                    None => Condition::all().add(unit::Column::ParentId.is_not_null()),
                }),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected > 0)
}

/// Brings every unit's row to the version in force today (versions dated in advance take
/// effect on their day); run at start-up and periodically. Returns how many changed.
pub async fn apply_due_versions(db: &DatabaseConnection) -> AppResult<usize> {
    let today = crate::clock::today();
    // Only units with more than one version can have a later one come into force.
    let mut by_unit: HashMap<String, usize> = HashMap::new();
    for v in unit_version::Entity::find().all(db).await? {
        *by_unit.entry(v.unit_id).or_default() += 1;
    }
    let mut changed = 0;
    for (id, n) in by_unit {
        if n < 2 {
            continue;
        }
        let txn = crate::db::begin(db).await?;
        if sync_row(&txn, &id, today).await? {
            enqueue(&txn, &id).await?;
            changed += 1;
        }
        txn.commit().await?;
    }
    if changed > 0 {
        crate::catalog::changed();
        crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    }
    Ok(changed)
}

/// `BAD_USER_INPUT` when putting `id` under `parent` would make a unit its own ancestor
/// (A under B while B is under A): the chain of parents must end.
async fn refuse_cycle(db: &DatabaseConnection, id: &str, parent: &str) -> AppResult<()> {
    let mut at = Some(parent.to_string());
    let mut seen = 0;
    while let Some(u) = at {
        if u == id || seen > 64 {
            return Err(AppError::bad_input(
                "parent",
                "Không thể đặt đơn vị trực thuộc một đơn vị cấp dưới của chính nó.",
                "A unit cannot be put under one of its own sub-units.",
            ));
        }
        seen += 1;
        at = unit::Entity::find_by_id(u)
            .select_only()
            .column(unit::Column::ParentId)
            .into_tuple::<Option<String>>()
            .one(db)
            .await?
            .flatten();
    }
    Ok(())
}

/// Queues the unit's search document for a refresh, in the writing transaction, and its
/// complaints' documents, which carry its names.
async fn enqueue(db: &impl sea_orm::ConnectionTrait, id: &str) -> AppResult<()> {
    crate::search::outbox::enqueue(db, crate::search::IndexKind::Units, &[id.to_string()]).await?;
    crate::search::outbox::enqueue_complaints_of_unit(db, id).await?;
    Ok(())
}

/// Ends a unit's validity on `valid_to`, naming the units that carry on its work from the next
/// day (admins only). A unit is retired once; its history stays, so past years still resolve
/// to it. Its open complaints go to its first successor (see
/// [`crate::complaints::forward_from_ended_units`]).
pub async fn retire(
    state: &crate::state::AppState,
    actor: &Actor,
    id: &str,
    valid_to: NaiveDate,
    successors: Vec<(String, SuccessionKind)>,
    field: &str,
) -> AppResult<unit::Model> {
    crate::access::require_admin(actor)?;
    let db = &state.db;
    let current = unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))?;
    if let Some(t) = current.valid_to {
        return Err(AppError::conflict(
            format!("Đơn vị {} đã ngừng hoạt động từ {t}.", current.name),
            format!("Unit {} was already retired on {t}.", current.name),
        ));
    }
    if valid_to < current.valid_from {
        return Err(AppError::bad_input(
            "validTo",
            format!(
                "Ngày kết thúc phải sau ngày bắt đầu {}.",
                current.valid_from
            ),
            format!(
                "validTo must not be before validFrom {}.",
                current.valid_from
            ),
        ));
    }
    let on = valid_to + chrono::Duration::days(1);
    // A unit named to take over another's work from a date cannot end before that date.
    if let Some(l) = unit_succession::Entity::find()
        .filter(unit_succession::Column::SuccessorId.eq(id))
        .filter(unit_succession::Column::EffectiveOn.gt(valid_to))
        .one(db)
        .await?
    {
        return Err(AppError::bad_input(
            "validTo",
            format!(
                "Đơn vị {} tiếp nhận công việc của đơn vị khác từ ngày {}; không thể ngừng hoạt động trước ngày đó.",
                current.name, l.effective_on
            ),
            format!(
                "{} takes over another unit's work from {}; it cannot end before then.",
                current.name, l.effective_on
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (s, _) in &successors {
        if s == id {
            return Err(AppError::bad_input(
                field,
                "Đơn vị kế thừa phải là một đơn vị khác.",
                "A successor must be another unit.",
            ));
        }
        if !seen.insert(s.clone()) {
            return Err(AppError::bad_input(
                field,
                "Một đơn vị kế thừa được nêu hai lần.",
                "A successor is named twice.",
            ));
        }
        history::require_on(db, field, s, on).await?;
    }
    // Guard against a concurrent retirement: only a still-open unit is updated.
    let now = crate::clock::now();
    let txn = crate::db::begin(db).await?;
    let res = unit::Entity::update_many()
        .col_expr(unit::Column::ValidTo, Expr::value(valid_to))
        .col_expr(
            unit::Column::SuccessorId,
            Expr::value(successors.first().map(|s| s.0.clone())),
        )
        .col_expr(unit::Column::UpdatedAt, Expr::value(now))
        .filter(unit::Column::Id.eq(id))
        .filter(unit::Column::ValidTo.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        drop(txn);
        return Err(AppError::conflict(
            "Đơn vị vừa được cho ngừng hoạt động bởi một thao tác khác.",
            "The unit was just retired by another request.",
        ));
    }
    link(&txn, id, &successors, on).await?;
    enqueue(&txn, id).await?;
    txn.commit().await?;
    crate::catalog::changed();
    crate::announce::announce(db, crate::announce::Topic::Catalog).await;
    // The retirement is done; forwarding its complaints is retried by the periodic sweep.
    if let Err(e) = crate::complaints::forward_from_ended_units(state, actor).await {
        tracing::warn!(
            error = %e.message(crate::error::Lang::En),
            "forwarding complaints of the retired unit failed; the periodic sweep retries"
        );
    }
    unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Writes the succession links of `id` to `successors`, in their order, from `on`.
pub async fn link(
    db: &impl sea_orm::ConnectionTrait,
    id: &str,
    successors: &[(String, SuccessionKind)],
    on: NaiveDate,
) -> AppResult<()> {
    let now = crate::clock::now();
    for (i, (s, kind)) in successors.iter().enumerate() {
        unit_succession::Entity::delete_many()
            .filter(unit_succession::Column::PredecessorId.eq(id))
            .filter(unit_succession::Column::SuccessorId.eq(s.as_str()))
            .exec(db)
            .await?;
        unit_succession::ActiveModel {
            predecessor_id: Set(id.to_string()),
            successor_id: Set(s.clone()),
            effective_on: Set(on),
            kind: Set(*kind),
            position: Set(i as i32),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(
        format!("Không tìm thấy đơn vị {id}."),
        format!("Unit {id} was not found."),
    )
}
