//! A photoblog on drupe: REST services under `/services/rest/`, HTML pages and their forms,
//! Atom feeds, photo uploads, SQLite by default (PostgreSQL on request), the output cache
//! (in process or on Redis), the owner signing in to write, and the coverage report at
//! `/_coverage/`.
//!
//! ```text
//! cargo run -p photoblog                          # http://127.0.0.1:8080/
//! cargo run -p photoblog -- --database postgres://localhost/photoblog \
//!     --cache redis://127.0.0.1/ --sessions redis://127.0.0.1/
//! ```
//!
//! # Signing in
//!
//! Reading is for everyone; writing is for the owner, the account `admin`. Its password is
//! `--admin-password` (or `PHOTOBLOG_ADMIN_PASSWORD`); without one, a first run makes one up
//! and prints it once. In the browser, "Sign in" or any form page (New album, Edit, Delete,
//! Upload) leads to `/login`, which brings the owner back to that page signed in; "Sign out"
//! posts to `/logout`. A visitor's form post is sent to the login (an API client gets 401) and
//! changes nothing. The REST services take the password as Basic credentials, or a bearer
//! token from `POST /services/rest/token`, and never the pages' session.
//!
//! The tools behind it, set up in `app`: `tools.sessions` (in memory, or Redis with
//! `--sessions redis://…` so that several instances share who signed in), `tools.session_auth`
//! (the login form, `templates/login.html`), `auth_basic` and `auth_bearer` on the REST
//! services, `tools.csrf` on every form and write, and the rate limiter, which answers 429 to a
//! client or an account after ten wrong passwords.
//!
//! The crate is laid out as an application you can copy:
//!
//! | module | what it holds |
//! |---|---|
//! | `settings` | [`Settings`]: the command line, with its defaults |
//! | `app` | [`build`] (the database, the demo content, the tree and its tools) and [`run`] |
//! | `shared` | the state every handler takes (`State<Photoblog>`): the database and the photos |
//! | `error` | [`AppError`]: every failure and its status |
//! | `model` | albums, films and photos in SQLite or PostgreSQL (`migrations/`) |
//! | `images` | the photo files: checked, stored, thumbnailed, swept |
//! | `views` | what the services answer: JSON, XML, Atom, the image |
//! | `services` | the REST resources: a collection and its items for albums, films, photos |
//! | `owner` | the owner's account: its password at start-up, the password and token verifiers |
//! | `pages` | the HTML pages (`templates/`, `static/`), the owner's forms, the feeds |
//! | `seed` | the demo content of a first run |

mod app;
mod error;
mod images;
mod model;
mod owner;
mod pages;
mod seed;
mod services;
mod settings;
mod shared;
pub mod testing;
mod views;

pub use app::{build, run};
pub use error::AppError;
pub use settings::{Secret, Settings};
