//! The built UI (`ui/dist`), embedded in the binary so `redscope serve` is one file.

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../ui/dist"]
struct Ui;

/// Changes whenever the UI build changes, so cargo re-embeds it (set by build.rs).
const UI_STAMP: &str = env!("REDSCOPE_UI_STAMP");

/// Serves a file of the UI; unknown paths get `index.html` (client-side routing).
pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match Ui::get(path).map(|f| (path, f)).or_else(|| Ui::get("index.html").map(|f| ("index.html", f))) {
        Some((name, file)) => {
            let mime = mime_guess::from_path(name).first_or_octet_stream();
            let cache = if name == "index.html" { "no-cache" } else { "public, max-age=3600" };
            (
                [
                    (header::CONTENT_TYPE, mime.as_ref().to_string()),
                    (header::CACHE_CONTROL, cache.to_string()),
                    (header::ETAG, format!("\"{UI_STAMP}\"")),
                ],
                file.data.into_owned(),
            )
                .into_response()
        }
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The UI is not built into this binary: run `npm run build` in ui/ and rebuild redscope.",
        )
            .into_response(),
    }
}
