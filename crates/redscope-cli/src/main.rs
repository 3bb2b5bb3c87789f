//! The `redscope` command line: web mode and the tools around the library.

use std::net::SocketAddr;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use redscope::RedisConfig;
use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{ServeOptions, TlsFiles, WebServer};

#[derive(Parser)]
#[command(
    name = "redscope",
    version = redscope_admin::about::long_version(),
    about = "Inspect and operate Redis; the Redis layer of a trading platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Web mode: serve the admin API and the UI on a loopback address.
    Serve {
        /// Address to listen on (port 0 picks a free one).
        #[arg(long, default_value = "127.0.0.1:7379")]
        bind: SocketAddr,
        /// Redis URL (redis://, rediss://, unix://); defaults to REDIS_URL or REDIS_HOST/PORT/...
        #[arg(long)]
        redis: Option<String>,
        /// Access token required by every /api route; random when not given. Prefer
        /// --token-file or REDSCOPE_TOKEN: a command line is visible to every user (`ps`).
        #[arg(long, env = "REDSCOPE_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Read the access token from this file (first line; keep it mode 0600).
        #[arg(long, conflicts_with = "token")]
        token_file: Option<std::path::PathBuf>,
        /// Allow listening on a non-loopback address.
        #[arg(long)]
        allow_remote: bool,
        /// With --allow-remote: a host name (or name:port) browsers may use to reach this server
        /// (repeat or comma-separate). IP addresses always work; other names are refused.
        #[arg(long, value_delimiter = ',')]
        allow_host: Vec<String>,
        /// Serve HTTPS with this PEM certificate (chain); needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<std::path::PathBuf>,
        /// The PEM private key of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<std::path::PathBuf>,
        /// Hosts saved profiles may connect to (host, host:port, or a unix socket path; repeat or
        /// comma-separate); any when not given.
        #[arg(long, value_delimiter = ',')]
        allow_redis_host: Vec<String>,
        /// Refuse every write and dangerous command.
        #[arg(long)]
        read_only: bool,
    },
    /// Run a synthetic trading workload (ticks, caches, bars, signals, orders) until Ctrl-C.
    Demo {
        /// Redis URL; defaults to REDIS_URL or REDIS_HOST/PORT/...
        #[arg(long)]
        redis: Option<String>,
        /// Ticks per second on the market stream.
        #[arg(long, default_value_t = 200)]
        rate: u32,
        /// How many symbols trade.
        #[arg(long, default_value_t = 12)]
        symbols: usize,
        /// Stop after this long (e.g. `30s`, `5m`); runs until Ctrl-C when omitted.
        #[arg(long, value_parser = parse_duration)]
        duration: Option<std::time::Duration>,
    },
    /// Measure a scenario side by side with redis-benchmark or a bare loop (see `--list`);
    /// `all` runs every scenario, and `--json` then writes them to one file (`--out`).
    Bench {
        /// Scenario name, or `all`; omit with --list or --render.
        scenario: Option<String>,
        /// An EMPTY database to use; by default a private redis-server is started (one per
        /// scenario with `all`).
        #[arg(long)]
        redis: Option<String>,
        /// Print the report as JSON; with `all`, write the whole run to `--out`.
        #[arg(long)]
        json: bool,
        /// List the scenarios.
        #[arg(long)]
        list: bool,
        /// With `all --json`: the file to write.
        #[arg(long, default_value = "bench-results.json")]
        out: std::path::PathBuf,
        /// With `all`: only these scenarios (comma-separated).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Tiny sizes for the scenarios that have them (tree-10m, big-values, desktop): checks that
        /// they run, not how fast.
        #[arg(long)]
        quick: bool,
        /// With `all`: a remark stored with the run and shown above README's table.
        #[arg(long)]
        note: Option<String>,
        /// Render a `bench all --json` file as README's results table (to stdout, or into
        /// `--readme` between its bench-results markers) instead of running anything.
        #[arg(long, conflicts_with_all = ["scenario", "list"])]
        render: Option<std::path::PathBuf>,
        /// With --render: the README to rewrite.
        #[arg(long, requires = "render")]
        readme: Option<std::path::PathBuf>,
    },
    /// Sample a server's metrics for a while and draw them as a PNG or SVG chart.
    Report {
        /// Output file (`.png` or `.svg`).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Redis URL; defaults to REDIS_URL or REDIS_HOST/PORT/...
        #[arg(long)]
        redis: Option<String>,
        /// How long to sample, e.g. `30s`, `2m`.
        #[arg(long, default_value = "30s", value_parser = parse_duration)]
        duration: std::time::Duration,
    },
}

