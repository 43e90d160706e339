//! `App::serve`: an application on the engine with its server and signal plugins, in one call.
//!
//! It lives here, not in `app`, because the engine is the layer above the application: the
//! application knows nothing of how it is served.

use crate::App;
use crate::engine::{Engine, ServerPlugin, Signals};

impl App {
    /// Serves the application on `bind` (`host:port`, port 0 picks a free one; `unix:/path`;
    /// `systemd`) with the engine and signal handling, until a signal or a failure stops it,
    /// and returns the process's exit status (70 when it could not start).
    ///
    /// Logs `serving on http://ADDR` once it accepts connections.
    pub fn serve(&self, bind: &str) -> std::process::ExitCode {
        let addr: crate::net::BindAddr = match bind.parse() {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("{e}");
                return std::process::ExitCode::from(64);
            }
        };
        let engine = Engine::new();
        Signals::new()
            .restart_on_hup(self.settings().engine.restart_on_sighup)
            .attach(&engine);
        ServerPlugin::new(self.clone(), addr)
            .on_serving(|url| tracing::info!(target: "drupe", "serving on {url}"))
            .attach(&engine);
        let app = self.clone();
        engine.subscribe("stop", 30, "tools", move |_| {
            app.stop_tools();
            Ok(())
        });
        let _ = engine.start();
        engine.block()
    }
}
