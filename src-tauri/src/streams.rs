//! Stream viewer commands, mirroring `/api/streams` and `/api/stream/*`.

use redscope_admin::bytes::KeyRef;
use redscope_admin::streams::{
    EntriesPage, EntriesQuery, PendingEntry, PendingQuery, StreamsQuery, StreamsReply, TailRequest,
    TailStarted,
};
use redscope_admin::AdminService;
use tauri::State;

use crate::live_error::CmdResult;

/// Mirrors `GET /api/streams`.
#[tauri::command(rename_all = "snake_case")]
pub async fn streams(
    service: State<'_, AdminService>,
    key: Option<String>,
    key_b64: Option<String>,
    cursor: Option<String>,
    count: Option<usize>,
) -> CmdResult<StreamsReply> {
    let q = StreamsQuery {
        key: KeyRef { key, key_b64 },
        cursor,
        count,
    };
    Ok(service.streams().list(&q).await?)
}

/// Mirrors `GET /api/stream/entries`.
#[allow(clippy::too_many_arguments)]
#[tauri::command(rename_all = "snake_case")]
pub async fn stream_entries(
    service: State<'_, AdminService>,
    key: Option<String>,
    key_b64: Option<String>,
    start: Option<String>,
    end: Option<String>,
    count: Option<usize>,
    rev: Option<bool>,
) -> CmdResult<EntriesPage> {
    let q = EntriesQuery {
        key: KeyRef { key, key_b64 },
        start,
        end,
        count,
        rev: rev.unwrap_or(false),
    };
    Ok(service.streams().entries(&q).await?)
}

/// Mirrors `GET /api/stream/pending`.
#[tauri::command(rename_all = "snake_case")]
pub async fn stream_pending(
    service: State<'_, AdminService>,
    key: Option<String>,
    key_b64: Option<String>,
    group: String,
    count: Option<usize>,
) -> CmdResult<Vec<PendingEntry>> {
    let q = PendingQuery {
        key: KeyRef { key, key_b64 },
        group,
        count,
    };
    Ok(service.streams().pending(&q).await?)
}

/// Mirrors `POST /api/stream/tail`.
#[tauri::command(rename_all = "snake_case")]
pub async fn stream_tail(
    service: State<'_, AdminService>,
    key: Option<String>,
    key_b64: Option<String>,
    from: Option<String>,
) -> CmdResult<TailStarted> {
    let req = TailRequest {
        key: KeyRef { key, key_b64 },
        from,
    };
    Ok(service.streams().tail(&req).await?)
}

/// Mirrors `DELETE /api/stream/tail/{tail_id}`.
#[tauri::command(rename_all = "snake_case")]
pub async fn stream_tail_stop(
    service: State<'_, AdminService>,
    tail_id: u64,
) -> CmdResult<serde_json::Value> {
    service.streams().tail_stop(tail_id).await?;
    Ok(serde_json::json!({}))
}
