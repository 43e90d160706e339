//! A server the engine tests start with arguments the test harness cannot take (not UTF-8), to
//! watch SIGHUP re-execute it with the very same arguments (`engine.restart_on_sighup = true`).
//!
//! It serves `GET /pid` and `GET /ok` on `DRUPE_BIND` and logs its arguments, as hex bytes, when it starts;
//! the arguments mean nothing else to it.

use drupe::{App, controller};

struct Root;

#[controller]
impl Root {
    /// What the restart tests' clients ask for.
    #[expose]
    fn ok(&self) -> &'static str {
        "ok"
    }

    /// The process id: the same before and after a re-execution.
    #[expose]
    fn pid(&self) -> String {
        std::process::id().to_string()
    }
}

fn main() -> std::process::ExitCode {
    drupe::engine::init_logging();
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| {
            a.as_encoded_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    eprintln!("arguments: {}", args.join(" "));
    let bind = std::env::var("DRUPE_BIND").unwrap_or_else(|_| "127.0.0.1:0".into());
    let app = App::builder(Root)
        .set_global("engine.restart_on_sighup", true)
        .build()
        .expect("the app builds");
    app.serve(&bind)
}