/// `30s`, `2m`, `1h` or plain seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 2m, 1h)"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("{s:?} is not a duration (e.g. 30s, 2m, 1h)")),
    };
    if secs < 2 {
        return Err("the duration must be at least 2s".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// The Redis configuration from `--redis` or the environment. `REDIS_PASSWORD` fills in a URL
/// without a password, so the password need not be on the command line.
fn redis_config(url: Option<&str>) -> anyhow::Result<RedisConfig> {
    let cfg = match url {
        // `--redis` stands in for REDIS_URL; the other REDIS_* variables (password, TLS, SSH)
        // still apply.
        Some(u) => RedisConfig::from_vars(|name| match name {
            "REDIS_URL" => Some(u.to_string()),
            other => std::env::var(other).ok(),
        })?,
        None => RedisConfig::from_env()?,
    };
    if url.is_some_and(|u| RedisConfig::from_url(u).is_ok_and(|c| c.password.is_some())) {
        tracing::warn!("the --redis URL holds a password, which every user of this machine can read (ps): set REDIS_PASSWORD instead");
    }
    Ok(cfg)
}

/// The access token from `--token-file` (first line, trimmed).
fn read_token_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.is_empty() {
        anyhow::bail!("the token file {} is empty", path.display());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.permissions().mode() & 0o077 != 0 {
                tracing::warn!(file = %path.display(), "the token file is readable by other users: chmod 600 it");
            }
        }
    }
    Ok(token)
}

/// How long `serve` waits for in-flight requests after a stop signal before it exits anyway.
const DRAIN: std::time::Duration = std::time::Duration::from_secs(10);

