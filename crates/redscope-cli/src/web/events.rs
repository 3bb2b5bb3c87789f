//! `WS /api/events`: the service's event bus as JSON text messages, one event each. A client
//! that falls behind loses the oldest events and gets a `lagged` event with their count; nothing
//! is buffered beyond the bus's fixed capacity.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::AppState;
use redscope_admin::Event;

/// A send that takes longer than this ends the connection (the client stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/events", get(upgrade))
}

async fn upgrade(State(s): State<AppState>, ws: WebSocketUpgrade) -> Response {
    let rx = s.service.events();
    ws.on_upgrade(move |socket| forward(socket, rx))
}

async fn forward(socket: WebSocket, mut rx: tokio::sync::broadcast::Receiver<Event>) {
    let (mut tx, mut incoming) = socket.split();
    loop {
        let event = tokio::select! {
            msg = incoming.next() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            ev = rx.recv() => match ev {
                Ok(ev) => ev,
                Err(RecvError::Lagged(n)) => Event::Lagged { count: n },
                Err(RecvError::Closed) => return,
            },
        };
        let text = match serde_json::to_string(&event) {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "event not serialisable");
                continue;
            }
        };
        match tokio::time::timeout(SEND_TIMEOUT, tx.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => {}
            _ => return,
        }
    }
}
