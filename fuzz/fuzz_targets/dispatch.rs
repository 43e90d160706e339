#![no_main]
//! The `dispatch` target: [`drupe_fuzz::dispatch`].

libfuzzer_sys::fuzz_target!(|data: &[u8]| drupe_fuzz::dispatch::run(data));
