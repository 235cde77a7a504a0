//! Units (đơn vị): the agencies that serve people, in their blocks, with validity periods and
//! successors so that a past year is reproduced with the units of that year.

pub mod graphql;
pub mod search;

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::unit::{self, Block};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
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
}

/// A page of units in name order, with the total matching the filter.
pub async fn list(
    db: &DatabaseConnection,
    filter: &UnitFilter,
    page: Page,
) -> AppResult<(u64, Vec<unit::Model>)> {
    let mut cond = Condition::all();
    if let Some(b) = filter.block {
        cond = cond.add(unit::Column::Block.eq(b));
    }
    if let Some(p) = &filter.parent {
        cond = cond.add(unit::Column::ParentId.eq(p.as_str()));
    }
    if let Some(q) = &filter.search {
        let q = text::clean("search", q, 200)?;
        cond = cond.add(crate::db::folded_words_match(unit::Column::NameFolded, &q));
    }
    if let Some(d) = filter.active_on {
        cond = cond.add(unit::Column::ValidFrom.lte(d)).add(
            Condition::any()
                .add(unit::Column::ValidTo.is_null())
                .add(unit::Column::ValidTo.gte(d)),
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

/// One unit by id or by code (exactly one of the two).
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

/// Creates a unit (admins only).
pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewUnit,
) -> AppResult<unit::Model> {
    crate::access::require_admin(actor)?;
    let code = text::code("code", &input.code, 32)?;
    let name = text::required("name", &input.name, 200)?;
    let short_name = input
        .short_name
        .as_deref()
        .map(|s| text::clean("shortName", s, 64))
        .transpose()?
        .filter(|s| !s.is_empty());
    if let Some(p) = &input.parent {
        require(db, "parent", p).await?;
    }
    let now = chrono::Utc::now();
    let txn = db.begin().await?;
    let m = unit::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        code: Set(code.clone()),
        name_folded: Set(text::fold(&name)),
        name: Set(name),
        short_name: Set(short_name),
        block: Set(input.block),
        parent_id: Set(input.parent),
        valid_from: Set(input.valid_from.unwrap_or_else(crate::clock::today)),
        valid_to: Set(None),
        successor_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| {
        on_unique(
            e,
            AppError::conflict(
                format!("Đã có đơn vị mang mã {code}."),
                format!("A unit with code {code} already exists."),
            ),
        )
    })?;
    enqueue(&txn, &m.id).await?;
    txn.commit().await?;
    crate::catalog::changed();
    Ok(m)
}

/// Input of `updateUnit`: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub parent: Option<String>,
}

/// Renames a unit or moves it under another parent (admins only).
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
    let mut m: unit::ActiveModel = current.into();
    if let Some(n) = patch.name {
        let n = text::required("name", &n, 200)?;
        m.name_folded = Set(text::fold(&n));
        m.name = Set(n);
    }
    if let Some(s) = patch.short_name {
        let s = text::clean("shortName", &s, 64)?;
        m.short_name = Set(Some(s).filter(|s| !s.is_empty()));
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
        m.parent_id = Set(Some(p));
    }
    m.updated_at = Set(chrono::Utc::now());
    let txn = db.begin().await?;
    let m = m.update(&txn).await?;
    enqueue(&txn, &m.id).await?;
    txn.commit().await?;
    crate::catalog::changed();
    Ok(m)
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

/// Queues the unit's search document for a refresh, in the writing transaction.
async fn enqueue(db: &impl sea_orm::ConnectionTrait, id: &str) -> AppResult<()> {
    crate::search::outbox::enqueue(db, crate::search::IndexKind::Units, &[id.to_string()]).await
}

/// Ends a unit's validity on `valid_to`, naming the unit that takes over its work (admins only).
/// A unit is retired once; its history stays, so past years still resolve to it.
pub async fn retire(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    valid_to: NaiveDate,
    successor: Option<String>,
) -> AppResult<unit::Model> {
    crate::access::require_admin(actor)?;
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
    if let Some(s) = &successor {
        if s == id {
            return Err(AppError::bad_input(
                "successor",
                "Đơn vị kế thừa phải là một đơn vị khác.",
                "The successor must be another unit.",
            ));
        }
        require(db, "successor", s).await?;
    }
    // Guard against a concurrent retirement: only a still-open unit is updated.
    let txn = db.begin().await?;
    let res = unit::Entity::update_many()
        .col_expr(unit::Column::ValidTo, Expr::value(valid_to))
        .col_expr(unit::Column::SuccessorId, Expr::value(successor))
        .col_expr(unit::Column::UpdatedAt, Expr::value(chrono::Utc::now()))
        .filter(unit::Column::Id.eq(id))
        .filter(unit::Column::ValidTo.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected > 0 {
        enqueue(&txn, id).await?;
    }
    txn.commit().await?;
    crate::catalog::changed();
    if res.rows_affected == 0 {
        return Err(AppError::conflict(
            "Đơn vị vừa được cho ngừng hoạt động bởi một thao tác khác.",
            "The unit was just retired by another request.",
        ));
    }
    unit::Entity::find_by_id(id.to_string())
        .one(db)
        .await?
        .ok_or_else(|| not_found(id))
}

fn not_found(id: &str) -> AppError {
    AppError::not_found(
        format!("Không tìm thấy đơn vị {id}."),
        format!("Unit {id} was not found."),
    )
}
