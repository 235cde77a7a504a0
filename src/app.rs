//! The HTTP application: the axum router, GraphQL over HTTP, health checks, and the server's
//! life cycle. Nothing domain-specific lives here.
//!
//! GraphQL over HTTP follows the specification: `POST /graphql` with `application/json`;
//! responses in `application/graphql-response+json` when the client accepts it (with 4xx
//! statuses for requests that cannot be executed), otherwise `application/json` with 200.
//! `GET /graphql` executes queries given as URL parameters, never mutations (405), and serves
//! GraphiQL to a browser.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth::Actor;
use crate::config::Config;
use crate::context::RequestCtx;
use crate::error::{AppError, LANG, Lang};
use crate::graphql::{PortalSchema, build_schema};
use crate::graphql_errors::Failure;
use crate::state::AppState;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

#[derive(Clone)]
struct Http {
    state: AppState,
    schema: PortalSchema,
    documents: Arc<crate::documents::Documents>,
}

/// A built server, bound to its address but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

/// Applies a reorganisation as it takes effect: unit versions dated in advance come into force,
/// and the open complaints of units that have ended go to their successors. At start-up, then
/// every ten minutes.
async fn forward_from_ended_units(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        forward_once(&state).await;
    }
}

async fn forward_once(state: &AppState) {
    match crate::units::apply_due_versions(&state.db).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            units = n,
            "unit versions dated today or earlier took effect"
        ),
        Err(e) => tracing::warn!(
            error = %e.message(crate::error::Lang::En),
            "applying unit versions failed"
        ),
    }
    {
        match crate::complaints::forward_from_ended_units(state, &crate::auth::Actor::Anonymous)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                complaints = n,
                "forwarded complaints of ended units to their successors"
            ),
            Err(e) => tracing::warn!(
                error = %e.message(crate::error::Lang::En),
                "forwarding complaints of ended units failed"
            ),
        }
    }
}

/// Deletes expired sessions and refresh tokens, hourly.
async fn prune_sessions(db: sea_orm::DatabaseConnection) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        match crate::accounts::sessions::prune(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(rows = n, "deleted expired sessions and refresh tokens"),
            Err(e) => tracing::warn!(
                error = %e.message(crate::error::Lang::En),
                "deleting expired sessions failed"
            ),
        }
    }
}

