#![no_main]
//! The `cache_key` target: [`drupe_fuzz::cache_key`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::cache_key::run(data));
