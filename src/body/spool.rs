//! Spooling: a file part larger than `request.body.spool_above` goes to disk as it arrives.
//!
//! This module owns the reading of a multipart part's content. A text part, and a file part
//! of up to `request.body.spool_above` bytes (256 KiB by default), are held in memory. Past
//! that, a file part is written to a temporary file in `request.body.spool_dir` (the system's
//! temporary folder by default): what was held first, then the rest in batches of
//! [`BATCH`] bytes, each written on a blocking thread so the worker goes on serving other
//! connections. Memory per upload is bounded by the threshold and a batch, whatever the
//! file's size. The file's name is held by the request's future: when the body fails half-way
//! (the client went away, `request.body.max_size` was passed, the body stalled, the multipart
//! is malformed) the read gives up and the file is deleted; when it succeeds, the file
//! belongs to the [`Upload`](super::Upload) made from it.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use actix_multipart::{Field, MultipartError};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::upload::{Content, Spooled, TEMP_PREFIX};

/// The default `request.body.spool_above`: 256 KiB.
pub const DEFAULT_SPOOL_ABOVE: usize = 256 << 10;

/// Bytes gathered before one write to a spooled file: few enough blocking calls (80 for
/// 20 MiB), little memory (twenty uploads at once hold 5 MiB of batches).
const BATCH: usize = 256 << 10;

/// Where file parts larger than a threshold go.
#[derive(Debug, Clone)]
pub(crate) struct Spool {
    /// `request.body.spool_above`: file parts larger than this many bytes go to disk.
    pub(crate) above: usize,
    /// `request.body.spool_dir`; `None`: the system's temporary folder.
    pub(crate) dir: Option<Arc<Path>>,
}

impl Default for Spool {
    fn default() -> Self {
        Self {
            above: DEFAULT_SPOOL_ABOVE,
            dir: None,
        }
    }
}

/// Why a part could not be read.
#[derive(Debug)]
pub(super) enum PartError {
    /// The body: malformed, cut off, too large, stalled.
    Multipart(MultipartError),
    /// The spooled file could not be made or written.
    Spool(io::Error),
}

impl From<MultipartError> for PartError {
    fn from(e: MultipartError) -> Self {
        Self::Multipart(e)
    }
}

/// A text part's content, in memory.
pub(super) async fn read_text(mut field: Field) -> Result<Bytes, MultipartError> {
    let mut held = Held::default();
    while let Some(chunk) = field.next().await {
        held.push(chunk?);
    }
    Ok(held.join())
}

/// A file part's content: in memory up to `spool.above` bytes, else in a temporary file.
pub(super) async fn read_file(mut field: Field, spool: &Spool) -> Result<Content, PartError> {
    let mut held = Held::default();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if held.len + chunk.len() > spool.above {
            held.push(chunk);
            return spill(field, held, spool).await;
        }
        held.push(chunk);
    }
    Ok(Content::Memory(held.join()))
}

/// Chunks held in memory, joined once at the end (the one chunk of a small part as it is).
#[derive(Default)]
struct Held {
    chunks: Vec<Bytes>,
    len: usize,
}

impl Held {
    fn push(&mut self, chunk: Bytes) {
        self.len += chunk.len();
        self.chunks.push(chunk);
    }

    fn join(mut self) -> Bytes {
        if self.chunks.len() <= 1 {
            return self.chunks.pop().unwrap_or_default();
        }
        let mut all = BytesMut::with_capacity(self.len);
        for c in &self.chunks {
            all.extend_from_slice(c);
        }
        all.freeze()
    }
}

/// Writes what was `held` and the rest of the part to a temporary file.
async fn spill(mut field: Field, held: Held, spool: &Spool) -> Result<Content, PartError> {
    let dir = spool.dir.clone();
    let tmp = blocking(move || {
        let dir = dir.map_or_else(std::env::temp_dir, |d| d.to_path_buf());
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
    })
    .await
    .map_err(PartError::Spool)?;
    // From here `path` deletes the file when it drops: on an error below, or when the
    // request's future is dropped because its client went away.
    let (mut file, path) = tmp.into_parts();
    let mut len = 0u64;
    let mut batch = held;
    while let Some(chunk) = field.next().await {
        batch.push(chunk?);
        if batch.len >= BATCH {
            len += batch.len as u64;
            file = write(file, std::mem::take(&mut batch).chunks).await?;
        }
    }
    if batch.len > 0 {
        len += batch.len as u64;
        write(file, batch.chunks).await?;
    }
    Ok(Content::Spooled(Arc::new(Spooled::new(path, len))))
}

async fn write(mut file: File, chunks: Vec<Bytes>) -> Result<File, PartError> {
    blocking(move || {
        for c in &chunks {
            file.write_all(c)?;
        }
        Ok(file)
    })
    .await
    .map_err(PartError::Spool)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    actix_web::web::block(f).await.map_err(io::Error::other)?
}
