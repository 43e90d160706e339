//! `/services/rest/token`: the owner trades its password for a bearer token (`POST`, with
//! Basic credentials), for REST clients that should not keep the password. Only a hash of
//! the token is stored: it is shown in this answer and never again.

use actix_web::HttpResponse;
use actix_web::http::header;
use drupe::tools::Identity;
use drupe::{State, resource};

use crate::error::AppError;
use crate::owner::random_secret;
use crate::shared::Photoblog;

/// `/services/rest/token`.
#[resource]
#[derive(Default)]
pub(super) struct Token;

#[resource]
impl Token {
    /// A new bearer token for the caller: `{"token": "..."}`, not stored by any cache. 201,
    /// which the response built by hand does not tell the OpenAPI document.
    #[status(201)]
    async fn post(&self, who: Identity, blog: State<Photoblog>) -> Result<HttpResponse, AppError> {
        let token = random_secret(32);
        blog.db.add_token(who.name(), &token).await?;
        Ok(HttpResponse::Created()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "token": token })))
    }
}
