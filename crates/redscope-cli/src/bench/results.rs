//! One run of every scenario as a single JSON file (`redscope bench all --json`), the machine it
//! ran on, and README's results table rendered from that file (`./scripts/dev bench`), so the
//! table is never typed by hand.

use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::BenchReport;
use redscope::error::{Error, Result};

/// The comment that opens README's rendered block.
pub const BEGIN_MARK: &str = "<!-- bench-results:begin -->";
/// The comment that closes it.
pub const END_MARK: &str = "<!-- bench-results:end -->";

/// Everything `bench all --json` writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BenchRun {
    /// Where and when it ran.
    pub machine: Machine,
    /// True when scenarios ran at their small `--quick` sizes (figures not comparable).
    pub quick: bool,
    /// Free text given with `--note` (e.g. that the cores were shared).
    #[serde(default)]
    pub note: Option<String>,
    /// One entry per scenario, in the order they ran.
    pub scenarios: Vec<ScenarioResult>,
}

/// One scenario's outcome in a run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioResult {
    /// Scenario name.
    pub name: String,
    /// What it measures (from `--list`).
    pub description: String,
    /// Wall time of the whole scenario, loading included, seconds.
    pub wall_s: f64,
    /// The report, when it ran to the end.
    pub report: Option<BenchReport>,
    /// The error that stopped it, otherwise.
    pub error: Option<String>,
}

/// The machine and build a run was measured on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Machine {
    /// UTC time the run started, RFC 3339.
    pub date: String,
    /// CPU model name.
    pub cpu: Option<String>,
    /// Logical cores available to the process.
    pub cores: usize,
    /// Total RAM, MiB.
    pub ram_mb: Option<u64>,
    /// OS name and kernel.
    pub os: Option<String>,
    /// `redis_version` of the server the scenarios ran against.
    pub redis_server: Option<String>,
    /// `git rev-parse HEAD` of the working directory, with `-dirty` when it has changes.
    pub git_commit: Option<String>,
    /// `release` or `debug`.
    pub profile: String,
    /// 1-minute load average when the run started and ended.
    pub load_start: Option<f64>,
    pub load_end: Option<f64>,
}

impl Machine {
    /// Reads the facts of this machine (Linux `/proc`, `/etc/os-release`, `git`).
    pub fn probe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string());
        let ram_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                m.lines()
                    .find_map(|l| l.strip_prefix("MemTotal:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            })
            .map(|kb| kb / 1024);
        let pretty = std::fs::read_to_string("/etc/os-release")
            .ok()
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            });
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .ok()
            .map(|k| k.trim().to_string());
        let os = match (pretty, kernel) {
            (Some(p), Some(k)) => Some(format!("{p}, Linux {k}")),
            (p, k) => p.or(k.map(|k| format!("Linux {k}"))),
        };
        Machine {
            date: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            ram_mb,
            os,
            redis_server: None,
            git_commit: git_commit(),
            profile: if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            }
            .into(),
            load_start: load_average(),
            load_end: None,
        }
    }
}

/// The 1-minute load average (Linux).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn git_commit() -> Option<String> {
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = run(&["rev-parse", "HEAD"])?;
    let dirty =
        run(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    Some(if dirty { format!("{head}-dirty") } else { head })
}

