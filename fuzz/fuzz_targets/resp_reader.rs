//! Fuzz target `resp_reader`: the body is `redscope_cli::fuzzing::resp_reader`, replayed over
//! `fuzz/corpus/resp_reader/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::resp_reader(data));
