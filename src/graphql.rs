//! The GraphQL schema: the features' Query and Mutation objects merged into one. The
//! per-request context (actor, client address, DataLoaders) lives below the features, in
//! `crate::context`, so that no feature imports the schema root.
//!
//! The schema itself holds no data, so `portal schema` can print the SDL without a database;
//! the state and the request context are attached to each request.

use async_graphql::{MergedObject, MergedSubscription, SDLExportOptions, Schema, SchemaBuilder};

use crate::accounts::graphql::{AccountsMutation, AccountsQuery};
use crate::calendar::graphql::{CalendarMutation, CalendarQuery};
use crate::complaints::graphql::{ComplaintsMutation, ComplaintsQuery};
use crate::complaints::search::ComplaintsSearchQuery;
use crate::config::Config;
use crate::dialogues::graphql::{DialoguesMutation, DialoguesQuery};
use crate::dossiers::graphql::{DossiersMutation, DossiersQuery};
use crate::notify::graphql::{
    NotificationsMutation, NotificationsQuery, NotificationsSubscription,
};
use crate::par::graphql::{ParMutation, ParQuery};
use crate::par::review_graphql::{ParReviewMutation, ParReviewQuery};
use crate::privacy::graphql::{PrivacyMutation, PrivacyQuery};
use crate::procedures::graphql::{ProceduresMutation, ProceduresQuery};
use crate::procedures::search::ProceduresSearchQuery;
use crate::ratings::graphql::{RatingsMutation, RatingsQuery};
use crate::search::graphql::{SearchSynonymsMutation, SearchSynonymsQuery};
use crate::units::graphql::{UnitsMutation, UnitsQuery};
use crate::units::search::UnitsSearchQuery;

#[derive(MergedObject, Default)]
pub struct Query(
    AccountsQuery,
    UnitsQuery,
    ProceduresQuery,
    CalendarQuery,
    DossiersQuery,
    RatingsQuery,
    ComplaintsQuery,
    ComplaintsSearchQuery,
    ProceduresSearchQuery,
    UnitsSearchQuery,
    ParQuery,
    ParReviewQuery,
    DialoguesQuery,
    PrivacyQuery,
    SearchSynonymsQuery,
    NotificationsQuery,
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
    ParMutation,
    ParReviewMutation,
    DialoguesMutation,
    PrivacyMutation,
    SearchSynonymsMutation,
    NotificationsMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(NotificationsSubscription);

pub type PortalSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema with the query limits of the configuration: depth and complexity (a list
/// costs by its `first`, a search by far more than a field), and introspection only where it
/// is turned on. Fields and aliases per document are checked before, by the HTTP handler
/// (`crate::query_limits`).
pub fn build_schema(config: &Config) -> PortalSchema {
    // The configured depth is checked by `crate::query_limits` outside introspection; here the
    // deeper introspection query GraphiQL sends is the backstop.
    let b = builder()
        .limit_depth(
            config
                .query_depth
                .max(crate::query_limits::INTROSPECTION_DEPTH),
        )
        .extension(crate::field_paths::FieldPaths)
        .extension(crate::complexity::ComplexityLimit {
            limit: config.query_complexity,
        })
        .limit_recursive_depth(32)
        .limit_directives(16)
        .extension(crate::query_limits::FairShare::of_pool(
            if config.database_url.starts_with("sqlite") {
                crate::db::SQLITE_CONNECTIONS
            } else {
                config.db_pool
            },
        ));
    if config.introspection {
        b.finish()
    } else {
        b.disable_introspection().finish()
    }
}

pub(crate) fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
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
