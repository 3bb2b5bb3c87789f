//! Fuzz target `api_query`: the body is `redscope_cli::fuzzing::api_query`, replayed over
//! `fuzz/corpus/api_query/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::api_query(data));
