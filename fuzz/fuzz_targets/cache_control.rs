#![no_main]
//! The `cache_control` target: [`drupe_fuzz::cache_control`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::cache_control::run(data));
