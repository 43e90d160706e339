//! The photoblog's integration tests, one module per feature, compiled as one binary: the
//! application built in process (`photoblog::build`) behind drupe's test client, or run as
//! its own binary.

mod cache;
mod conditional;
mod database;
mod files;
mod forms;
mod owner;
mod pages;
mod rest;
mod signin;
mod support;
mod uploads;
