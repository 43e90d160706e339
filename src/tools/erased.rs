//! A tool with its configuration type erased, as the application keeps it.
//!
//! [`ErasedTool`] mirrors [`Tool`] method for method, with the configuration as `dyn Any`;
//! [`Erased`] implements it for any tool. The pipeline calls tools only through it.

use std::any::Any;
use std::sync::Arc;

use actix_web::HttpResponse;

use super::{After, Before, Build, Exchange, Placement, Security, Tool};
use crate::config::{Config, ConfigError};

/// A tool with its configuration type erased. Method names are [`Tool`]'s.
pub(crate) trait ErasedTool: Send + Sync {
    fn name(&self) -> &'static str;
    fn on_by_default(&self) -> bool;
    fn priority(&self) -> i32;
    /// Reads a path's `tools.<name>.*` table (`key` names it in errors) and lets the tool
    /// prepare it for the path (`on`: whether it is on there).
    fn configure(
        &self,
        config: &Config,
        path: &str,
        key: &str,
        section: toml::Table,
        on: bool,
    ) -> Result<Arc<dyn Any + Send + Sync>, ConfigError>;
    fn before_handler<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
    ) -> Before<'a>;
    fn checks_before_call(&self) -> bool;
    fn before_call<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
    ) -> Before<'a>;
    fn after_handler<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a>;
    fn on_response(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &mut HttpResponse);
    fn on_end(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &HttpResponse);
    fn on_build(&self, build: &mut Build<'_>) -> Result<(), ConfigError>;
    fn on_stop(&self);
    fn responses(&self, config: &(dyn Any + Send + Sync), method: &str)
    -> Vec<(u16, &'static str)>;
    fn security(&self, config: &(dyn Any + Send + Sync), method: &str) -> Option<Security>;
    fn as_any(&self) -> &dyn Any;
}

/// A tool behind [`ErasedTool`].
pub(crate) struct Erased<T>(pub(crate) T);

impl<T: Tool> Erased<T> {
    fn cfg(config: &(dyn Any + Send + Sync)) -> &T::Config {
        match config.downcast_ref::<T::Config>() {
            Some(c) => c,
            // Settings are compiled by `configure` of the same tool: a mismatch is a bug.
            None => unreachable!("tool {} got another tool's configuration", T::NAME),
        }
    }
}

impl<T: Tool> ErasedTool for Erased<T> {
    fn name(&self) -> &'static str {
        T::NAME
    }
    fn on_by_default(&self) -> bool {
        T::ON_BY_DEFAULT
    }
    fn priority(&self) -> i32 {
        self.0.priority()
    }
    fn configure(
        &self,
        config: &Config,
        path: &str,
        key: &str,
        section: toml::Table,
        on: bool,
    ) -> Result<Arc<dyn Any + Send + Sync>, ConfigError> {
        let mut cfg: T::Config = config.read(path, key, toml::Value::Table(section))?;
        let placement = Placement {
            config,
            path,
            tool: T::NAME,
            on,
        };
        self.0.prepare(&mut cfg, &placement)?;
        Ok(Arc::new(cfg))
    }
    fn before_handler<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
    ) -> Before<'a> {
        self.0.before_handler(Self::cfg(config), ex)
    }
    fn checks_before_call(&self) -> bool {
        T::CHECKS_BEFORE_CALL
    }
    fn before_call<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
    ) -> Before<'a> {
        self.0.before_call(Self::cfg(config), ex)
    }
    fn after_handler<'a>(
        &'a self,
        config: &'a (dyn Any + Send + Sync),
        ex: &'a Exchange,
        res: HttpResponse,
    ) -> After<'a> {
        self.0.after_handler(Self::cfg(config), ex, res)
    }
    fn on_response(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &mut HttpResponse) {
        self.0.on_response(Self::cfg(config), ex, res)
    }
    fn on_end(&self, config: &(dyn Any + Send + Sync), ex: &Exchange, res: &HttpResponse) {
        self.0.on_end(Self::cfg(config), ex, res)
    }
    fn on_build(&self, build: &mut Build<'_>) -> Result<(), ConfigError> {
        self.0.on_build(build)
    }
    fn on_stop(&self) {
        self.0.on_stop()
    }
    fn responses(
        &self,
        config: &(dyn Any + Send + Sync),
        method: &str,
    ) -> Vec<(u16, &'static str)> {
        self.0.responses(Self::cfg(config), method)
    }
    fn security(&self, config: &(dyn Any + Send + Sync), method: &str) -> Option<Security> {
        self.0.security(Self::cfg(config), method)
    }
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
}

/// A tool switched on for a path, with its compiled configuration.
#[derive(Clone)]
pub(crate) struct ActiveTool {
    pub(crate) tool: Arc<dyn ErasedTool>,
    pub(crate) config: Arc<dyn Any + Send + Sync>,
}
