//! Fuzz target `admin_decode`: the body is `redscope_cli::fuzzing::admin_decode`, replayed over
//! `fuzz/corpus/admin_decode/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::admin_decode(data));