impl Application {
    /// Connects to the database, applies migrations, seeds demo data when asked, and binds.
    /// The JWT secret must already be resolved in `config`.
    pub async fn build(config: Config, demo: bool) -> anyhow::Result<Application> {
        let (db, sql_statements) =
            crate::db::connect_counted(&config.database_url, config.db_pool).await?;
        crate::db::migrate(&db).await?;
        let calendar = crate::calendar::SharedCalendar::new(config.holidays()?);
        calendar.reload(&db).await?;
        if demo {
            let r = crate::seed::demo(&db, &calendar.get(), false).await?;
            tracing::info!(%r, "demo data ready");
        }
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|e| anyhow::anyhow!("PORTAL_ADDR: cannot listen on {}: {e}", config.addr))?;
        let search = crate::search::open(&config, &db).await?;
        if search.is_ready() {
            crate::search::outbox::fill_empty(&db, &search).await?;
        }
        crate::privacy::notice::ensure(&db, config.retain_contact_days).await?;
        let mut config = config;
        // Links in messages point at this server unless PORTAL_PUBLIC_URL says otherwise.
        if config.notify.public_url.is_none()
            && let Ok(a) = listener.local_addr()
        {
            config.notify.public_url = Some(format!("http://{a}"));
        }
        let state = AppState::new(db, config, calendar, sql_statements, search);
        let state_for_sweep = state.clone();
        tokio::spawn(crate::search::outbox::run_indexer(
            state.db.clone(),
            state.search.clone(),
            state.indexer_wake.clone(),
        ));
        tokio::spawn(crate::search::synonyms::run(
            state.db.clone(),
            state.search.clone(),
        ));
        // Calendar and catalog changes made by any server, applied at once.
        tokio::spawn(crate::announce::listen(state.clone()));
        // Once before serving (so that start-up writes do not race the first requests), then
        // periodically.
        forward_once(&state).await;
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
            forward_from_ended_units(state_for_sweep).await
        });
        tokio::spawn(prune_sessions(state.db.clone()));
        tokio::spawn(crate::privacy::retention::run(state.clone()));
        if state.config.notify.worker {
            let channels = crate::notify::worker::Channels::new(&state.config)
                .map_err(|e| anyhow::anyhow!(e))?;
            tokio::spawn(crate::notify::worker::run(state.clone(), channels));
            tokio::spawn(crate::notify::schedule::run(state.clone()));
        }
        Ok(Application {
            router: router(state.clone()),
            listener,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM or Ctrl-C, letting requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `signal` completes.
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// The router with every route and layer.
pub fn router(state: AppState) -> Router {
    let config = &state.config;
    let http = Http {
        schema: build_schema(config),
        state: state.clone(),
        documents: Default::default(),
    };
    let cors = cors(config);
    let mut r = Router::new()
        .route("/graphql", get(graphql_get).post(graphql_post))
        .route("/graphql/ws", get(graphql_ws))
        .route(
            crate::notify::unsubscribe::PATH,
            get(
                |State(h): State<Http>,
                 q: axum::extract::Query<crate::notify::unsubscribe::TokenParam>| async move {
                    crate::notify::unsubscribe::show(State(h.state), q).await
                },
            )
            .post(
                |State(h): State<Http>,
                 q: axum::extract::Query<crate::notify::unsubscribe::TokenParam>| async move {
                    crate::notify::unsubscribe::confirm(State(h.state), q).await
                },
            ),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/open-data/par-index/{file}", get(par_open_data));
    if config.introspection {
        r = r.route("/schema.graphql", get(|| async { crate::graphql::sdl() }));
    }
    if config.graphiql {
        r = r.route("/graphiql/{file}", get(crate::graphiql::asset));
    }
    r.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(http)
        // The GraphQL handler reads the body itself, against PORTAL_BODY_LIMIT.
        .layer(DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(panic_response))
        // gzip when the client accepts it and the answer is worth it (a list, a schema).
        .layer(
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                // The fastest level: most of the saving for a fraction of the CPU.
                .quality(tower_http::CompressionLevel::Fastest)
                .compress_when(tower_http::compression::predicate::SizeAbove::new(1024)),
        )
        .layer(cors)
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// `GET /graphql/ws`: subscriptions (`crate::graphql_ws`).
async fn graphql_ws(
    State(http): State<Http>,
    protocol: async_graphql_axum::GraphQLProtocol,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: axum::extract::WebSocketUpgrade,
) -> Response {
    crate::graphql_ws::upgrade(http.state, http.schema, protocol, headers, peer, ws).await
}

fn cors(config: &Config) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
        ]);
    if config.cors_origins.iter().any(|o| o == "*") {
        layer.allow_origin(AllowOrigin::any())
    } else {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer.allow_origin(origins)
    }
}

/// Every answer is JSON, an unknown path too.
async fn not_found(headers: HeaderMap) -> Response {
    request_error(
        StatusCode::NOT_FOUND,
        false,
        AppError::not_found(
            "Không có đường dẫn này. GraphQL ở /graphql.",
            "No such path. GraphQL is at /graphql.",
        ),
        lang_of(&headers),
    )
}

async fn method_not_allowed(headers: HeaderMap) -> Response {
    request_error(
        StatusCode::METHOD_NOT_ALLOWED,
        false,
        AppError::bad_input(
            "method",
            "Phương thức HTTP này không được hỗ trợ; dùng GET hoặc POST.",
            "This HTTP method is not supported; use GET or POST.",
        ),
        lang_of(&headers),
    )
}

/// A panic anywhere in a request still answers with a GraphQL error carrying an error id (the
/// panic itself is logged under that id).
fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = err
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| err.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let e = AppError::internal(format!("panic: {what}"));
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        false,
        &e.to_response_body(Lang::current()),
    )
}

