//! GraphQL types and resolvers of units. Resolvers parse arguments and call the service.

use crate::scalars::Day;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use chrono::NaiveDate;
use entity::unit;

use super::history::UnitHistory;
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
    /// Thủ Đức city, quận, huyện (and wards under them), until 30 June 2025.
    District,
    /// Phường, xã, đặc khu: directly under the city since 1 July 2025.
    Commune,
}

/// How a unit's work passed to another.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::unit_succession::Kind")]
pub enum SuccessionKind {
    /// Merged (sáp nhập, hợp nhất) into the successor.
    MergedInto,
    /// Split (chia tách) among several successors.
    SplitInto,
    /// Reorganised under a new name and code.
    Renamed,
}

/// A unit as it was from `validFrom` until `validTo` (the day before the next version, or the
/// unit's end).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct UnitVersion {
    pub valid_from: Day,
    pub valid_to: Option<Day>,
    pub name: String,
    pub short_name: Option<String>,
    pub block: Block,
    #[graphql(skip)]
    pub parent_id: Option<String>,
}

#[ComplexObject]
impl UnitVersion {
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, self.parent_id.as_deref()).await
    }
}

/// A succession link seen from one side: the unit on the other side, from when, and how.
pub struct UnitLink {
    other: String,
    on: NaiveDate,
    kind: entity::unit_succession::Kind,
}

#[Object]
impl UnitLink {
    async fn unit(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, Some(&self.other)).await
    }
    /// The first day the successor carries the work.
    async fn on(&self) -> Day {
        self.on.into()
    }
    async fn kind(&self) -> SuccessionKind {
        self.kind.into()
    }
}

/// The units rolled up into `unit` (its predecessors, transitively) when `roll_up` is asked
/// for; empty otherwise.
pub async fn rolled_up(
    ctx: &Context<'_>,
    unit: Option<&str>,
    roll_up: bool,
) -> async_graphql::Result<Vec<String>> {
    match unit {
        Some(u) if roll_up => Ok(history(ctx).await?.all_predecessors(u)),
        _ => Ok(vec![]),
    }
}

/// The cached versions and succession links.
pub async fn history(ctx: &Context<'_>) -> async_graphql::Result<Arc<UnitHistory>> {
    Ok(UnitHistory::cached(ctx.state()).await?)
}

pub struct Unit(pub unit::Model);

/// What a unit's list of links or versions counts for in a query's complexity: a unit has a
/// handful (a merged ward a few, a city's reorganisation a few hundred at most), and lists
/// nested in lists multiply, so a query cannot walk a reorganisation back and forth.
const LINKS_COST: usize = 10;

#[Object]
impl Unit {
    /// The current verified satisfaction: overall and per component, as search hits show
    /// it (the figures kept with the catalog, refreshed as ratings arrive).
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<crate::ratings::graphql::SatisfactionView> {
        let loader = &ctx.loaders().unit_figures;
        Ok(
            crate::ratings::graphql::current_figures(ctx, loader, &self.0.id)
                .await?
                .0,
        )
    }
    /// Percent of completed dossiers completed on time (null before any is completed).
    async fn on_time_share(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<f64>> {
        let loader = &ctx.loaders().unit_figures;
        Ok(
            crate::ratings::graphql::current_figures(ctx, loader, &self.0.id)
                .await?
                .1,
        )
    }
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
    async fn valid_from(&self) -> Day {
        self.0.valid_from.into()
    }
    async fn valid_to(&self) -> Option<Day> {
        self.0.valid_to.map(Into::into)
    }
    /// Whether the unit exists today (in the city's time zone).
    async fn active(&self) -> bool {
        let today = crate::clock::today();
        self.0.valid_from <= today && self.0.valid_to.is_none_or(|t| t >= today)
    }
    async fn parent(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, self.0.parent_id.as_deref()).await
    }
    /// The first unit that took over this unit's work when it was retired (see `successors`).
    async fn successor(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Unit>> {
        load(ctx, self.0.successor_id.as_deref()).await
    }
    /// The units that carry on this unit's work, from when and how.
    #[graphql(complexity = "LINKS_COST * child_complexity")]
    async fn successors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UnitLink>> {
        let h = history(ctx).await?;
        Ok(h.successors(&self.0.id)
            .iter()
            .map(|s| UnitLink {
                other: s.successor_id.clone(),
                on: s.effective_on,
                kind: s.kind,
            })
            .collect())
    }
    /// The units whose work this unit took over, from when and how.
    #[graphql(complexity = "LINKS_COST * child_complexity")]
    async fn predecessors(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UnitLink>> {
        let h = history(ctx).await?;
        Ok(h.predecessors(&self.0.id)
            .iter()
            .map(|s| UnitLink {
                other: s.predecessor_id.clone(),
                on: s.effective_on,
                kind: s.kind,
            })
            .collect())
    }
    /// Every version of the unit (name, block, parent), oldest first.
    #[graphql(complexity = "LINKS_COST * child_complexity")]
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<UnitVersion>> {
        Ok(versions_of(&*history(ctx).await?, &self.0))
    }
    /// The version in force on `at`: the unit as it was that day (none before it existed or
    /// after it ended).
    async fn version(
        &self,
        ctx: &Context<'_>,
        at: Day,
    ) -> async_graphql::Result<Option<UnitVersion>> {
        if !super::history::exists_on(&self.0, at.0) {
            return Ok(None);
        }
        Ok(versions_of(&*history(ctx).await?, &self.0)
            .into_iter()
            .rev()
            .find(|v| v.valid_from <= at))
    }
}

fn versions_of(h: &UnitHistory, u: &unit::Model) -> Vec<UnitVersion> {
    let vs = h.versions(&u.id);
    vs.iter()
        .enumerate()
        .map(|(i, v)| UnitVersion {
            valid_from: v.valid_from.into(),
            valid_to: vs
                .get(i + 1)
                .map(|n| n.valid_from - chrono::Duration::days(1))
                .or(u.valid_to)
                .map(Into::into),
            name: v.name.clone(),
            short_name: v.short_name.clone(),
            block: v.block.into(),
            parent_id: v.parent_id.clone(),
        })
        .collect()
}

async fn load(ctx: &Context<'_>, id: Option<&str>) -> async_graphql::Result<Option<Unit>> {
    let Some(id) = id else { return Ok(None) };
    let u = ctx.loaders().units.load_one(id.to_string()).await?;
    Ok(u.map(Unit))
}

/// Which units a list or a search returns. Every field narrows; all are optional.
#[derive(InputObject, Default)]
#[graphql(name = "UnitFilter")]
pub struct UnitFilterInput {
    /// Words of the name, with or without diacritics (`quan 5` finds `Quận 5`).
    pub query: Option<String>,
    pub block: Option<Block>,
    /// Not in `searchUnits`.
    pub parent: Option<ID>,
    /// Only units that exist on this date, each as it was then (name, block, parent). Not in
    /// `searchUnits`.
    pub active_on: Option<Day>,
    /// Also the units that ended before today (29 districts and wards of the 2025
    /// reorganisation, say). Without it, and without `activeOn`, only today's units.
    #[graphql(default)]
    pub include_ended: bool,
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
            search: f.query,
            active_on: f
                .active_on
                .map(|d| crate::clock::check_date("filter.activeOn", d))
                .transpose()?,
            include_ended: f.include_ended,
        };
        let (total, items) = super::list(ctx.state(), &filter, page.clone()).await?;
        Ok(page.connection(total, items.into_iter().map(Unit).collect()))
    }

