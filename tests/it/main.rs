//! Integration tests, one module per feature, compiled as one binary.

#![allow(clippy::unused_async)]

#[path = "../../examples/tour/tree.rs"]
#[allow(dead_code)]
mod tour;

#[path = "../../examples/photoblog/app.rs"]
#[allow(dead_code)]
mod photoblog;

mod bad_input;
#[cfg(unix)]
mod browser;
mod cache;
mod cache_redis;
mod coverage;
mod dispatch;
mod engine;
mod faults;
mod methods;
mod mismatch;
mod negotiation;
mod photoblog_tests;
mod process;
mod reliability;
mod requests;
mod security;
mod soak;
mod tools;
mod tour_api;
mod tour_tests;
mod ui;
