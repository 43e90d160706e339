#![no_main]
//! The `accept` target: [`drupe_fuzz::accept`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::accept::run(data));
