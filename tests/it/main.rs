//! Integration tests, one module per feature, compiled as one binary.

#![allow(clippy::unused_async)]

#[path = "../../examples/tour/tree.rs"]
#[allow(dead_code)]
mod tour;

mod architecture;
mod auth;
mod bad_input;
mod blog;
#[cfg(unix)]
mod browser;
mod cache;
mod cache_redis;
mod cache_sharing;
mod capture;
mod conditional;
mod controllers;
mod cors;
mod coverage;
mod csrf;
mod dispatch;
mod encode;
mod engine;
mod environments;
mod error_pages;
mod expires;
mod faults;
mod files;
mod limits;
mod methods;
mod mismatch;
mod mounts;
mod negotiation;
mod openapi;
mod preconditions;
mod process;
mod rate_limit;
mod redirects;
mod reliability;
mod replies;
mod requests;
mod security;
mod served;
mod session_auth;
mod sessions;
mod settings_documented;
mod soak;
mod timeout;
mod tls;
mod tools;
mod tour_api;
mod tour_tests;
mod ui;
mod uploads;

/// Tests that load the whole machine — a 200-connection soak, a compiler run, a browser, a
/// thousand panics, timed slow clients — take this lock in turn: each bounds or measures time,
/// and two of them at once on a 2-core machine would measure each other. An async lock, so an
/// async test holds it across its awaits; [`heavy_blocking`] is the same lock for plain tests.
static HEAVY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub(crate) async fn heavy() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.lock().await
}

// Every plain heavy test is Unix-only.
#[cfg_attr(windows, allow(dead_code))]
pub(crate) fn heavy_blocking() -> tokio::sync::MutexGuard<'static, ()> {
    HEAVY.blocking_lock()
}
