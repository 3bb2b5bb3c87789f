//! Fuzz target `console_args`: the body is `redscope_cli::fuzzing::console_args`, replayed over
//! `fuzz/corpus/console_args/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::console_args(data));
