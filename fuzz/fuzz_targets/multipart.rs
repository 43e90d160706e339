#![no_main]
//! The `multipart` target: [`drupe_fuzz::multipart`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::multipart::run(data));
