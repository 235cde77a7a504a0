//! Businesses (doanh nghiệp), identified by their tax code.

pub mod tax_code;

use async_graphql::{ID, Object};
use entity::business;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::error::{AppError, AppResult};
pub use tax_code::TaxCode;

/// Finds the business with this tax code, or creates it with `name`.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    tax_code: &TaxCode,
    name: &str,
) -> AppResult<(business::Model, bool)> {
    if let Some(b) = find_by_tax_code(db, tax_code).await? {
        return Ok((b, false));
    }
    Ok((create(db, tax_code, name).await?, true))
}

/// Creates the business with this tax code (`CONFLICT` if it was just created by another
/// request).
pub async fn create(
    db: &impl ConnectionTrait,
    tax_code: &TaxCode,
    name: &str,
) -> AppResult<business::Model> {
    let m = business::ActiveModel {
        id: Set(uuid::Uuid::now_v7().to_string()),
        tax_code: Set(tax_code.as_str().to_string()),
        name: Set(name.to_string()),
        created_at: Set(crate::clock::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        crate::error::on_unique(
            e,
            AppError::conflict(
                "Mã số thuế này vừa được đăng ký.",
                "This tax code was just registered.",
            ),
        )
    })?;
    Ok(m)
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: &str) -> AppResult<Option<business::Model>> {
    Ok(business::Entity::find_by_id(id.to_string()).one(db).await?)
}

pub async fn find_by_tax_code(
    db: &impl ConnectionTrait,
    tax_code: &TaxCode,
) -> AppResult<Option<business::Model>> {
    Ok(business::Entity::find()
        .filter(business::Column::TaxCode.eq(tax_code.as_str()))
        .one(db)
        .await?)
}

/// A business as the API shows it.
pub struct Business(pub business::Model);

#[Object]
impl Business {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// Mã số thuế: 10 digits, or 10 + "-" + 3 for a dependent unit.
    async fn tax_code(&self) -> &str {
        &self.0.tax_code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}
