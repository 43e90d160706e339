//! The photoblog's integration tests, one module per feature, compiled as one binary: the
//! application built in process (`photoblog::build`) behind drupe's test client, or run as
//! its own binary.

mod database;
mod forms;
mod rest;
mod support;
mod uploads;