/// Longest time a client may take to send a body, including the drain of one that is too large.
const BODY_READ_TIME: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a request body of at most `limit` bytes. One that is larger is still read to its end
/// (up to 16 times the limit) and discarded, so that the client, which is still sending, gets to
/// read the 413 instead of a reset connection. `Err(n)` gives the bytes seen.
async fn read_body(body: Body, limit: usize, declared: Option<usize>) -> Result<Bytes, usize> {
    use http_body_util::BodyExt;
    let drain_cap = limit.saturating_mul(16).max(16 << 20);
    if declared.is_some_and(|n| n > drain_cap) {
        return Err(declared.unwrap_or(0));
    }
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut seen = 0usize;
    let started = tokio::time::Instant::now();
    loop {
        let left = BODY_READ_TIME.saturating_sub(started.elapsed());
        let frame = match tokio::time::timeout(left, body.frame()).await {
            Ok(Some(Ok(f))) => f,
            Ok(None) => break,
            // A broken or too slow upload: what was seen is all there is.
            Ok(Some(Err(_))) | Err(_) => return Err(seen.max(limit + 1)),
        };
        if let Ok(data) = frame.into_data() {
            seen = seen.saturating_add(data.len());
            if seen <= limit {
                buf.extend_from_slice(&data);
            } else if seen > drain_cap {
                break;
            }
        }
    }
    if seen > limit {
        Err(seen)
    } else {
        Ok(Bytes::from(buf))
    }
}

fn too_large(spec: bool, limit: usize, lang: Lang) -> Response {
    request_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        spec,
        AppError::bad_input(
            "body",
            format!("Nội dung yêu cầu vượt quá giới hạn {limit} byte (PORTAL_BODY_LIMIT)."),
            format!("The request body is over the limit of {limit} bytes (PORTAL_BODY_LIMIT)."),
        ),
        lang,
    )
}

/// `GET /open-data/par-index/{year}.csv` or `.json`: a published year of the PAR index.
async fn par_open_data(
    State(http): State<Http>,
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = lang_of(&headers);
    let (year, ext) = match file.rsplit_once('.') {
        Some((y, e))
            if matches!(e, "csv" | "json")
                && y.len() == 4
                && y.bytes().all(|b| b.is_ascii_digit()) =>
        {
            (y.parse::<i32>().ok(), e)
        }
        _ => (None, ""),
    };
    let Some(year) = year else {
        return request_error(
            StatusCode::NOT_FOUND,
            false,
            AppError::not_found(
                "Đường dẫn có dạng /open-data/par-index/2022.csv hoặc .json.",
                "Use /open-data/par-index/2022.csv or .json.",
            ),
            lang,
        );
    };
    let t = match crate::par::open_data::table(&http.state.db, year).await {
        Ok(t) => t,
        Err(e) => {
            let status = if e.code() == "NOT_FOUND" {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            return request_error(status, false, e, lang);
        }
    };
    let disposition = format!("inline; filename=\"chi-so-cchc-{year}.{ext}\"");
    if ext == "csv" {
        match crate::par::open_data::csv(&t) {
            Ok(body) => (
                StatusCode::OK,
                [
                    (
                        axum::http::header::CONTENT_TYPE,
                        "text/csv; charset=utf-8".to_string(),
                    ),
                    (axum::http::header::CONTENT_DISPOSITION, disposition),
                ],
                body,
            )
                .into_response(),
            Err(e) => request_error(StatusCode::INTERNAL_SERVER_ERROR, false, e, lang),
        }
    } else {
        (
            StatusCode::OK,
            [(axum::http::header::CONTENT_DISPOSITION, disposition)],
            axum::Json(t),
        )
            .into_response()
    }
}

async fn readyz(State(http): State<Http>) -> Response {
    match http.state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_accept_language(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// Whether the client asked for the GraphQL-over-HTTP media type.
fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains(GRAPHQL_RESPONSE))
}

fn json_response(status: StatusCode, spec: bool, body: &serde_json::Value) -> Response {
    let ct = if spec { GRAPHQL_RESPONSE } else { JSON };
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(ct))],
        bytes,
    )
        .into_response()
}

