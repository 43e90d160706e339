//! Photo files: checked by content, stored atomically under a content-addressed name, with a
//! thumbnail; never a path the client chose.
//!
//! An upload's header is read first: its format must be PNG, JPEG, GIF or WebP (else 415) and
//! its width × height at most the configured number of pixels (else 413, naming both), so a
//! small file that would decode into gigabytes is refused before a byte of it is decoded. Then
//! it is decoded (within a memory budget that follows from the pixel limit) to prove it is an
//! image and to make its thumbnail, hashed as it is read, moved to a temporary name in the
//! photo folder, and renamed into place only inside the database transaction that records it:
//! a failed upload leaves no file and no row. A large upload never sits whole in memory: drupe
//! spools it as it arrives into the folder's `spool/` (`request.body.spool_dir`), on the same
//! filesystem as the photos, so moving it is a link or a rename, not a copy.
//!
//! At start-up, what crashed uploads left is removed: temporary and spooled files (`tmp-…`,
//! `spool/…`) and files no row refers to (a crash between the rename and the commit) — but
//! only those last modified more than a grace period ago (one hour by default,
//! `--sweep-grace`). Several instances may share the folder (two on one PostgreSQL and one
//! Redis is a documented set-up): a younger file may be another instance's upload in flight,
//! spooled, written or renamed and not yet committed.

use std::collections::HashSet;
use std::io::{BufRead, Cursor, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use drupe::Upload;
use image::{ImageFormat, ImageReader, Limits};

use crate::error::AppError;
use crate::model::PhotoFile;

/// The folder of photos and thumbnails, and what it accepts.
#[derive(Debug, Clone)]
pub(crate) struct PhotoStore {
    dir: PathBuf,
    /// The largest picture accepted, in pixels (width × height).
    max_pixels: u64,
}

/// An upload decoded and written to temporary files, waiting to be moved into place.
#[derive(Debug)]
pub(crate) struct Prepared {
    pub(crate) file: PhotoFile,
    tmp_original: PathBuf,
    tmp_thumb: PathBuf,
    original: PathBuf,
    thumb: PathBuf,
}

const THUMB: u32 = 320;

/// The most memory a decoded pixel takes: 16-bit RGBA (PNG's widest).
const BYTES_PER_PIXEL: u64 = 8;

/// What an upload's header says, read without decoding its pixels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    format: ImageFormat,
    width: u32,
    height: u32,
}

/// `40`, `12.5`: a number of pixels in megapixels, for messages.
pub(crate) fn megapixels(pixels: u64) -> String {
    ((pixels as f64 / 100_000.0).round() / 10.0).to_string()
}

/// The decoders' limits for pictures of at most `max_pixels` pixels.
fn limits(max_pixels: u64) -> Limits {
    let mut limits = Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(BYTES_PER_PIXEL));
    limits
}

fn is_stored_name(name: &str) -> bool {
    let Some((hash, ext)) = name.split_once('.') else {
        return false;
    };
    hash.len() == 32
        && hash
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && matches!(ext, "png" | "jpg" | "gif" | "webp")
}

