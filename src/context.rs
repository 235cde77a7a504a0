//! What one GraphQL request carries into the resolvers: the caller, their address and
//! language, their unit scope (read once), and the DataLoaders. It sits below the features and
//! the schema, so feature types take their loaders from here and never import the schema root.

use std::net::IpAddr;

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;
use tokio::sync::OnceCell;

use crate::access::Scope;
use crate::auth::Actor;
use crate::catalog::TableLoader;
use crate::db::ByIdLoader;
use crate::error::{AppResult, Lang};
use crate::state::AppState;

/// What one request carries into the resolvers.
pub struct RequestCtx {
    pub actor: Actor,
    pub client_ip: IpAddr,
    pub lang: Lang,
    pub loaders: Loaders,
    /// The caller's read scope, looked up at most once per request.
    pub scope: OnceCell<Scope>,
}

impl RequestCtx {
    pub fn new(state: &AppState, actor: Actor, client_ip: IpAddr, lang: Lang) -> RequestCtx {
        RequestCtx {
            loaders: Loaders::new(state, &actor),
            actor,
            client_ip,
            lang,
            scope: OnceCell::new(),
        }
    }
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
    pub dialogues: DataLoader<crate::dialogues::graphql::DialogueLoader>,
    pub dialogue_issues: DataLoader<crate::dialogues::graphql::IssuesLoader>,
    pub commitments: DataLoader<crate::dialogues::graphql::CommitmentsLoader>,
    pub complaint_dialogues: DataLoader<crate::dialogues::graphql::ComplaintDialoguesLoader>,
    /// The units whose officials used a client address (by its hash) in the last hour.
    pub staff_addresses: DataLoader<crate::ratings::self_rating::StaffAddressLoader>,
    /// The latest review request about a dossier or complaint (by its id).
    pub par_reviews: DataLoader<crate::par::review::LatestLoader>,
    /// The current figures of units and of procedures (`satisfaction`, `onTimeShare`).
    pub unit_figures: DataLoader<crate::ratings::graphql::FiguresLoader>,
    pub procedure_figures: DataLoader<crate::ratings::graphql::FiguresLoader>,
    /// Staff decisions on masking complaints' public text (by complaint id).
    pub complaint_masks: DataLoader<crate::privacy::masks::DecisionsLoader>,
    /// The consents given with complaints (by complaint id).
    pub complaint_consents: DataLoader<crate::privacy::ConsentsLoader>,
    /// The copies of people's data asked for in the request (built once each).
    pub copies: DataLoader<crate::privacy::export::CopyLoader>,
    /// Writes the caller's reads of contacts to the log, batched per request.
    pub contact_reads: DataLoader<crate::privacy::reads::ReadLogger>,
}

impl Loaders {
    pub fn new(state: &AppState, actor: &Actor) -> Loaders {
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
            dialogues: DataLoader::new(
                crate::dialogues::graphql::DialogueLoader(db()),
                tokio::spawn,
            ),
            dialogue_issues: DataLoader::new(
                crate::dialogues::graphql::IssuesLoader(db()),
                tokio::spawn,
            ),
            commitments: DataLoader::new(
                crate::dialogues::graphql::CommitmentsLoader(db()),
                tokio::spawn,
            ),
            complaint_dialogues: DataLoader::new(
                crate::dialogues::graphql::ComplaintDialoguesLoader(db()),
                tokio::spawn,
            ),
            staff_addresses: DataLoader::new(
                crate::ratings::self_rating::StaffAddressLoader(db()),
                tokio::spawn,
            ),
            par_reviews: DataLoader::new(crate::par::review::LatestLoader(db()), tokio::spawn),
            unit_figures: DataLoader::new(
                crate::ratings::graphql::FiguresLoader(db(), crate::search::docs::By::Unit),
                tokio::spawn,
            ),
            procedure_figures: DataLoader::new(
                crate::ratings::graphql::FiguresLoader(db(), crate::search::docs::By::Procedure),
                tokio::spawn,
            ),
            complaint_masks: DataLoader::new(
                crate::privacy::masks::DecisionsLoader(db()),
                tokio::spawn,
            ),
            complaint_consents: DataLoader::new(crate::privacy::ConsentsLoader(db()), tokio::spawn),
            copies: DataLoader::new(crate::privacy::export::CopyLoader(db()), tokio::spawn),
            contact_reads: DataLoader::new(
                crate::privacy::reads::ReadLogger {
                    db: db(),
                    actor: actor.clone(),
                },
                tokio::spawn,
            )
            .max_batch_size(500),
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
    /// The caller's read scope (`crate::access::read_scope`), once per request.
    fn read_scope(&self) -> impl std::future::Future<Output = AppResult<&Scope>> + Send {
        let req = self.req();
        let state = self.state();
        async move {
            req.scope
                .get_or_try_init(|| crate::access::read_scope(&state.db, &req.actor))
                .await
        }
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