/// A figure as README shows it: thousands separated, fewer decimals the bigger it is.
fn figure(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        let whole = format!("{:.0}", a);
        let mut out = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if v < 0.0 {
            out.insert(0, '-');
        }
        out
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// A value with its unit (`seconds` shortened to `s`).
fn with_unit(v: f64, unit: &str) -> String {
    let unit = match unit {
        "seconds" => "s",
        u => u,
    };
    format!("{} {unit}", figure(v))
}

/// Pipes would end a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// README's block for `run`: when and where, the table, then each scenario's details.
pub fn render_table(run: &BenchRun) -> String {
    let m = &run.machine;
    let mut s = String::new();
    let commit = m
        .git_commit
        .as_deref()
        .map(|c| {
            let (hash, dirty) = c.split_at(c.find('-').unwrap_or(c.len()));
            format!("{}{dirty}", &hash[..hash.len().min(10)])
        })
        .unwrap_or_else(|| "unknown".into());
    let _ = write!(
        s,
        "One run of `redscope bench all`, {}, commit `{commit}`, {} build{}. Machine: {}, {} cores, {} RAM, {}, redis-server {}",
        m.date,
        m.profile,
        if run.quick { ", **quick sizes (not comparable)**" } else { "" },
        m.cpu.as_deref().unwrap_or("unknown CPU"),
        m.cores,
        m.ram_mb
            .map(|mb| format!("{:.1} GiB", mb as f64 / 1024.0))
            .unwrap_or_else(|| "unknown".into()),
        m.os.as_deref().unwrap_or("unknown OS"),
        m.redis_server.as_deref().unwrap_or("unknown"),
    );
    if let (Some(a), Some(b)) = (m.load_start, m.load_end) {
        let _ = write!(s, "; load average {a:.2} at the start, {b:.2} at the end");
    }
    s.push_str(".\n");
    if let Some(note) = &run.note {
        let _ = write!(s, "\n{}\n", note.trim());
    }
    s.push_str("\n| scenario | ours | reference | ratio | target | |\n");
    s.push_str("| --- | ---: | ---: | ---: | --- | --- |\n");
    for sc in &run.scenarios {
        let name = format!("`{}` — {}", sc.name, cell(&sc.description));
        match (&sc.report, &sc.error) {
            (Some(r), _) if r.skipped.is_none() => {
                let reference = if r.reference_is_budget {
                    format!("{} budget", with_unit(r.reference, &r.unit))
                } else {
                    with_unit(r.reference, &r.unit)
                };
                let target = match r.target {
                    Some(t) if r.higher_is_better => format!("≥ {t}"),
                    Some(t) => format!("≤ {t}"),
                    None => "–".into(),
                };
                let met = match r.met {
                    Some(true) => "met",
                    Some(false) => "**not met**",
                    None => "",
                };
                let _ = writeln!(
                    s,
                    "| {name} | {} | {reference} | {} | {target} | {met} |",
                    with_unit(r.ours, &r.unit),
                    if r.ratio.is_finite() {
                        format!("{:.2}", r.ratio)
                    } else {
                        "–".into()
                    },
                );
            }
            (Some(r), _) => {
                let why = r.skipped.as_deref().unwrap_or("");
                let _ = writeln!(s, "| {name} | – | – | – | – | skipped: {} |", cell(why));
            }
            (None, err) => {
                let err = err.as_deref().unwrap_or("no report");
                let _ = writeln!(s, "| {name} | – | – | – | – | **failed**: {} |", cell(err));
            }
        }
    }
    let mut details = String::new();
    for sc in &run.scenarios {
        let Some(r) = sc.report.as_ref().filter(|r| r.skipped.is_none()) else {
            continue;
        };
        let mut parts: Vec<String> = r
            .details
            .iter()
            .map(|(k, v)| format!("{k} {}", figure(*v)))
            .collect();
        parts.extend(r.notes.iter().map(|n| format!("note: {n}")));
        parts.push(format!("scenario wall time {} s", figure(sc.wall_s)));
        let _ = writeln!(details, "- `{}`: {}", sc.name, parts.join("; "));
    }
    if !details.is_empty() {
        s.push_str("\nDetails of the same run:\n\n");
        s.push_str(&details);
    }
    s
}

/// `readme` with the text between [`BEGIN_MARK`] and [`END_MARK`] replaced by `block`.
pub fn splice(readme: &str, block: &str) -> Result<String> {
    let (Some(b), Some(e)) = (readme.find(BEGIN_MARK), readme.find(END_MARK)) else {
        return Err(Error::InvalidInput(format!(
            "the README has no {BEGIN_MARK} … {END_MARK} block to render the results into"
        )));
    };
    if e < b {
        return Err(Error::InvalidInput(format!(
            "{END_MARK} comes before {BEGIN_MARK} in the README"
        )));
    }
    let head = &readme[..b + BEGIN_MARK.len()];
    let tail = &readme[e..];
    Ok(format!(
        "{head}\n<!-- rendered by `./scripts/dev bench` from `redscope bench all --json`; do not edit by hand -->\n{}\n{tail}",
        block.trim_end()
    ))
}

/// Reads a `bench all --json` file.
pub fn read(path: &Path) -> Result<BenchRun> {
    let text = std::fs::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::InvalidInput(format!(
            "{} is not a `redscope bench all --json` file: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_like_readme() {
        assert_eq!(figure(1_300_390.4), "1,300,390");
        assert_eq!(figure(52_088.0), "52,088");
        assert_eq!(figure(150.0), "150");
        assert_eq!(figure(23.64), "23.6");
        assert_eq!(figure(0.7801), "0.780");
        assert_eq!(figure(f64::NAN), "–");
        assert_eq!(with_unit(0.78, "seconds"), "0.780 s");
    }

    #[test]
    fn splice_keeps_what_is_around_the_markers() {
        let readme = format!("a\n{BEGIN_MARK}\nold\n{END_MARK}\nb\n");
        let out = splice(&readme, "new table\n").unwrap();
        assert!(out.starts_with(&format!("a\n{BEGIN_MARK}\n")));
        assert!(out.contains("new table\n"));
        assert!(!out.contains("old"));
        assert!(out.ends_with(&format!("{END_MARK}\nb\n")));
        assert!(splice("no markers", "x").is_err());
    }
}