impl PhotoStore {
    /// The store in `dir` (created when missing), accepting pictures of up to `max_pixels`.
    pub(crate) fn new(dir: impl Into<PathBuf>, max_pixels: u64) -> std::io::Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(dir.join("thumbs"))?;
        std::fs::create_dir_all(dir.join("spool"))?;
        Ok(Self { dir, max_pixels })
    }

    /// Where uploads too large to hold in memory are written as they arrive: in the store's
    /// folder, so that storing one moves it instead of copying it.
    pub(crate) fn spool_dir(&self) -> PathBuf {
        self.dir.join("spool")
    }

    /// The largest picture accepted, in pixels.
    pub(crate) fn max_pixels(&self) -> u64 {
        self.max_pixels
    }

    /// The original file of a stored name; `None` for anything that is not one (no
    /// traversal: a stored name is 32 hex digits and a known extension).
    pub(crate) fn original(&self, name: &str) -> Option<PathBuf> {
        is_stored_name(name).then(|| self.dir.join(name))
    }

    /// The thumbnail of a stored name.
    pub(crate) fn thumbnail(&self, name: &str) -> Option<PathBuf> {
        is_stored_name(name).then(|| self.dir.join("thumbs").join(format!("{name}.jpg")))
    }

    /// Reads an upload's format and dimensions from its header. Refuses what is not a PNG,
    /// JPEG, GIF or WebP image (415), a header that cannot be read (422), and a picture of more
    /// pixels than the store accepts (413, naming its size and the limit). No pixel is decoded:
    /// it takes microseconds whatever the picture's size.
    pub(crate) fn read_header(&self, file: &Upload) -> Result<Header, AppError> {
        let mut reader = ImageReader::new(file.reader()?).with_guessed_format()?;
        // Not a format the image crate knows, or not one of these four: the same 415.
        let format = reader.format().filter(|f| {
            matches!(
                f,
                ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::Gif | ImageFormat::WebP
            )
        });
        let Some(format) = format else {
            return Err(AppError::NotAnImage);
        };
        reader.limits(limits(self.max_pixels));
        let (width, height) = reader
            .into_dimensions()
            .map_err(|e| AppError::Unreadable(format!("The image cannot be read: {e}.")))?;
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(AppError::TooManyPixels {
                width,
                height,
                max_pixels: self.max_pixels,
            });
        }
        Ok(Header {
            format,
            width,
            height,
        })
    }

    /// Decodes an upload whose header was read (its pixels: CPU time and up to 8 bytes a pixel;
    /// run it on a blocking thread), makes its thumbnail, and puts both under temporary names:
    /// the upload's own file is moved there, read only in pieces for its hash.
    pub(crate) fn prepare(&self, file: Upload, header: Header) -> Result<Prepared, AppError> {
        let format = header.format;
        let mut limits = limits(self.max_pixels);
        // The decoder may not find a larger picture than its header announced.
        limits.max_image_width = Some(header.width);
        limits.max_image_height = Some(header.height);
        let mut reader = ImageReader::with_format(file.reader()?, format);
        reader.limits(limits);
        let img = reader.decode().map_err(|e| match e {
            image::ImageError::Limits(_) => AppError::Unreadable(format!(
                "The image is too large to decode: its {}×{} pixels need more memory than \
                 {} megapixels allow.",
                header.width,
                header.height,
                megapixels(self.max_pixels)
            )),
            e => AppError::Unreadable(format!("The image cannot be read: {e}.")),
        })?;
        // `png`, `jpg`, `gif`, `webp`: the first extension of each format.
        let ext = format.extensions_str()[0];
        let hash = content_hash(&file)?;
        let name = format!("{hash:032x}.{ext}");
        let thumb = img.thumbnail(THUMB, THUMB).to_rgb8();
        let mut thumb_bytes = Vec::new();
        thumb
            .write_to(&mut Cursor::new(&mut thumb_bytes), ImageFormat::Jpeg)
            .map_err(std::io::Error::other)?;
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let tmp_original = self.dir.join(format!("tmp-{tag}"));
        let tmp_thumb = self.dir.join("thumbs").join(format!("tmp-{tag}"));
        let filesize = i64::try_from(file.len()).unwrap_or(i64::MAX);
        file.persist_noclobber(&tmp_original)?;
        if let Err(e) = sync(&tmp_original).and_then(|()| write_synced(&tmp_thumb, &thumb_bytes)) {
            discard(&tmp_original);
            return Err(e.into());
        }
        Ok(Prepared {
            file: PhotoFile {
                filename: name.clone(),
                media_type: format.to_mime_type().to_owned(),
                filesize,
                width: i64::from(img.width()),
                height: i64::from(img.height()),
            },
            tmp_original,
            tmp_thumb,
            original: self.dir.join(&name),
            thumb: self.dir.join("thumbs").join(format!("{name}.jpg")),
        })
    }

    /// Removes the files of `name` (when no photo refers to it any more).
    pub(crate) fn remove(&self, name: &str) {
        if let (Some(o), Some(t)) = (self.original(name), self.thumbnail(name)) {
            discard(&o);
            discard(&t);
        }
    }

    /// Removes temporary and spooled files and files no photo refers to, when they were last
    /// modified more than `grace` ago: younger ones may be another instance's uploads in flight.
    /// Returns how many went; what cannot be read or removed is logged and left.
    pub(crate) fn sweep(&self, in_use: &HashSet<String>, grace: Duration) -> usize {
        let mut removed = 0;
        for dir in [self.dir.clone(), self.dir.join("thumbs"), self.spool_dir()] {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::warn!("cannot sweep {}: {e}", dir.display());
                    continue;
                }
            };
            for entry in entries {
                match sweep_one(entry, &dir, in_use, grace) {
                    Ok(true) => removed += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!("sweeping {}: {e}", dir.display()),
                }
            }
        }
        removed
    }
}

/// Removes one entry of `dir` when it is a leftover older than `grace`; whether it did.
fn sweep_one(
    entry: std::io::Result<std::fs::DirEntry>,
    dir: &Path,
    in_use: &HashSet<String>,
    grace: Duration,
) -> std::io::Result<bool> {
    let entry = entry?;
    let metadata = entry.metadata()?;
    if !metadata.is_file() {
        return Ok(false);
    }
    let file_name = entry.file_name().to_string_lossy().into_owned();
    // A thumbnail is named after its original: `<name>.jpg`.
    let name = match file_name.strip_suffix(".jpg") {
        Some(original) if dir.ends_with("thumbs") => original,
        _ => &file_name,
    };
    if !file_name.starts_with("tmp-") && in_use.contains(name) {
        return Ok(false);
    }
    // A time in the future (clocks differ between hosts) counts as young.
    let age = SystemTime::now()
        .duration_since(metadata.modified()?)
        .unwrap_or_default();
    if age < grace {
        return Ok(false);
    }
    std::fs::remove_file(entry.path())?;
    Ok(true)
}

