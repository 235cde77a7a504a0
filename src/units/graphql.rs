//! GraphQL types and resolvers of units. Resolvers parse arguments and call the service.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::NaiveDate;
use entity::unit;

use super::{NewUnit, UnitFilter, UnitPatch};
use crate::context::CtxExt;
use crate::pagination::{Conn, Page};

/// The block a unit is scored and ranked in.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::unit::Block")]
pub enum Block {
    /// Sở, ban, ngành.
    Department,
    /// Cơ quan ngành dọc (customs, tax, social insurance…): scored, never ranked.
    VerticalAgency,
    /// Thủ Đức city, quận, huyện (and wards under them).
    District,
}

pub struct Unit(pub unit::Model);

#[Object]
impl Unit {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn short_name(&self) -> Option<&str> {
        self.0.short_name.as_deref()
    }
    async fn block(&self) -> Block {
        self.0.block.into()
    }
    /// Whether units of this block are ranked in the PAR index (vertical agencies are not).
    async fn ranked(&self) -> bool {
        self.0.block != unit::Block::VerticalAgency
    }
    async fn valid_from(&self) -> NaiveDate {
        self.0.valid_from
    }
    async fn valid_to(&self) -> Option<NaiveDate> {
        self.0.valid_to
    }
    /// Whether the unit exists today (in the city's time zone).
    async fn active(&self) -> bool {
        let today = crate::clock::today();
        self.0.valid_from <= today && self.0.valid_to.is_none_or(|t| t >= today)
    }
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, self.0.parent_id.as_deref()).await
    }
    /// The unit that took over this unit's work when it was retired.
    async fn successor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, self.0.successor_id.as_deref()).await
    }
}

async fn load(ctx: &Context<'_>, id: Option<&str>) -> async_graphql::Result<Option<Unit>> {
    let Some(id) = id else { return Ok(None) };
    let u = ctx.loaders().units.load_one(id.to_string()).await?;
    Ok(u.map(Unit))
}

#[derive(InputObject, Default)]
pub struct UnitFilterInput {
    pub block: Option<Block>,
    pub parent: Option<ID>,
    /// Words of the name, with or without diacritics (`quan 5` finds `Quận 5`).
    pub search: Option<String>,
    /// Only units that exist on this date.
    pub active_on: Option<NaiveDate>,
}

#[derive(Default)]
pub struct UnitsQuery;

#[Object]
impl UnitsQuery {
    /// Units in name order within their block. Public.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn units(
        &self,
        ctx: &Context<'_>,
        filter: Option<UnitFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Unit>> {
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = UnitFilter {
            block: f.block.map(Into::into),
            parent: f.parent.map(|i| i.0),
            search: f.search,
            active_on: f
                .active_on
                .map(|d| crate::clock::check_date("activeOn", d))
                .transpose()?,
        };
        let (total, items) = super::list(&ctx.state().db, &filter, page).await?;
        Ok(page.connection(total, items.into_iter().map(Unit).collect()))
    }

    /// One unit by id or by code. Public.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        code: Option<String>,
    ) -> async_graphql::Result<Option<Unit>> {
        let u = super::get(
            &ctx.state().db,
            id.as_ref().map(|i| i.as_str()),
            code.as_deref(),
        )
        .await?;
        Ok(u.map(Unit))
    }
}

#[derive(InputObject)]
pub struct CreateUnitInput {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub block: Block,
    pub parent: Option<ID>,
    /// Defaults to today.
    pub valid_from: Option<NaiveDate>,
}

#[derive(InputObject)]
pub struct UpdateUnitInput {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub parent: Option<ID>,
}

#[derive(Default)]
pub struct UnitsMutation;

#[Object]
impl UnitsMutation {
    /// Admins: adds a unit.
    async fn create_unit(
        &self,
        ctx: &Context<'_>,
        input: CreateUnitInput,
    ) -> async_graphql::Result<Unit> {
        let u = super::create(
            &ctx.state().db,
            ctx.actor(),
            NewUnit {
                code: input.code,
                name: input.name,
                short_name: input.short_name,
                block: input.block.into(),
                parent: input.parent.map(|i| i.0),
                valid_from: input
                    .valid_from
                    .map(|d| crate::clock::check_date("validFrom", d))
                    .transpose()?,
            },
        )
        .await?;
        Ok(Unit(u))
    }

    /// Admins: renames a unit or moves it under another parent.
    async fn update_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateUnitInput,
    ) -> async_graphql::Result<Unit> {
        let u = super::update(
            &ctx.state().db,
            ctx.actor(),
            &id,
            UnitPatch {
                name: input.name,
                short_name: input.short_name,
                parent: input.parent.map(|i| i.0),
            },
        )
        .await?;
        Ok(Unit(u))
    }

    /// Admins: ends a unit's validity (a reorganisation), naming its successor.
    async fn retire_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        valid_to: NaiveDate,
        successor: Option<ID>,
    ) -> async_graphql::Result<Unit> {
        let u = super::retire(
            &ctx.state().db,
            ctx.actor(),
            &id,
            crate::clock::check_date("validTo", valid_to)?,
            successor.map(|i| i.0),
        )
        .await?;
        Ok(Unit(u))
    }
}
