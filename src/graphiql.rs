//! GraphiQL, served entirely by the server: the page and its scripts and styles (bundled at
//! build time from the npm registry by `build.rs`), so it works with no internet access.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

macro_rules! asset {
    ($name:literal) => {
        include_bytes!(concat!(env!("OUT_DIR"), "/graphiql/", $name)).as_slice()
    };
}

/// (name served under `/graphiql/`, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        asset!("graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        asset!("graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        asset!("react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        asset!("react-dom.production.min.js"),
    ),
];

/// Whether the build bundled the assets.
pub fn bundled() -> bool {
    ASSETS.iter().all(|(_, _, b)| !b.is_empty())
}

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Góp Ý — GraphQL</title>
<style>body{height:100%;margin:0;width:100%;overflow:hidden}#graphiql{height:100vh}</style>
<link rel="stylesheet" href="/graphiql/graphiql.min.css">
</head>
<body>
<div id="graphiql">Đang tải GraphiQL…</div>
<script src="/graphiql/react.production.min.js"></script>
<script src="/graphiql/react-dom.production.min.js"></script>
<script src="/graphiql/graphiql.min.js"></script>
<script>
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: '/graphql' }),
    defaultEditorToolsVisibility: true,
  }),
);
</script>
</body>
</html>
"#;

const NOT_BUNDLED: &str = r#"<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Góp Ý — GraphQL</title></head>
<body><p>GraphiQL không được đóng gói trong bản dựng này (npm không có khi dựng).
GraphiQL was not bundled in this build (npm was unavailable at build time).
The API at <code>/graphql</code> works as usual.</p></body></html>
"#;

/// The GraphiQL page: every script and style it loads comes from this server.
pub fn page() -> Response {
    let html = if bundled() { PAGE } else { NOT_BUNDLED };
    let mut r = Html(html).into_response();
    // The page may load only what this server serves.
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'",
        ),
    );
    r
}

/// `GET /graphiql/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, ct, bytes)) if !bytes.is_empty() => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(ct)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=86400"),
                ),
            ],
            *bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
