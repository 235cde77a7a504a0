//! The log of staff reads of a person's contact: who (account, role, unit), when, whose (a
//! complaint's filer, or a business's contact at a dialogue) and through which field. The row
//! is written before the contact is returned; a read that cannot be logged is refused. It
//! holds no contact.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use entity::contact_read;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};

/// Whose contact was read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Whose {
    Complaint(String),
    DialogueContact { dialogue: String, business: String },
}

/// Logs reads for one request's caller, batching those of one request into one insert.
pub struct ReadLogger {
    pub db: DatabaseConnection,
    pub actor: Actor,
}

impl Loader<(Whose, String)> for ReadLogger {
    type Value = ();
    type Error = AppError;

    async fn load(
        &self,
        keys: &[(Whose, String)],
    ) -> Result<HashMap<(Whose, String), ()>, Self::Error> {
        let p = self.actor.principal();
        let role = p.map_or("ANONYMOUS".to_string(), |p| {
            use sea_orm::ActiveEnum;
            p.role.to_value()
        });
        let now = crate::clock::now();
        let rows: Vec<contact_read::ActiveModel> = keys
            .iter()
            .map(|(w, field)| {
                let (c, d, b) = match w {
                    Whose::Complaint(c) => (Some(c.clone()), None, None),
                    Whose::DialogueContact { dialogue, business } => {
                        (None, Some(dialogue.clone()), Some(business.clone()))
                    }
                };
                contact_read::ActiveModel {
                    id: Set(uuid::Uuid::now_v7().to_string()),
                    complaint_id: Set(c),
                    dialogue_id: Set(d),
                    business_id: Set(b),
                    reader_account_id: Set(p.and_then(|p| p.account_id.clone())),
                    reader_role: Set(role.clone()),
                    reader_unit_id: Set(p.and_then(|p| p.unit_id.clone())),
                    field: Set(field.clone()),
                    at: Set(now),
                }
            })
            .collect();
        if !rows.is_empty() {
            contact_read::Entity::insert_many(rows)
                .exec(&self.db)
                .await
                .map_err(AppError::from)?;
        }
        Ok(keys.iter().map(|k| (k.clone(), ())).collect())
    }
}

/// What the contact-read log is filtered by.
#[derive(Debug, Clone, Default)]
pub struct ReadFilter {
    pub complaint: Option<String>,
    pub reader: Option<String>,
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// The log, newest first: data-protection staff and admins.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    f: &ReadFilter,
    page: &crate::pagination::Page,
) -> AppResult<(u64, Vec<contact_read::Model>)> {
    use sea_orm::PaginatorTrait;
    crate::access::require_data_protection(actor)?;
    let mut q = contact_read::Entity::find();
    if let Some(c) = &f.complaint {
        q = q.filter(contact_read::Column::ComplaintId.eq(c.clone()));
    }
    if let Some(r) = &f.reader {
        q = q.filter(contact_read::Column::ReaderAccountId.eq(r.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(contact_read::Column::At.gte(t));
    }
    if let Some(t) = f.to {
        q = q.filter(contact_read::Column::At.lt(t));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(contact_read::Column::At)
        .order_by_desc(contact_read::Column::Id)
        .offset(page.offset)
        .limit(page.limit)
        .all(db)
        .await?;
    Ok((total, rows))
}

/// The reads of the contacts of these items, oldest first (for the person's copy).
pub async fn of_complaints(
    db: &impl sea_orm::ConnectionTrait,
    ids: &[String],
) -> AppResult<Vec<contact_read::Model>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    Ok(contact_read::Entity::find()
        .filter(contact_read::Column::ComplaintId.is_in(ids.iter().cloned()))
        .order_by_asc(contact_read::Column::At)
        .all(db)
        .await?)
}
