//! Replays every seed in `fuzz/corpus/<target>/` through the fuzz target's body
//! (`redscope_cli::fuzzing`, the same function `fuzz/fuzz_targets/<target>.rs` calls), plus a
//! 10 MiB input and deterministic truncations and bit flips of the small seeds: no input may
//! panic, and each must finish quickly. The counts are printed (`--nocapture`).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::time::{Duration, Instant};

use redscope_cli::fuzzing::TARGETS;

/// Truncations and bit flips of seeds up to this size.
const MUTATE_BELOW: usize = 4096;

/// A cheap deterministic generator (xorshift), so the replay is the same on every run.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

fn mutations(seed: &[u8], rng: &mut u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if seed.is_empty() || seed.len() > MUTATE_BELOW {
        return out;
    }
    for cut in [1, seed.len() / 2, seed.len().saturating_sub(1)] {
        out.push(seed[..cut.min(seed.len())].to_vec());
    }
    for _ in 0..16 {
        let mut m = seed.to_vec();
        for _ in 0..1 + next(rng) % 4 {
            let i = (next(rng) % m.len() as u64) as usize;
            m[i] ^= 1 << (next(rng) % 8);
        }
        out.push(m);
    }
    let mut doubled = seed.to_vec();
    doubled.extend_from_slice(seed);
    out.push(doubled);
    out
}

#[test]
fn every_corpus_input_is_handled_without_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut total = 0usize;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let huge: Vec<u8> = (0..10u32 << 20).map(|i| (i % 251) as u8).collect();
    for (name, run) in TARGETS {
        let dir = root.join(name);
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("corpus entry").path())
            .collect();
        entries.sort();
        assert!(
            entries.len() >= 8,
            "{name}: only {} seeds in {}",
            entries.len(),
            dir.display()
        );
        let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
        for path in &entries {
            let seed = std::fs::read(path).expect("corpus file");
            let label = path.file_name().unwrap().to_string_lossy().into_owned();
            for (i, m) in mutations(&seed, &mut rng).into_iter().enumerate() {
                inputs.push((format!("{label}~{i}"), m));
            }
            inputs.push((label, seed));
        }
        inputs.push(("synthetic_10mib".into(), huge.clone()));
        let seeds = entries.len();
        for (label, input) in &inputs {
            if std::env::var_os("FUZZ_TRACE").is_some() {
                eprintln!("{name}/{label}");
            }
            let one = Instant::now();
            let result = catch_unwind(AssertUnwindSafe(|| run(input)));
            let took = one.elapsed();
            if let Err(panic) = result {
                let msg = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{name}/{label}: panicked: {msg}"));
            } else if took > Duration::from_secs(10) {
                failures.push(format!("{name}/{label}: took {took:?}"));
            }
        }
        println!(
            "{name}: {seeds} seeds, {} inputs replayed (seeds, mutations, 10 MiB)",
            inputs.len()
        );
        total += inputs.len();
    }
    println!(
        "fuzz corpus replay: {} targets, {total} inputs, {:?}",
        TARGETS.len(),
        started.elapsed()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_fuzz_target_file_and_a_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for (name, _) in TARGETS {
        let src = std::fs::read_to_string(root.join(format!("fuzz_targets/{name}.rs")))
            .unwrap_or_else(|e| panic!("fuzz target {name}: {e}"));
        assert!(
            src.contains(&format!("redscope_cli::fuzzing::{name}(")),
            "fuzz_targets/{name}.rs must call redscope_cli::fuzzing::{name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} not in fuzz/Cargo.toml"
        );
        assert!(
            root.join("corpus").join(name).is_dir(),
            "no corpus for {name}"
        );
    }
}
