//! The photoblog's command: its settings from the command line, then the server.

use std::process::ExitCode;

use clap::Parser;
use photoblog::Settings;

#[actix_web::main]
async fn main() -> ExitCode {
    photoblog::run(Settings::parse()).await
}
