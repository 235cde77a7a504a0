//! GraphQL types and resolvers of the procedure catalog.

use async_graphql::{Context, Enum, ID, InputObject, Object};
use entity::procedure;

use super::{ProcedureFilter, ProcedureInput, ProcedurePatch};
use crate::context::CtxExt;
use crate::pagination::{Conn, Page};
use crate::units::graphql::Unit;

/// The administrative level that performs a procedure.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::procedure::Level")]
pub enum ProcedureLevel {
    City,
    /// Until 30 June 2025.
    District,
    /// Ward level until 30 June 2025.
    Ward,
    /// Commune level (wards, communes, the special zone) since 1 July 2025.
    Commune,
}

/// How far a procedure can be done online: not at all, partly, or end to end.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::procedure::OnlineLevel")]
pub enum OnlineLevel {
    None,
    Partial,
    Full,
}

pub struct Procedure(pub procedure::Model);

#[Object]
impl Procedure {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    /// National procedure code, as published (upper case).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Lĩnh vực.
    async fn field(&self) -> &str {
        &self.0.field
    }
    async fn level(&self) -> ProcedureLevel {
        self.0.level.into()
    }
    /// Statutory processing time in working days.
    async fn processing_days(&self) -> i32 {
        self.0.processing_days
    }
    /// Resolved within one working day.
    async fn one_day(&self) -> bool {
        self.0.one_day
    }
    async fn online_level(&self) -> OnlineLevel {
        self.0.online_level.into()
    }
    /// Receipts after this local time (`HH:MM`, city time) count from the next working day
    /// (15:00 for same-day procedures unless set otherwise).
    async fn receipt_cutoff(&self) -> Option<String> {
        super::cutoff_of(&self.0).map(|t| t.format("%H:%M").to_string())
    }
    async fn retired(&self) -> bool {
        self.0.retired
    }
    /// The units that perform this procedure: those that exist today, unless
    /// `includeEnded`.
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_ended: bool,
    ) -> async_graphql::Result<Vec<Unit>> {
        let v = ctx
            .loaders()
            .procedure_units
            .load_one(self.0.id.clone())
            .await?;
        let today = crate::clock::today();
        Ok(v.unwrap_or_default()
            .into_iter()
            .filter(|u| include_ended || u.valid_to.is_none_or(|d| d >= today))
            .map(Unit)
            .collect())
    }
    /// The current verified satisfaction: overall and per component, as search hits show
    /// it (the figures kept with the catalog, refreshed as ratings arrive).
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::ratings::graphql::SatisfactionView> {
        let loader = &ctx.loaders().procedure_figures;
        Ok(
            crate::ratings::graphql::current_figures(ctx, loader, &self.0.id)
                .await?
                .0,
        )
    }
    /// Percent of completed dossiers completed on time (null before any is completed).
    async fn on_time_share(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        let loader = &ctx.loaders().procedure_figures;
        Ok(
            crate::ratings::graphql::current_figures(ctx, loader, &self.0.id)
                .await?
                .1,
        )
    }
}

/// Which procedures `procedures` lists. Every field narrows; all are optional.
#[derive(InputObject, Default)]
#[graphql(name = "ProcedureFilter")]
pub struct ProcedureFilterInput {
    /// Performed by this unit.
    pub unit: Option<ID>,
    /// Lĩnh vực, matched without regard to case or diacritics.
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub one_day: Option<bool>,
    /// Words of the name (with or without diacritics), or an exact procedure code.
    pub query: Option<String>,
    /// Admins: include retired procedures.
    pub include_retired: Option<bool>,
}

#[derive(Default)]
pub struct ProceduresQuery;

#[Object]
impl ProceduresQuery {
    /// The public catalog of procedures, in name order.
    #[graphql(complexity = "crate::pagination::list_cost(first, child_complexity)")]
    async fn procedures(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProcedureFilterInput>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Conn<Procedure>> {
        let page = Page::parse(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = ProcedureFilter {
            unit: f.unit.map(|i| i.0),
            field: f.field,
            level: f.level.map(Into::into),
            one_day: f.one_day,
            search: f.query,
            include_retired: f.include_retired.unwrap_or(false)
                && crate::access::sees_retired_procedures(ctx.actor()),
        };
        let (total, items) = super::list(&ctx.state().db, &filter, page.clone()).await?;
        Ok(page.connection(total, items.into_iter().map(Procedure).collect()))
    }

    /// One procedure by id. Public.
    async fn procedure(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Procedure>> {
        Ok(super::get(&ctx.state().db, Some(id.as_str()), None)
            .await?
            .map(Procedure))
    }

    /// One procedure by its code in the national catalog. Public.
    async fn procedure_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<Option<Procedure>> {
        Ok(super::get(&ctx.state().db, None, Some(&code))
            .await?
            .map(Procedure))
    }
}

#[derive(InputObject)]
pub struct CreateProcedureInput {
    pub code: String,
    pub name: String,
    pub field: String,
    pub level: ProcedureLevel,
    pub processing_days: i32,
    #[graphql(default)]
    pub one_day: bool,
    pub online_level: Option<OnlineLevel>,
    /// Ids of the performing units.
    pub units: Vec<ID>,
    /// Receipts after this local time (`HH:MM`) count from the next working day; default
    /// 15:00 for same-day procedures, none otherwise; empty for none.
    pub receipt_cutoff: Option<String>,
}

#[derive(InputObject)]
pub struct UpdateProcedureInput {
    pub name: Option<String>,
    pub field: Option<String>,
    pub level: Option<ProcedureLevel>,
    pub processing_days: Option<i32>,
    pub one_day: Option<bool>,
    pub online_level: Option<OnlineLevel>,
    pub units: Option<Vec<ID>>,
    /// Retire (true) hides the procedure from the catalog; false brings it back.
    pub retired: Option<bool>,
    /// `HH:MM`, or empty for none.
    pub receipt_cutoff: Option<String>,
}

#[derive(Default)]
pub struct ProceduresMutation;

#[Object]
impl ProceduresMutation {
    /// Admins: adds a procedure to the catalog.
    async fn create_procedure(
        &self,
        ctx: &Context<'_>,
        input: CreateProcedureInput,
    ) -> async_graphql::Result<Procedure> {
        let p = super::create(
            &ctx.state().db,
            ctx.actor(),
            ProcedureInput {
                code: input.code,
                name: input.name,
                field: input.field,
                level: Some(input.level.into()),
                processing_days: input.processing_days,
                one_day: input.one_day,
                online_level: input.online_level.map(Into::into),
                units: input.units.into_iter().map(|i| i.0).collect(),
                retired: false,
                receipt_cutoff: input
                    .receipt_cutoff
                    .as_deref()
                    .map(super::parse_cutoff)
                    .transpose()?,
            },
        )
        .await?;
        Ok(Procedure(p))
    }

    /// Admins: changes or retires a procedure.
    async fn update_procedure(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProcedureInput,
    ) -> async_graphql::Result<Procedure> {
        let p = super::update(
            &ctx.state().db,
            ctx.actor(),
            &id,
            ProcedurePatch {
                name: input.name,
                field: input.field,
                level: input.level.map(Into::into),
                processing_days: input.processing_days,
                one_day: input.one_day,
                online_level: input.online_level.map(Into::into),
                units: input.units.map(|v| v.into_iter().map(|i| i.0).collect()),
                retired: input.retired,
                receipt_cutoff: input
                    .receipt_cutoff
                    .as_deref()
                    .map(super::parse_cutoff)
                    .transpose()?,
            },
        )
        .await?;
        Ok(Procedure(p))
    }
}
