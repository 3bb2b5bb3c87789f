//! Redscope desktop: a thin Tauri 2 shell. Each feature module adapts the admin service's
//! methods as one-line commands; the UI is the same build web mode serves.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod browser;
mod channels;
mod events;
mod health;
mod ipc;
mod jobs;
mod live_error;
mod metrics;
mod profiles;
mod server;
mod smoke;
mod streams;
mod trading;

use redscope::RedisConfig;
use redscope_admin::{AdminOptions, AdminService};

/// Command-line options of the desktop app.
struct Args {
    smoke: bool,
    redis: Option<String>,
    read_only: bool,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        smoke: false,
        redis: None,
        read_only: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--smoke" => args.smoke = true,
            "--read-only" => args.read_only = true,
            "--redis" => {
                args.redis = Some(
                    it.next()
                        .ok_or_else(|| anyhow::anyhow!("--redis needs a URL"))?,
                )
            }
            "--help" | "-h" => {
                println!("redscope-desktop [--redis URL] [--read-only] [--smoke]");
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other:?} (try --help)"),
        }
    }
    Ok(args)
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REDSCOPE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = parse_args()?;
    let cfg = match &args.redis {
        Some(url) => RedisConfig::from_url(url)?,
        None => RedisConfig::from_env()?,
    };
    tracing::info!(redis = %cfg.display_url(), "starting desktop app");
    let service = AdminService::new(
        cfg,
        AdminOptions {
            read_only: args.read_only,
        },
    );

    let bus_service = service.clone();
    tauri::Builder::default()
        .manage(service)
        .manage(smoke::Smoke::new(args.smoke))
        .invoke_handler(tauri::generate_handler![
            health::health,
            smoke::ui_ready,
            // Key browser, invalidation, server tools and console (admin slice).
            browser::tree,
            browser::keys,
            browser::keys_meta,
            browser::key,
            browser::key_set,
            browser::key_delete,
            browser::key_ttl,
            browser::key_rename,
            jobs::invalidate,
            jobs::job,
            jobs::job_cancel,
            jobs::jobs,
            server::info,
            server::slowlog,
            server::slowlog_reset,
            server::clients,
            server::client_kill,
            server::config_get,
            server::server_action,
            server::console,
            // live data: channels, streams, metrics, profiles
            channels::monitor,
            channels::monitor_stats,
            channels::monitor_stop,
            channels::publish,
            streams::streams,
            streams::stream_entries,
            streams::stream_pending,
            streams::stream_tail,
            streams::stream_tail_stop,
            metrics::metrics,
            profiles::profiles,
            profiles::profile_save,
            profiles::profile_delete,
            profiles::profile_test,
            profiles::connect,
            // trading-aware views: services, findings, series
            trading::services,
            trading::findings,
            trading::findings_job,
            trading::findings_job_cancel,
            trading::series,
        ])
        .setup(move |app| {
            smoke::arm(app.handle());
            events::forward(app.handle().clone(), bus_service);
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}
