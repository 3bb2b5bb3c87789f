//! The `redscope` command's library: web mode and the tools around the Redis layer.
//!
//! # Layout
//!
//! - [`web`]: `redscope serve`, the admin API over HTTP + WebSocket with the UI embedded.
//! - [`demo`]: `redscope demo`, a synthetic trading workload written through the library.
//! - [`bench`](mod@bench): scenarios measured side by side with redis-benchmark, redis-cli or a
//!   bare RESP loop on the same server; [`bench_monitor`] is the channel monitor's reference.
//! - [`desktop_driver`]: the desktop window driven through tauri-driver and WebKitWebDriver under
//!   Xvfb, for `redscope bench desktop` and the desktop smoke test.
//! - [`report`]: `redscope report`, a server's metrics sampled and drawn as PNG or SVG.
//! - [`fuzzing`]: the fuzz targets' bodies (`fuzz/`), shared with the corpus replay test.

pub mod bench;
pub mod bench_monitor;
pub mod demo;
pub mod desktop_driver;
#[doc(hidden)]
pub mod fuzzing;
pub mod report;
pub mod web;