    /// One unit by id, whether or not it still exists, as it was on `at` (its name, block
    /// and parent then; default: the latest version). Public.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: Option<Day>,
    ) -> async_graphql::Result<Option<Unit>> {
        unit_lookup(ctx, Some(id.as_str()), None, at).await
    }

    /// One unit by its code (`STP`, `P.CHOLON`), as `unit` does by id. Public.
    async fn unit_by_code(
        &self,
        ctx: &Context<'_>,
        code: String,
        at: Option<Day>,
    ) -> async_graphql::Result<Option<Unit>> {
        unit_lookup(ctx, None, Some(&code), at).await
    }
}

async fn unit_lookup(
    ctx: &Context<'_>,
    id: Option<&str>,
    code: Option<&str>,
    at: Option<Day>,
) -> async_graphql::Result<Option<Unit>> {
    let at = at.map(|d| crate::clock::check_date("at", d)).transpose()?;
    let u = super::get(&ctx.state().db, id, code).await?;
    Ok(match (u, at) {
        (Some(u), Some(d)) => {
            let h = history(ctx).await?;
            Some(Unit(super::history::unit_at(&h, &u, d)))
        }
        (u, _) => u.map(Unit),
    })
}

#[derive(InputObject)]
pub struct CreateUnitInput {
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub block: Block,
    pub parent: Option<ID>,
    /// Defaults to today.
    pub valid_from: Option<Day>,
}

#[derive(InputObject)]
pub struct UpdateUnitInput {
    pub name: Option<String>,
    pub short_name: Option<String>,
    pub parent: Option<ID>,
    pub block: Option<Block>,
    /// With a date, the change is a new version in force from that day (a renaming, a move);
    /// without, the latest version is corrected.
    pub valid_from: Option<Day>,
}

/// A unit that carries on a retired unit's work.
#[derive(InputObject)]
pub struct UnitSuccessorInput {
    pub unit: ID,
    #[graphql(default_with = "SuccessionKind::MergedInto")]
    pub kind: SuccessionKind,
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
                block: input.block.map(Into::into),
                valid_from: input
                    .valid_from
                    .map(|d| crate::clock::check_date("validFrom", d))
                    .transpose()?,
            },
        )
        .await?;
        Ok(Unit(u))
    }

    /// Admins: ends a unit's validity on `validTo` (a reorganisation), naming the units that
    /// carry on its work from the next day (`successor` is the one-successor shorthand). Its
    /// open complaints are forwarded to the first successor.
    async fn retire_unit(
        &self,
        ctx: &Context<'_>,
        id: ID,
        valid_to: Day,
        successor: Option<ID>,
        successors: Option<Vec<UnitSuccessorInput>>,
    ) -> async_graphql::Result<Unit> {
        let field = if successors.is_some() {
            "successors"
        } else {
            "successor"
        };
        let mut list: Vec<(String, entity::unit_succession::Kind)> = successor
            .map(|s| (s.0, entity::unit_succession::Kind::MergedInto))
            .into_iter()
            .collect();
        for s in successors.unwrap_or_default() {
            list.push((s.unit.0, s.kind.into()));
        }
        if list.len() > 200 {
            return Err(crate::error::AppError::bad_input(
                "successors",
                "Tối đa 200 đơn vị kế thừa.",
                "At most 200 successors.",
            )
            .into());
        }
        let u = super::retire(
            ctx.state(),
            ctx.actor(),
            &id,
            crate::clock::check_date("validTo", valid_to)?,
            list,
            field,
        )
        .await?;
        Ok(Unit(u))
    }
}
