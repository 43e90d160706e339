//! A photoblog on drupe: REST services under `/services/rest/`, HTML pages and their forms,
//! Atom feeds, photo uploads, SQLite by default (PostgreSQL on request), the output cache
//! (in process or on Redis), and the coverage report at `/_coverage/`.
//!
//! ```text
//! cargo run -p photoblog                          # http://127.0.0.1:8080/
//! cargo run -p photoblog -- --database postgres://localhost/photoblog --cache redis://127.0.0.1/
//! ```
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
//! | `pages` | the HTML pages (`templates/`, `static/`), the forms and their CSRF check, the feeds |
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
