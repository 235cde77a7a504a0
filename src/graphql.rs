//! The GraphQL schema: the features' Query and Mutation objects merged into one, and the
//! per-request context (actor, client address, DataLoaders).
//!
//! The schema itself holds no data, so `portal schema` can print the SDL without a database;
//! the state and the request context are attached to each request.

use std::net::IpAddr;

use async_graphql::dataloader::DataLoader;
use async_graphql::{
    Context, EmptySubscription, MergedObject, SDLExportOptions, Schema, SchemaBuilder,
};

use crate::accounts::graphql::{AccountsMutation, AccountsQuery};
use crate::auth::Actor;
use crate::calendar::graphql::{CalendarMutation, CalendarQuery};
use crate::catalog::TableLoader;
use crate::complaints::graphql::{ComplaintsMutation, ComplaintsQuery};
use crate::config::Config;
use crate::db::ByIdLoader;
use crate::dossiers::graphql::{DossiersMutation, DossiersQuery};
use crate::error::Lang;
use crate::procedures::graphql::{ProceduresMutation, ProceduresQuery};
use crate::ratings::graphql::{RatingsMutation, RatingsQuery};
use crate::search::graphql::SearchQuery;
use crate::state::AppState;
use crate::units::graphql::{UnitsMutation, UnitsQuery};

#[derive(MergedObject, Default)]
pub struct Query(
    AccountsQuery,
    UnitsQuery,
    ProceduresQuery,
    CalendarQuery,
    DossiersQuery,
    RatingsQuery,
    ComplaintsQuery,
    SearchQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AccountsMutation,
    UnitsMutation,
    ProceduresMutation,
    CalendarMutation,
    DossiersMutation,
    RatingsMutation,
    ComplaintsMutation,
);

pub type PortalSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema with the query limits of the configuration.
pub fn build_schema(config: &Config) -> PortalSchema {
    builder()
        .limit_depth(config.query_depth)
        .limit_complexity(config.query_complexity)
        .limit_recursive_depth(32)
        .limit_directives(16)
        .finish()
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
}

/// The SDL with sorted fields, arguments and enum items, so that it diffs only on real change.
pub fn sdl() -> String {
    builder().finish().sdl_with_options(
        SDLExportOptions::new()
            .sorted_fields()
            .sorted_arguments()
            .sorted_enum_items(),
    )
}

/// What one request carries into the resolvers.
pub struct RequestCtx {
    pub actor: Actor,
    pub client_ip: IpAddr,
    pub lang: Lang,
    pub loaders: Loaders,
}

/// DataLoaders, made per request so that batches never mix two callers' requests.
pub struct Loaders {
    pub units: DataLoader<TableLoader<entity::unit::Entity>>,
    pub procedures: DataLoader<TableLoader<entity::procedure::Entity>>,
    pub procedure_units: DataLoader<crate::procedures::ProcedureUnitsLoader>,
    pub businesses: DataLoader<ByIdLoader<entity::business::Entity>>,
    pub dossiers: DataLoader<ByIdLoader<entity::dossier::Entity>>,
    pub rated: DataLoader<crate::dossiers::RatedLoader>,
    pub complaints: DataLoader<ByIdLoader<entity::complaint::Entity>>,
    pub complaint_events: DataLoader<crate::complaints::EventsLoader>,
}

impl Loaders {
    pub fn new(state: &AppState) -> Loaders {
        let db = || state.db.clone();
        Loaders {
            units: DataLoader::new(TableLoader(state.catalog.units.clone()), tokio::spawn),
            procedures: DataLoader::new(
                TableLoader(state.catalog.procedures.clone()),
                tokio::spawn,
            ),
            procedure_units: DataLoader::new(
                crate::procedures::ProcedureUnitsLoader(db()),
                tokio::spawn,
            ),
            businesses: DataLoader::new(ByIdLoader::new(db()), tokio::spawn),
            dossiers: DataLoader::new(ByIdLoader::new(db()), tokio::spawn),
            rated: DataLoader::new(crate::dossiers::RatedLoader(db()), tokio::spawn),
            complaints: DataLoader::new(ByIdLoader::new(db()), tokio::spawn),
            complaint_events: DataLoader::new(crate::complaints::EventsLoader(db()), tokio::spawn),
        }
    }
}

/// Access to the state and the request from a resolver.
pub trait CtxExt {
    fn state(&self) -> &AppState;
    fn req(&self) -> &RequestCtx;
    fn actor(&self) -> &Actor {
        &self.req().actor
    }
    fn loaders(&self) -> &Loaders {
        &self.req().loaders
    }
}

impl CtxExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }
    fn req(&self) -> &RequestCtx {
        self.data_unchecked::<RequestCtx>()
    }
}
