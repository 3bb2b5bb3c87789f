//! `redscope report`: samples a server's metrics for a while, then draws the history (ops/s,
//! memory vs maxmemory, hit rate, clients) as a PNG or SVG with plotters.
//!
//! PNG text uses DejaVu Sans when installed (`/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf`);
//! without it the charts are drawn without text labels.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use plotters::coord::Shift;
use plotters::prelude::*;

use redscope::config::RedisConfig;
use redscope::error::{Error, Result};
use redscope_admin::metrics::{MetricsQuery, MetricsSample, MAX_POINTS};
use redscope_admin::{AdminOptions, AdminService};

/// The font PNG labels use, when present.
pub const FONT_PATH: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Image formats `draw` writes, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.png`
    Png,
    /// `.svg`
    Svg,
}

impl Format {
    /// The format named by `path`'s extension.
    pub fn of(path: &Path) -> Result<Format> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(Error::InvalidInput(format!(
                "{}: the report is written as .png or .svg",
                path.display()
            ))),
        }
    }
}

/// Samples `cfg` once a second for `duration` and returns the samples (read-only session).
pub async fn collect(cfg: RedisConfig, duration: Duration) -> Result<Vec<MetricsSample>> {
    let service = AdminService::new(cfg, AdminOptions { read_only: true });
    // Fail fast on a dead server or a wrong password.
    let mut c = service.conn().await?;
    redscope::health::ping(&mut c).await?;
    service.metrics().ensure_started();
    tokio::time::sleep(duration).await;
    let reply = service.metrics().total(&MetricsQuery {
        range_s: Some(duration.as_secs() + 10),
        points: Some(MAX_POINTS),
    })?;
    if reply.samples.len() < 2 {
        return Err(Error::InvalidInput(format!(
            "only {} sample(s) in {duration:?}: give a longer --duration",
            reply.samples.len()
        )));
    }
    Ok(reply.samples)
}

/// Samples, then draws to `out`; returns the number of samples drawn.
pub async fn run(cfg: RedisConfig, duration: Duration, out: &Path) -> Result<usize> {
    Format::of(out)?;
    let samples = collect(cfg, duration).await?;
    draw(&samples, out)?;
    Ok(samples.len())
}

/// Registers the font once; false when it is not installed.
fn font_available() -> bool {
    static FONT: OnceLock<bool> = OnceLock::new();
    *FONT.get_or_init(|| match std::fs::read(FONT_PATH) {
        Ok(bytes) => {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        }
        Err(_) => false,
    })
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Io(std::io::Error::other(format!("drawing the report: {e}")))
}

/// Draws `samples` as four charts into `out` (`.png` or `.svg`).
pub fn draw(samples: &[MetricsSample], out: &Path) -> Result<()> {
    let format = Format::of(out)?;
    if samples.is_empty() {
        return Err(Error::InvalidInput("no samples to draw".into()));
    }
    let text = font_available();
    let size = (1200, 800);
    match format {
        Format::Png => {
            let root = BitMapBackend::new(out, size).into_drawing_area();
            panels(&root, samples, text)?;
            root.present().map_err(draw_err)?;
        }
        Format::Svg => {
            let root = SVGBackend::new(out, size).into_drawing_area();
            panels(&root, samples, text)?;
            root.present().map_err(draw_err)?;
        }
    }
    Ok(())
}

type Series = (&'static str, RGBColor, Vec<(f64, f64)>);

fn panels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    samples: &[MetricsSample],
    text: bool,
) -> Result<()> {
    root.fill(&WHITE).map_err(draw_err)?;
    let t0 = samples[0].at_ms;
    let x = |s: &MetricsSample| (s.at_ms.saturating_sub(t0)) as f64 / 1000.0;
    let series = |f: &dyn Fn(&MetricsSample) -> Option<f64>| -> Vec<(f64, f64)> {
        samples
            .iter()
            .filter_map(|s| f(s).map(|v| (x(s), v)))
            .collect()
    };
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    let charts: Vec<(&str, Vec<Series>)> = vec![
        (
            "Commands per second",
            vec![("ops/s", BLUE, series(&|s| Some(s.ops_per_sec)))],
        ),
        (
            "Memory (MiB)",
            vec![
                ("used", RED, series(&|s| Some(mib(s.used_memory)))),
                (
                    "maxmemory",
                    BLACK,
                    series(&|s| (s.maxmemory > 0).then(|| mib(s.maxmemory))),
                ),
            ],
        ),
        (
            "Hit rate (%)",
            vec![
                (
                    "interval",
                    GREEN,
                    series(&|s| s.hit_rate.map(|r| r * 100.0)),
                ),
                (
                    "lifetime",
                    MAGENTA,
                    series(&|s| s.hit_rate_total.map(|r| r * 100.0)),
                ),
            ],
        ),
        (
            "Clients",
            vec![("clients", CYAN, series(&|s| Some(s.clients as f64)))],
        ),
    ];
    let areas = root.split_evenly((2, 2));
    let x_end = x(&samples[samples.len() - 1]).max(1.0);
    for (area, (title, lines)) in areas.iter().zip(charts) {
        let y_max = if title.ends_with("(%)") {
            105.0
        } else {
            lines
                .iter()
                .flat_map(|(_, _, pts)| pts.iter().map(|p| p.1))
                .fold(0.0f64, f64::max)
                .max(1.0)
                * 1.1
        };
        let mut builder = ChartBuilder::on(area);
        builder.margin(12);
        if text {
            builder
                .caption(title, ("sans-serif", 20))
                .x_label_area_size(30)
                .y_label_area_size(60);
        }
        let mut chart = builder
            .build_cartesian_2d(0.0..x_end, 0.0..y_max)
            .map_err(draw_err)?;
        let mut mesh = chart.configure_mesh();
        if text {
            mesh.x_desc("seconds");
        } else {
            mesh.x_labels(0).y_labels(0);
        }
        mesh.draw().map_err(draw_err)?;
        for (name, color, pts) in lines {
            let s = chart
                .draw_series(LineSeries::new(pts, color.stroke_width(2)))
                .map_err(draw_err)?;
            if text {
                s.label(name)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
        }
        if text {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(draw_err)?;
        }
    }
    Ok(())
}
