//! `redscope bench all --json` and `redscope bench --render`: the run file a benchmark run writes,
//! and README's results table rendered from it. Nothing here is timed: the scenarios run at their
//! `--quick` sizes only to show that the file they write is complete and readable.

use std::path::Path;
use std::process::Command;

use redscope_cli::bench::results::{self, BEGIN_MARK, END_MARK};
use serde_json::Value;

fn redscope(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_redscope"))
        .args(args)
        .current_dir(dir)
        .env("REDSCOPE_LOG", "warn")
        .output()
        .expect("runs the redscope binary")
}

#[test]
fn bench_all_json_writes_one_file_with_the_machine_and_every_scenario_asked() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run/results.json");
    let o = redscope(
        &[
            "bench",
            "all",
            "--json",
            "--quick",
            "--only",
            "tree-10m,big-values",
            "--note",
            "shared test machine",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "bench all failed: {stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Each scenario's usual summary is still printed as it finishes.
    assert!(stdout.contains("tree-10m\n  ours"), "{stdout}");
    assert!(stdout.contains("big-values\n  ours"), "{stdout}");

    let text = std::fs::read_to_string(&out).expect("the run file was written");
    let run: Value = serde_json::from_str(&text).expect("the run file is JSON");
    let m = &run["machine"];
    assert!(m["cores"].as_u64().unwrap() >= 1, "{m}");
    assert!(m["ram_mb"].as_u64().unwrap() > 0, "{m}");
    assert!(!m["cpu"].as_str().unwrap().is_empty(), "{m}");
    assert!(m["os"].as_str().unwrap().contains("Linux"), "{m}");
    let version = m["redis_server"].as_str().unwrap();
    assert!(version.split('.').count() >= 2, "redis_server {version:?}");
    chrono::DateTime::parse_from_rfc3339(m["date"].as_str().unwrap()).expect("an RFC 3339 date");
    assert!(["debug", "release"].contains(&m["profile"].as_str().unwrap()));
    assert_eq!(run["quick"], true);
    assert_eq!(run["note"], "shared test machine");

    let names: Vec<&str> = run["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["tree-10m", "big-values"]);
    for s in run["scenarios"].as_array().unwrap() {
        assert!(s["error"].is_null(), "{s}");
        let r = &s["report"];
        assert_eq!(r["scenario"], s["name"]);
        assert!(r["ours"].as_f64().unwrap() > 0.0, "{r}");
        assert!(r["reference"].as_f64().unwrap() > 0.0, "{r}");
        assert!(!r["details"].as_array().unwrap().is_empty(), "{r}");
        assert!(s["wall_s"].as_f64().unwrap() > 0.0);
    }
    // The library reads back what the binary wrote, and renders a row per scenario.
    let parsed = results::read(&out).unwrap();
    let table = results::render_table(&parsed);
    assert!(table.contains("| `tree-10m` — "), "{table}");
    assert!(table.contains("| `big-values` — "), "{table}");
    assert!(table.contains("quick sizes"), "{table}");
}

/// A run file as `bench all --json` writes it: a met, a missed, a budget, a skipped and a
/// failed scenario.
const RUN: &str = r#"{
  "machine": {"date": "2026-12-04T00:10:00Z", "cpu": "AMD EPYC", "cores": 2, "ram_mb": 24105,
    "os": "Debian GNU/Linux 12 (bookworm), Linux 6.1.0", "redis_server": "7.0.15",
    "git_commit": "0123456789abcdef0123456789abcdef01234567", "profile": "release",
    "load_start": 1.5, "load_end": 2.25},
  "quick": false,
  "note": "The two cores were shared with other engineers' builds.",
  "scenarios": [
    {"name": "cache-get", "description": "typed GETs vs redis-benchmark -c 1 GET", "wall_s": 12.5,
     "report": {"scenario": "cache-get", "unit": "ops/s", "ours": 52088.4, "reference": 50994.2,
       "ratio": 1.0214, "higher_is_better": true, "target": 0.9, "met": true,
       "details": [["ops", 200000.0]], "reference_is_budget": false, "notes": [], "skipped": null},
     "error": null},
    {"name": "tree-10m", "description": "root level of 10M keys | one down", "wall_s": 95.0,
     "report": {"scenario": "tree-10m", "unit": "seconds", "ours": 11.2, "reference": 8.0,
       "ratio": 1.4, "higher_is_better": false, "target": 1.3, "met": false,
       "details": [["keys", 10000000.0], ["market: level ratio", 1.21]],
       "reference_is_budget": false, "notes": ["both levels exact"], "skipped": null},
     "error": null},
    {"name": "big-values", "description": "first pages of big values", "wall_s": 80.0,
     "report": {"scenario": "big-values", "unit": "ms", "ours": 41.5, "reference": 200.0,
       "ratio": 0.2075, "higher_is_better": false, "target": 1.0, "met": true,
       "details": [], "reference_is_budget": true, "notes": [], "skipped": null},
     "error": null},
    {"name": "desktop", "description": "desktop paint", "wall_s": 0.1,
     "report": {"scenario": "desktop", "unit": "", "ours": null, "reference": null, "ratio": null,
       "higher_is_better": true, "target": null, "met": null, "details": [],
       "reference_is_budget": false, "notes": [], "skipped": "Xvfb is not installed"},
     "error": null},
    {"name": "import-1m", "description": "import", "wall_s": 3.0, "report": null,
     "error": "connection refused"}
  ]
}"#;

#[test]
fn render_writes_the_results_table_between_readme_markers() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("results.json");
    std::fs::write(&run, RUN).unwrap();
    let readme = dir.path().join("README.md");
    let before = format!("# Title\n\n## Benchmarks\n\nkept above\n\n{BEGIN_MARK}\n| old | table |\n{END_MARK}\n\nkept below\n");
    std::fs::write(&readme, &before).unwrap();
    let render = |readme: &Path| {
        redscope(
            &[
                "bench",
                "--render",
                run.to_str().unwrap(),
                "--readme",
                readme.to_str().unwrap(),
            ],
            dir.path(),
        )
    };

    let o = render(&readme);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let after = std::fs::read_to_string(&readme).unwrap();
    assert!(after.starts_with(&format!(
        "# Title\n\n## Benchmarks\n\nkept above\n\n{BEGIN_MARK}\n"
    )));
    assert!(after.ends_with(&format!("{END_MARK}\n\nkept below\n")));
    assert!(!after.contains("| old | table |"));
    for line in [
        "One run of `redscope bench all`, 2026-12-04T00:10:00Z, commit `0123456789`, release build. Machine: AMD EPYC, 2 cores, 23.5 GiB RAM, Debian GNU/Linux 12 (bookworm), Linux 6.1.0, redis-server 7.0.15; load average 1.50 at the start, 2.25 at the end.",
        "The two cores were shared with other engineers' builds.",
        "| scenario | ours | reference | ratio | target | |",
        "| `cache-get` — typed GETs vs redis-benchmark -c 1 GET | 52,088 ops/s | 50,994 ops/s | 1.02 | ≥ 0.9 | met |",
        "| `tree-10m` — root level of 10M keys \\| one down | 11.2 s | 8 s | 1.40 | ≤ 1.3 | **not met** |",
        "| `big-values` — first pages of big values | 41.5 ms | 200 ms budget | 0.21 | ≤ 1 | met |",
        "| `desktop` — desktop paint | – | – | – | – | skipped: Xvfb is not installed |",
        "| `import-1m` — import | – | – | – | – | **failed**: connection refused |",
        "- `tree-10m`: keys 10,000,000; market: level ratio 1.210; note: both levels exact; scenario wall time 95 s",
    ] {
        assert!(after.lines().any(|l| l == line), "missing line {line:?} in:\n{after}");
    }

    // Rendering the same file again changes nothing.
    let o = render(&readme);
    assert!(o.status.success());
    assert_eq!(std::fs::read_to_string(&readme).unwrap(), after);

    // A README without the markers is refused and left as it was.
    let bare = dir.path().join("BARE.md");
    std::fs::write(&bare, "no markers here\n").unwrap();
    let o = render(&bare);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("bench-results:begin"));
    assert_eq!(std::fs::read_to_string(&bare).unwrap(), "no markers here\n");
}
