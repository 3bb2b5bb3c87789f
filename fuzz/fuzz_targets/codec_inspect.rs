//! Fuzz target `codec_inspect`: the body is `redscope_cli::fuzzing::codec_inspect`, replayed over
//! `fuzz/corpus/codec_inspect/` by `tests/fuzz_corpus.rs` in the normal test command.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| redscope_cli::fuzzing::codec_inspect(data));
