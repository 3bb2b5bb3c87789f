//! Fuzz target `tick_fields`: the body is `redscope_cli::fuzzing::tick_fields`, replayed over
//! `fuzz/corpus/tick_fields/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::tick_fields(data));
