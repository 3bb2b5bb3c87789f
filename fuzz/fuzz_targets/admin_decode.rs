//! Fuzz target `admin_decode`: the body is `redscope::fuzzing::admin_decode`, replayed over
//! `fuzz/corpus/admin_decode/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope::fuzzing::admin_decode(data));
