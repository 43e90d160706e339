//! JSON (`application/json`, and the legacy aliases `text/json` and `text/x-json`).

use bytes::Bytes;
use serde::Serialize;

use super::{MediaTypes, RenderContext, Representation};
use crate::HttpError;

/// JSON through serde_json. The aliases write the same bytes under the requested type.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl MediaTypes for Json {
    const MEDIA_TYPES: &'static [&'static str] = &["application/json", "text/json", "text/x-json"];
}

impl<T: Serialize + ?Sized> Representation<T> for Json {
    fn render(&self, value: &T, _: &RenderContext<'_>) -> Result<Bytes, HttpError> {
        serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|e| HttpError::internal(format!("JSON encoding: {e}")))
    }
}
