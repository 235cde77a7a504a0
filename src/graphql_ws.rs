//! GraphQL subscriptions over WebSocket at `/graphql/ws`, with the graphql-transport-ws
//! protocol. The client signs in with its access token in `connection_init`
//! (`{"token": "…"}`, or `{"Authorization": "Bearer …"}`); a connection without a valid token
//! is closed (1002, with the reason). Only subscriptions run here, under the same document limits as
//! `POST /graphql`: queries and mutations go over HTTP, where their own limits apply.

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::http::WebSocketProtocols;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response as HttpResponse};

use crate::auth::Actor;
use crate::context::RequestCtx;
use crate::error::{LANG, Lang};
use crate::graphql::PortalSchema;
use crate::state::AppState;

/// The sign-in of a connection, checked again while its subscriptions run: a subscription ends
/// when its token expires or its session ends (logout, a disabled account), and the client
/// connects again with a fresh token.
///
/// The check is made once per connection however many subscriptions it holds, and once it
/// fails it fails for good: every subscription of the connection ends, and a new one is
/// refused.
#[derive(Clone)]
pub struct Session {
    /// The `Authorization` value the connection signed in with.
    pub header: String,
    /// How often it is checked while subscriptions run.
    pub every: std::time::Duration,
    /// The last check: when, and whether it held.
    last: Arc<tokio::sync::Mutex<(tokio::time::Instant, bool)>>,
}

impl Session {
    fn new(header: String, every: std::time::Duration) -> Session {
        Session {
            header,
            every,
            last: Arc::new(tokio::sync::Mutex::new((tokio::time::Instant::now(), true))),
        }
    }

    /// Whether the sign-in still holds for `account`, checked anew when the last check is older
    /// than `max_age`.
    pub async fn holds(
        &self,
        state: &AppState,
        account: &str,
        max_age: std::time::Duration,
    ) -> bool {
        let mut last = self.last.lock().await;
        if !last.1 {
            return false;
        }
        if last.0.elapsed() < max_age {
            return true;
        }
        let ok = matches!(
            Actor::from_header(state, Some(&self.header)).await,
            Ok(a) if a.principal().and_then(|p| p.account_id.as_deref()) == Some(account)
        );
        *last = (tokio::time::Instant::now(), ok);
        ok
    }
}

/// The schema, taking subscriptions only, within the configured limits.
#[derive(Clone)]
struct Subscriptions {
    schema: PortalSchema,
    state: AppState,
}

fn refused(message: &str) -> Response {
    Response::from_errors(vec![ServerError::new(message, None)])
}

impl Subscriptions {
    /// Why a document may not run here, if it may not.
    fn check(&self, request: &mut Request) -> Result<(), String> {
        let c = &self.state.config;
        crate::query_limits::check_nesting(&request.query)
            .map_err(|e| e.message(Lang::current()))?;
        let doc = request.parsed_query().map_err(|e| e.to_string())?;
        crate::query_limits::check(doc, c.max_fields, c.max_aliases, c.query_depth)
            .map_err(|e| e.message(Lang::current()))?;
        let subscription_only = doc
            .operations
            .iter()
            .all(|(_, op)| op.node.ty == OperationType::Subscription);
        if !subscription_only {
            return Err(
                "Chỉ subscription chạy qua /graphql/ws; query và mutation gửi tới POST /graphql. / Only subscriptions run over /graphql/ws; send queries and mutations to POST /graphql."
                    .into(),
            );
        }
        Ok(())
    }
}

impl Executor for Subscriptions {
    async fn execute(&self, mut request: Request) -> Response {
        match self.check(&mut request) {
            Ok(()) => refused("Use a subscription."),
            Err(e) => refused(&e),
        }
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Err(e) = self.check(&mut request) {
            return stream::once(async move { refused(&e) }).boxed();
        }
        match session_data {
            Some(d) => self.schema.execute_stream_with_session_data(request, d),
            None => stream::once(async { refused("Sign in first (connection_init).") }).boxed(),
        }
    }
}

/// The token of a `connection_init` payload, as an `Authorization` header value.
fn bearer(payload: &serde_json::Value) -> Option<String> {
    if let Some(t) = payload.get("token").and_then(|v| v.as_str()) {
        return Some(format!("Bearer {t}"));
    }
    ["Authorization", "authorization"]
        .iter()
        .find_map(|k| payload.get(*k).and_then(|v| v.as_str()))
        .map(str::to_string)
}

/// Upgrades `GET /graphql/ws`.
pub async fn upgrade(
    state: AppState,
    schema: PortalSchema,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    peer: SocketAddr,
    ws: WebSocketUpgrade,
) -> HttpResponse {
    let lang = Lang::from_accept_language(
        headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let offered = headers
        .get(axum::http::header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !offered
        .split(',')
        .any(|p| p.trim() == WebSocketProtocols::GraphQLWS.sec_websocket_protocol())
    {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            "Use the graphql-transport-ws protocol (Sec-WebSocket-Protocol: graphql-transport-ws).",
        )
            .into_response();
    }
    let client = crate::client_addr::client_ip(peer.ip(), &headers, &state.config.trusted_proxies);
    let executor = Subscriptions {
        schema,
        state: state.clone(),
    };
    ws.protocols(["graphql-transport-ws"])
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, executor, protocol)
                .on_connection_init(move |payload| async move {
                    let Some(h) = bearer(&payload) else {
                        return Err(async_graphql::Error::new(
                            "Sign in: send {\"token\": \"<access token>\"} in connection_init.",
                        ));
                    };
                    let actor = LANG
                        .scope(lang, Actor::from_header(&state, Some(&h)))
                        .await
                        .map_err(|e| async_graphql::Error::new(e.message(lang)))?;
                    if actor.principal().is_none() {
                        return Err(async_graphql::Error::new("Sign in first."));
                    }
                    let mut data = Data::default();
                    let every = (state.config.access_token_ttl / 2).clamp(
                        std::time::Duration::from_secs(1),
                        std::time::Duration::from_secs(30),
                    );
                    data.insert(Session::new(h, every));
                    data.insert(state.clone());
                    data.insert(RequestCtx::new(&state, actor, client, lang));
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}
