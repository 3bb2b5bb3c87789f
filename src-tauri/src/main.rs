//! The `redscope-desktop` binary: parses its options and runs the app of the library's
//! [`redscope_desktop::app`] in a window.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

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
                println!("redscope-desktop [--redis URL] [--read-only] [--smoke] [--version]");
                std::process::exit(0);
            }
            "--version" | "-V" => {
                println!("redscope-desktop {}", redscope_admin::about::long_version());
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
    redscope_desktop::webview::prepare();
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

    redscope_desktop::app(tauri::Builder::default(), service, args.smoke)
        .run(redscope_desktop::context())?;
    Ok(())
}