/// Cancels `stop` on Ctrl-C (SIGINT) or, on Unix, SIGTERM (a service manager, `scripts/dev run`).
async fn cancel_on_signal(stop: tokio_util::sync::CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only Ctrl-C stops");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    tracing::info!("stop signal received");
    stop.cancel();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REDSCOPE_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let matches = Cli::command().get_matches();
    let token_on_command_line = matches
        .subcommand_matches("serve")
        .and_then(|m| m.value_source("token"))
        == Some(clap::parser::ValueSource::CommandLine);
    match Cli::from_arg_matches(&matches)?.command {
        Command::Serve {
            bind,
            redis,
            token,
            token_file,
            allow_remote,
            allow_host,
            tls_cert,
            tls_key,
            allow_redis_host,
            read_only,
        } => {
            if token_on_command_line {
                tracing::warn!("--token on the command line is visible to every user of this machine (ps): use --token-file or REDSCOPE_TOKEN");
            }
            let token = match token_file {
                Some(path) => Some(read_token_file(&path)?),
                None => token,
            };
            let token_given = token.is_some();
            let cfg = redis_config(redis.as_deref())?;
            tracing::info!(redis = %cfg.display_url(), read_only, "starting web mode");
            let service = AdminService::new(cfg, AdminOptions { read_only });
            service.profiles().allow_hosts(allow_redis_host);
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
                _ => None,
            };
            let server = WebServer::bind(
                service.clone(),
                ServeOptions {
                    bind,
                    token,
                    allow_remote,
                    tls,
                    allow_hosts: allow_host,
                    ..ServeOptions::default()
                },
            )
            .await
            .with_context(|| format!("cannot listen on {bind}"))?;
            if token_given {
                // A token the operator chose stays out of stdout (and so out of service logs).
                let url = server.url()?;
                let shown = url.split("?token=").next().unwrap_or(&url);
                println!("Redscope is serving on {shown} (use your access token)");
            } else {
                println!("Redscope is serving on {}", server.url()?);
            }
            let stop = tokio_util::sync::CancellationToken::new();
            tokio::spawn(cancel_on_signal(stop.clone()));
            let serving = server.run(stop.clone().cancelled_owned());
            // In-flight requests get DRAIN to finish (one may wait on a hung server).
            let drain_deadline = async {
                stop.cancelled().await;
                tokio::time::sleep(DRAIN).await;
            };
            tokio::select! {
                served = serving => served?,
                _ = drain_deadline => {
                    tracing::warn!(drain = ?DRAIN, "requests still running at the drain deadline; exiting");
                }
            }
            // Background loops (sampler, monitor, tails, jobs) stop and unsubscribe before exit.
            if tokio::time::timeout(DRAIN, service.shutdown())
                .await
                .is_err()
            {
                tracing::warn!(drain = ?DRAIN, "background loops still stopping at the deadline; exiting");
            }
            // The process's SSH tunnels and TLS relays (whose sockets would outlive it).
            redscope::ssh::close_all();
            #[cfg(unix)]
            redscope::tls_relay::close_all();
            tracing::info!("web mode stopped");
        }
        Command::Demo {
            redis,
            rate,
            symbols,
            duration,
        } => {
            let cfg = redis_config(redis.as_deref())?;
            let stop = tokio_util::sync::CancellationToken::new();
            // Ctrl-C, or SIGTERM from `scripts/dev run` when the app exits.
            tokio::spawn(cancel_on_signal(stop.clone()));
            let opts = redscope_cli::demo::DemoOptions {
                rate,
                symbols,
                duration,
                ..Default::default()
            };
            redscope_cli::demo::run(&cfg, &opts, stop).await?;
        }
        Command::Bench {
            scenario,
            redis,
            json,
            list,
            out,
            only,
            quick,
            note,
            render,
            readme,
        } => {
            use redscope_cli::bench::results;
            if let Some(file) = render {
                let run = results::read(&file)?;
                let table = results::render_table(&run);
                match readme {
                    Some(path) => {
                        let text = std::fs::read_to_string(&path)
                            .with_context(|| format!("reading {}", path.display()))?;
                        std::fs::write(&path, results::splice(&text, &table)?)
                            .with_context(|| format!("writing {}", path.display()))?;
                        eprintln!("rendered {} into {}", file.display(), path.display());
                    }
                    None => print!("{table}"),
                }
                return Ok(());
            }
            if list || scenario.is_none() {
                for (name, what) in redscope_cli::bench::SCENARIOS {
                    println!("{name:<18} {what}");
                }
                return Ok(());
            }
            let scenario = scenario.unwrap_or_default();
            // A private server unless one is given; a given one must be empty (we flush it).
            let given = match redis {
                Some(url) => {
                    let cfg = RedisConfig::from_url(&url)?;
                    let mut c = redscope::conn::Conn::connect(&cfg).await?;
                    let n: u64 = redis::cmd("DBSIZE").query_async(&mut c).await?;
                    anyhow::ensure!(
                        n == 0,
                        "benchmarks flush their database: {} holds {n} keys",
                        cfg.display_url()
                    );
                    Some(cfg)
                }
                None => None,
            };
            let opts = redscope_cli::bench::BenchOptions { quick };
            if scenario == "all" {
                let run = redscope_cli::bench::all::run_all(given, opts, &only, note, |r| {
                    match (&r.report, &r.error) {
                        (Some(report), _) => println!("{}\n", report.render()),
                        (None, e) => {
                            println!("{}\n  FAILED: {}\n", r.name, e.as_deref().unwrap_or(""))
                        }
                    }
                })
                .await?;
                if json {
                    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir)?;
                    }
                    std::fs::write(&out, serde_json::to_string_pretty(&run)?)
                        .with_context(|| format!("writing {}", out.display()))?;
                    eprintln!("wrote {}", out.display());
                }
                let failed: Vec<&str> = run
                    .scenarios
                    .iter()
                    .filter(|s| s.error.is_some())
                    .map(|s| s.name.as_str())
                    .collect();
                anyhow::ensure!(failed.is_empty(), "scenarios failed: {}", failed.join(", "));
                return Ok(());
            }
            let private;
            let cfg = match given {
                Some(cfg) => cfg,
                None => {
                    private = redscope_cli::bench::server::BenchServer::start()?;
                    private.config()
                }
            };
            let report = redscope_cli::bench::run_with(&scenario, &cfg, &opts).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", report.render());
            }
            // Asked for by name, a scenario that could not run here is a failure (with why).
            if let Some(why) = &report.skipped {
                anyhow::bail!("{scenario} did not run: {why}");
            }
        }
        Command::Report {
            out,
            redis,
            duration,
        } => {
            let cfg = redis_config(redis.as_deref())?;
            eprintln!("sampling {} for {duration:?} ...", cfg.display_url());
            let n = redscope_cli::report::run(cfg, duration, &out).await?;
            println!("wrote {} ({n} samples)", out.display());
        }
    }
    Ok(())
}
