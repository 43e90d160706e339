#![no_main]
//! The `form` target: [`drupe_fuzz::form`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::form::run(data));
