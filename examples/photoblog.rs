//! `cargo run --example photoblog`: the photoblog of `examples/photoblog/`, a crate of its own
//! (`cargo run -p photoblog` runs the same), started from the repository's root.

use std::process::ExitCode;

use clap::Parser;
use photoblog::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    photoblog::run(Settings::parse()).await
}