fn request_error(status: StatusCode, spec: bool, err: AppError, lang: Lang) -> Response {
    let mut r = json_response(status, spec, &err.to_response_body(lang));
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    r
}

async fn graphql_post(
    State(http): State<Http>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let lang = lang_of(&headers);
    let spec = wants_graphql_response(&headers);
    let limit = http.state.config.body_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = match read_body(body, limit, declared).await {
        Ok(b) => b,
        Err(_) => return too_large(spec, limit, lang),
    };
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.trim_start().to_ascii_lowercase().starts_with(JSON) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            spec,
            AppError::bad_input(
                "Content-Type",
                "Yêu cầu GraphQL phải gửi với Content-Type: application/json.",
                "Send GraphQL requests with Content-Type: application/json.",
            ),
            lang,
        );
    }
    let req: async_graphql::Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                spec,
                AppError::bad_input(
                    "body",
                    format!("Nội dung yêu cầu không phải JSON GraphQL hợp lệ: {e}"),
                    format!("The request body is not a valid GraphQL JSON request: {e}"),
                ),
                lang,
            );
        }
    };
    let resp = execute(&http, &headers, peer, req, spec, lang, Verb::Post).await;
    with_caching(resp, &headers)
}

async fn graphql_get(
    State(http): State<Http>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let lang = lang_of(&headers);
    let spec = wants_graphql_response(&headers);
    let raw = raw.unwrap_or_default();
    let req = match parse_get(&raw) {
        Ok(r) => r,
        Err((vi, en)) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                spec,
                AppError::bad_input("query", vi, en),
                lang,
            );
        }
    };
    // A hashed persisted query comes without its text.
    if req.query.is_empty() && !req.extensions.contains_key("persistedQuery") {
        let html = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if html && http.state.config.graphiql {
            return crate::graphiql::page();
        }
        return request_error(
            StatusCode::BAD_REQUEST,
            spec,
            AppError::bad_input(
                "query",
                "Thiếu tham số query.",
                "The query parameter is missing.",
            ),
            lang,
        );
    }
    let resp = execute(&http, &headers, peer, req, spec, lang, Verb::Get).await;
    with_caching(resp, &headers)
}

/// Reads a GraphQL GET's URL parameters as the GraphQL-over-HTTP spec and Apollo's clients send
/// them: `query`, `operationName` (also `operation_name`), and `variables` and `extensions` as
/// JSON. A hashed persisted query comes without `query`.
fn parse_get(raw: &str) -> Result<async_graphql::Request, (String, String)> {
    let mut query = String::new();
    let mut operation_name = None;
    let mut variables = None;
    let mut extensions = None;
    for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "query" => query = v.into_owned(),
            "operationName" | "operation_name" => {
                operation_name = Some(v.into_owned()).filter(|n| !n.is_empty())
            }
            "variables" => variables = Some(v.into_owned()),
            "extensions" => extensions = Some(v.into_owned()),
            _ => {}
        }
    }
    let json =
        |name: &str, text: Option<String>| -> Result<Option<serde_json::Value>, (String, String)> {
            match text.filter(|t| !t.trim().is_empty()) {
                None => Ok(None),
                Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
                    (
                        format!("Tham số {name} không phải JSON hợp lệ: {e}"),
                        format!("The {name} parameter is not valid JSON: {e}"),
                    )
                }),
            }
        };
    let mut req = async_graphql::Request::new(query);
    req.operation_name = operation_name;
    if let Some(v) = json("variables", variables)? {
        req.variables = async_graphql::Variables::from_json(v);
    }
    if let Some(serde_json::Value::Object(m)) = json("extensions", extensions)? {
        for (k, v) in m {
            req.extensions
                .insert(k, async_graphql::Value::from_json(v).unwrap_or_default());
        }
    }
    Ok(req)
}