/// The media type of a stored name (`….png` → `image/png`).
pub(crate) fn media_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map_or("", |(_, ext)| ext);
    ImageFormat::from_extension(ext).map_or("application/octet-stream", |f| f.to_mime_type())
}

/// Removes a file that is no longer wanted. One already gone is fine; any other failure is
/// logged and not passed on: what it leaves is an orphan, which a start-up sweep removes, and
/// the request it belongs to has succeeded or failed already.
fn discard(path: &Path) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("cannot remove {}: {e}", path.display());
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Makes a file moved into the folder durable before a row refers to it.
fn sync(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .sync_all()
}

/// The hash that names an upload's file, read in pieces: a spooled upload is never whole in
/// memory for it.
fn content_hash(file: &Upload) -> std::io::Result<u128> {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    let mut reader = file.reader()?;
    loop {
        let piece = reader.fill_buf()?;
        if piece.is_empty() {
            return Ok(hasher.digest128());
        }
        hasher.update(piece);
        let n = piece.len();
        reader.consume(n);
    }
}

/// Moves `tmp` to `dest`, or drops it when `dest` holds the same content already. Either
/// way `dest` is new to a sweep: an old file no row referred to until now is not removed by
/// another instance starting meanwhile.
fn place(tmp: &Path, dest: &Path) -> std::io::Result<()> {
    if dest.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .open(dest)?
            .set_modified(SystemTime::now())?;
        if tmp.exists() {
            std::fs::remove_file(tmp)?;
        }
        return Ok(());
    }
    std::fs::rename(tmp, dest)
}

impl Prepared {
    /// Moves the files into place (idempotent: a retried transaction calls it again).
    pub(crate) fn place(&self) -> std::io::Result<()> {
        place(&self.tmp_original, &self.original)?;
        place(&self.tmp_thumb, &self.thumb)
    }

    /// Drops the temporary files (the upload failed).
    pub(crate) fn abort(&self) {
        discard(&self.tmp_original);
        discard(&self.tmp_thumb);
    }
}

/// A small generated picture for the demo content: soft bands of colour, a sun, a horizon.
pub(crate) fn demo_png(seed: u32) -> image::ImageResult<Vec<u8>> {
    let (w, h) = (480u32, 320u32);
    let hue = (seed * 47 % 360) as f32;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let fy = y as f32 / h as f32;
        let fx = x as f32 / w as f32;
        let horizon = 0.62 + 0.05 * (fx * 6.0 + seed as f32).sin();
        let (sx, sy) = (0.25 + 0.5 * ((seed % 5) as f32 / 4.0), 0.3);
        let sun = ((fx - sx).powi(2) * 2.2 + (fy - sy).powi(2)).sqrt() < 0.08;
        let (hh, s, l) = if sun {
            ((hue + 40.0) % 360.0, 0.9, 0.75)
        } else if fy < horizon {
            (hue, 0.55, 0.55 + 0.3 * fy)
        } else {
            ((hue + 180.0) % 360.0, 0.35, 0.25 + 0.2 * (1.0 - fy))
        };
        let [r, g, b] = hsl(hh, s, l);
        image::Rgb([r, g, b])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)?;
    Ok(out)
}

fn hsl(h: f32, s: f32, l: f32) -> [u8; 3] {
    let c = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let hp = h / 60.0;
    let x = c * (1.0 - (hp % 2.0 - 1.0).abs());
    let (r, g, b) = match hp as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = l - c / 2.0;
    [r, g, b].map(|v| ((v + m).clamp(0.0, 1.0) * 255.0) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names_only() {
        assert!(is_stored_name("0123456789abcdef0123456789abcdef.png"));
        for bad in [
            "../etc/passwd",
            "0123456789abcdef0123456789abcdef.png/..",
            "0123456789ABCDEF0123456789abcdef.png",
            "x.png",
            "0123456789abcdef0123456789abcdef.exe",
            "",
        ] {
            assert!(!is_stored_name(bad), "{bad}");
        }
    }

    #[test]
    fn stored_names_keep_their_type() {
        for (format, media) in [
            (ImageFormat::Png, "image/png"),
            (ImageFormat::Jpeg, "image/jpeg"),
            (ImageFormat::Gif, "image/gif"),
            (ImageFormat::WebP, "image/webp"),
        ] {
            let name = format!("{:032x}.{}", 7, format.extensions_str()[0]);
            assert!(is_stored_name(&name), "{name}");
            assert_eq!(media_type(&name), media);
        }
    }
}
