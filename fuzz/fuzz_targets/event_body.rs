//! Fuzz target `event_body`: the body is `redscope_cli::fuzzing::event_body`, replayed over
//! `fuzz/corpus/event_body/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::event_body(data));