/// Root fields whose answer to an anonymous caller is the same for everyone and holds nothing
/// personal: the catalog, the calendar, published items and the published PAR index. Only a
/// GET without credentials, asking for these alone, is answered as cacheable.
const PUBLIC_ROOT_FIELDS: &[&str] = &[
    "__typename",
    "calendarYear",
    "complaint",
    "complaints",
    "holidays",
    "parBreakdown",
    "parIndex",
    "parPeriod",
    "parPeriods",
    "privacyNotice",
    "procedure",
    "procedureByCode",
    "procedures",
    "searchComplaints",
    "searchProcedures",
    "searchUnits",
    "unit",
    "unitByCode",
    "units",
    "workingDayDeadline",
];

/// How long a shared cache may keep a public answer.
const PUBLIC_MAX_AGE_SECS: u64 = 60;

/// Whether the operation a request would run is a query of [`PUBLIC_ROOT_FIELDS`] only (its
/// root selections plain fields, not fragments, which are not followed here).
fn asks_public_things_only(req: &mut async_graphql::Request) -> bool {
    let name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else {
        return false;
    };
    let Some(op) = selected_operation(doc, name.as_deref()) else {
        return false;
    };
    op.ty == OperationType::Query
        && op.selection_set.node.items.iter().all(|s| {
            matches!(&s.node, Selection::Field(f)
                if PUBLIC_ROOT_FIELDS.contains(&f.node.name.node.as_str()))
        })
}

/// Marks a successful public answer (on the response's extensions): its entity tag.
#[derive(Clone)]
struct PublicAnswer {
    etag: String,
}

/// Caching headers of a GraphQL answer. A public answer (see [`PublicAnswer`]) may be kept by
/// any cache for a minute and carries an `ETag`; a request whose `If-None-Match` names it gets
/// 304 and no body. Every other answer is `private, no-store`.
fn with_caching(mut resp: Response, headers: &HeaderMap) -> Response {
    let vary = HeaderValue::from_static("Authorization, Accept, Accept-Language");
    let Some(public) = resp.extensions().get::<PublicAnswer>().cloned() else {
        let h = resp.headers_mut();
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        h.insert(header::VARY, vary);
        return resp;
    };
    let etag = HeaderValue::from_str(&public.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache_control = HeaderValue::from_str(&format!("public, max-age={PUBLIC_MAX_AGE_SECS}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let matches = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == public.etag.trim_start_matches("W/") || t == "*");
    if matches {
        resp = StatusCode::NOT_MODIFIED.into_response();
    }
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control);
    h.insert(header::ETAG, etag);
    h.insert(header::VARY, vary);
    resp
}

/// The entity tag of a public answer's body: weak, since the same answer is also sent
/// compressed and under either JSON media type, each a different byte sequence.
fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    let d = sha2::Sha256::digest(body);
    format!("W/\"{}\"", hex::encode(&d[..16]))
}

/// How a GraphQL request came: GET runs no mutation.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verb {
    Get,
    Post,
}

/// The operation of a document that a request with this operation name would run.
fn selected_operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    match &doc.operations {
        DocumentOperations::Single(op) => Some(&op.node),
        DocumentOperations::Multiple(ops) => match name {
            Some(name) => ops.get(name).map(|op| &op.node),
            None if ops.len() == 1 => ops.values().next().map(|op| &op.node),
            None => None,
        },
    }
}

/// Whether the operation a request would run is a mutation.
fn runs_a_mutation(req: &mut async_graphql::Request) -> bool {
    let name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else {
        return false;
    };
    selected_operation(doc, name.as_deref()).map(|op| op.ty) == Some(OperationType::Mutation)
}

