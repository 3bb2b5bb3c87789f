//! Fuzz target `info_parse`: the body is `redscope_cli::fuzzing::info_parse`, replayed over
//! `fuzz/corpus/info_parse/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::info_parse(data));
