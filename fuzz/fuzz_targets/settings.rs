#![no_main]
//! The `settings` target: [`drupe_fuzz::settings`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::settings::run(data));