/// Whether a request runs nothing but `refreshToken` (and `__typename`): such a request acts on
/// the refresh token it carries, so the access token beside it, expired as a rule by then, is
/// not read.
fn only_refreshes(req: &mut async_graphql::Request) -> bool {
    if crate::query_limits::check_nesting(&req.query).is_err() {
        return false;
    }
    let name = req.operation_name.clone();
    let Ok(doc) = req.parsed_query() else {
        return false;
    };
    let Some(op) = selected_operation(doc, name.as_deref()) else {
        return false;
    };
    let fields = &op.selection_set.node.items;
    op.ty == OperationType::Mutation
        && fields
            .iter()
            .any(|s| matches!(&s.node, Selection::Field(f) if f.node.name.node == "refreshToken"))
        && fields.iter().all(|s| {
            matches!(&s.node, Selection::Field(f)
                if matches!(f.node.name.node.as_str(), "refreshToken" | "__typename"))
        })
}

/// Runs a GraphQL request: its answer, marked [`PublicAnswer`] when anyone may keep it (the
/// callers add the caching headers with [`with_caching`]).
async fn execute(
    http: &Http,
    headers: &HeaderMap,
    peer: SocketAddr,
    req: async_graphql::Request,
    spec: bool,
    lang: Lang,
    verb: Verb,
) -> Response {
    let mut req = req;
    let auth = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("\u{0}"));
    let actor = match LANG
        .scope(lang, Actor::from_header(&http.state, auth))
        .await
    {
        Ok(a) => a,
        Err(AppError::Unauthenticated(_)) if only_refreshes(&mut req) => Actor::Anonymous,
        Err(e) => {
            let status = match e {
                AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            return request_error(status, spec, e, lang);
        }
    };
    // Automatic persisted queries: a hash alone stands for a text sent before.
    let ext = req.extensions.remove("persistedQuery");
    let mut new_hash = None;
    match http.documents.persisted(&req.query, ext.as_ref()) {
        Ok(crate::documents::Persisted::None) => {}
        Ok(crate::documents::Persisted::New(hash)) => new_hash = Some(hash),
        Ok(crate::documents::Persisted::Found(text)) => req.query = text,
        Ok(crate::documents::Persisted::NotFound) => {
            let body = serde_json::json!({ "errors": [{
                "message": "PersistedQueryNotFound",
                "extensions": { "code": "PERSISTED_QUERY_NOT_FOUND" } }] });
            return json_response(StatusCode::OK, spec, &body);
        }
        Err(e) => return request_error(StatusCode::BAD_REQUEST, spec, e, lang),
    }
    // GET must never change anything: mutations are refused before execution, on the text
    // that would run (a persisted query's too).
    if verb == Verb::Get
        && crate::query_limits::check_nesting(&req.query).is_ok()
        && runs_a_mutation(&mut req)
    {
        let mut r = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            spec,
            AppError::bad_input(
                "query",
                "Mutation chỉ được gửi bằng POST.",
                "Mutations must be sent with POST.",
            ),
            lang,
        );
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    // The document's shape is checked before the schema sees it: the nesting of its text before
    // parsing (the parser recurses), the rest on the parsed document, which the schema reuses.
    // A document met before was parsed and checked then.
    let mut to_keep = None;
    let mut parse_failed = false;
    if let Some(doc) = http.documents.get(&req.query) {
        req.set_parsed_query((*doc).clone());
        if let Some(h) = new_hash {
            http.documents.remember(h, &req.query);
        }
    } else {
        let config = &http.state.config;
        let shape = crate::query_limits::check_nesting(&req.query).and_then(|()| {
            // An unparsable document is left to the schema, which says why.
            match req.parsed_query() {
                Ok(doc) => {
                    crate::query_limits::check(
                        doc,
                        config.max_fields,
                        config.max_aliases,
                        config.query_depth,
                    )?;
                    Ok(Some(doc.clone()))
                }
                Err(_) => {
                    parse_failed = true;
                    Ok(None)
                }
            }
        });
        match shape {
            // Kept once the schema has validated it too (below).
            Ok(Some(doc)) => to_keep = Some((req.query.clone(), doc, new_hash.take())),
            Ok(None) => {}
            Err(e) => {
                let status = if spec {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::OK
                };
                return request_error(status, spec, e, lang);
            }
        }
    }
    // An answer anyone may keep: a GET without credentials asking for public things only.
    let public = verb == Verb::Get
        && auth.is_none()
        && matches!(actor, Actor::Anonymous)
        && !parse_failed
        && asks_public_things_only(&mut req);
    let client =
        crate::client_addr::client_ip(peer.ip(), headers, &http.state.config.trusted_proxies);
    // The addresses a unit's officials work from close to ratings of the unit's dossiers.
    if let Err(e) = crate::ratings::self_rating::note_staff(&http.state, &actor, client).await {
        tracing::warn!(error = ?e, "could not note an official's address");
    }
    let ctx = RequestCtx::new(&http.state, actor, client, lang);
    let req = req.data(http.state.clone()).data(ctx);
    let limit = http.state.config.request_timeout;
    let resp = match tokio::time::timeout(limit, LANG.scope(lang, http.schema.execute(req))).await {
        Ok(r) => r,
        Err(_) => {
            let secs = limit.as_secs_f64();
            return request_error(
                StatusCode::OK,
                spec,
                AppError::bad_input(
                    "query",
                    format!(
                        "Yêu cầu chạy quá thời gian cho phép {secs} giây (PORTAL_REQUEST_TIMEOUT); hãy yêu cầu ít dữ liệu hơn."
                    ),
                    format!(
                        "The request ran past the time limit of {secs} s (PORTAL_REQUEST_TIMEOUT); ask for less."
                    ),
                ),
                lang,
            );
        }
    };

    // A request error (unparsable or invalid document) has no data and errors without a path.
    let request_failed = resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty());
    // A document the schema accepted is kept, and its persisted hash (if any) remembered;
    // one it refused is not, so it is checked again each time it comes.
    if let Some((text, doc, hash)) = to_keep
        && !request_failed
    {
        http.documents.put(&text, doc);
        if let Some(h) = hash {
            http.documents.remember(h, &text);
        }
    }
    if resp.errors.is_empty() {
        // The common case: no errors to annotate, so serialise once.
        let ct = if spec { GRAPHQL_RESPONSE } else { JSON };
        let bytes = serde_json::to_vec(&resp).unwrap_or_else(|_| b"{}".to_vec());
        let etag = public.then(|| etag_of(&bytes));
        let mut r = (
            StatusCode::OK,
            [(header::CONTENT_TYPE, HeaderValue::from_static(ct))],
            bytes,
        )
            .into_response();
        if let Some(etag) = etag {
            r.extensions_mut().insert(PublicAnswer { etag });
        }
        return r;
    }
    let mut body = serde_json::to_value(&resp).unwrap_or_default();
    if let Some(o) = body.as_object_mut() {
        if request_failed {
            o.remove("data");
        }
        // Our own errors always carry a code; the others come from the GraphQL layer itself
        // (parsing, validation, argument coercion, query limits).
        let failure = if request_failed && parse_failed {
            Failure::Parse
        } else if request_failed {
            Failure::BeforeExecution
        } else {
            Failure::Execution
        };
        if let Some(errs) = o.get_mut("errors").and_then(|e| e.as_array_mut()) {
            for e in errs {
                crate::graphql_errors::annotate(e, failure, lang);
            }
        }
    }
    let status = if spec && request_failed {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    json_response(status, spec, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panic_still_answers_with_an_internal_error_and_its_id() {
        let app: Router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let v: Vec<u8> = Vec::new();
                    #[allow(clippy::indexing_slicing)]
                    let x = v[3];
                    x.to_string()
                }),
            )
            .layer(CatchPanicLayer::custom(panic_response));
        let resp = app
            .oneshot(
                axum::http::Request::builder()
                    .uri("/boom")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            resp.headers().get(header::CONTENT_TYPE).unwrap(),
            "application/json"
        );
        let bytes = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["errors"][0]["extensions"]["code"], "INTERNAL");
        let id = v["errors"][0]["extensions"]["errorId"].as_str().unwrap();
        assert_eq!(id.len(), 12);
        assert!(!v.to_string().contains("index out of bounds"), "{v}");
    }
}
