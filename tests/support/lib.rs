//! The integration suite's package root: the tests in `tests/` and the benchmark entry points in
//! `benches/` exercise the workspace's crates against real servers; this library holds nothing.
