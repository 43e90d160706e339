//! Uploaded files: where their content lives, how a handler reads it, and how it keeps it.
//!
//! This module owns [`Upload`] and [`UploadReader`]. An upload's content is either in memory
//! (a small part) or in a temporary file the spool wrote it to (see `super::spool`); the
//! temporary file is shared by the upload's clones and deleted when the last one drops. A
//! handler reads the content through a fresh [`UploadReader`] whichever it is, and keeps it by
//! [`Upload::persist`]ing it: a rename or a hard link of the temporary file, a copy only across
//! filesystems, never the whole file through memory.

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tempfile::TempPath;

use crate::dispatch::param::{FromParam, ParamError, ParamInput, ParamSchema, Value};

/// Opens a spooled file for reading. On Windows a file cannot be deleted while a handle
/// without `FILE_SHARE_DELETE` is open on it: readers share deletion, so the temporary file
/// still goes when the last clone of its upload drops while a reader is open (the name goes
/// at once, the bytes when the reader closes, as on Unix).
fn open_shared(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        use windows_sys::Win32::Storage::FileSystem::{
            FILE_SHARE_DELETE, FILE_SHARE_READ, FILE_SHARE_WRITE,
        };
        options.share_mode(FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE);
    }
    options.open(path)
}

/// The prefix of the temporary files drupe makes for uploads.
pub(super) const TEMP_PREFIX: &str = ".upload-";

/// A file from a `multipart/form-data` body.
///
/// As a handler parameter it takes the file field of the same name. A file up to
/// `request.body.spool_above` bytes (256 KiB by default) is held in memory; a larger one is
/// written to a temporary file as it arrives, in `request.body.spool_dir` (the system's
/// temporary folder by default), and deleted when the last clone of the `Upload` drops —
/// after the response, unless the handler [`persist`](Upload::persist)s it.
///
/// ```
/// use std::io::Read;
/// use drupe::{controller, HttpError, Upload};
/// struct Photos;
/// #[controller]
/// impl Photos {
///     #[expose]
///     fn upload(&self, file: Upload, legend: Option<String>) -> Result<String, HttpError> {
///         // A spooled file is read from disk: fine in a short handler, or use a blocking
///         // thread (`actix_web::web::block`) for a large one.
///         let mut head = [0u8; 4];
///         let n = file.reader().and_then(|mut r| r.read(&mut head)).map_err(HttpError::internal)?;
///         Ok(format!("{} bytes starting {:?}, {:?}", file.len(), &head[..n], legend))
///     }
/// }
/// ```
#[derive(Clone)]
pub struct Upload {
    filename: Option<String>,
    content_type: Option<mime::Mime>,
    content: Content,
}

/// Where an upload's content is.
#[derive(Clone)]
pub(super) enum Content {
    Memory(Bytes),
    /// A temporary file, deleted when the last clone drops.
    Spooled(Arc<Spooled>),
}

/// A temporary file holding an upload's content.
pub(super) struct Spooled {
    path: TempPath,
    len: u64,
}

impl Spooled {
    /// The file at `path` (deleted when this drops), of `len` bytes.
    pub(super) fn new(path: TempPath, len: u64) -> Self {
        Self { path, len }
    }
}

impl Upload {
    /// A file as a multipart form would carry it, in memory (for tests and code that makes
    /// uploads).
    ///
    /// ```
    /// let u = drupe::Upload::new(Some("a.png".into()), Some(mime::IMAGE_PNG), "x".into());
    /// assert_eq!(u.filename(), Some("a.png"));
    /// assert_eq!(u.read_all().unwrap().as_ref(), b"x");
    /// assert_eq!(u.path(), None);
    /// ```
    pub fn new(filename: Option<String>, content_type: Option<mime::Mime>, bytes: Bytes) -> Self {
        Self::with_content(filename, content_type, Content::Memory(bytes))
    }

    pub(super) fn with_content(
        filename: Option<String>,
        content_type: Option<mime::Mime>,
        content: Content,
    ) -> Self {
        Self {
            filename,
            content_type,
            content,
        }
    }

    /// The file name the client gave (never use it as a path).
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }

    /// The content type the client claimed (check the bytes, not this).
    pub fn content_type(&self) -> Option<&mime::Mime> {
        self.content_type.as_ref()
    }

    /// The content's length in bytes.
    ///
    /// ```
    /// let u = drupe::Upload::new(None, None, "abc".into());
    /// assert_eq!((u.len(), u.is_empty()), (3, false));
    /// ```
    pub fn len(&self) -> u64 {
        match &self.content {
            Content::Memory(b) => b.len() as u64,
            Content::Spooled(s) => s.len,
        }
    }

    /// Whether the file is empty (a form's file field left blank sends an empty one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The temporary file holding the content, when it was spooled to disk; `None` when it is
    /// in memory. The file is deleted when the last clone of this upload drops: to keep it,
    /// [`persist`](Upload::persist) it.
    pub fn path(&self) -> Option<&Path> {
        match &self.content {
            Content::Memory(_) => None,
            Content::Spooled(s) => Some(&s.path),
        }
    }

    /// A reader of the content from its start, opened afresh at each call: it reads, seeks
    /// and buffers (`Read + BufRead + Seek`, as image decoders want). For a spooled file this
    /// opens it, and reading it is blocking file I/O.
    ///
    /// ```
    /// use std::io::{Read, Seek, SeekFrom};
    /// let u = drupe::Upload::new(None, None, "hello".into());
    /// let mut r = u.reader()?;
    /// r.seek(SeekFrom::Start(1))?;
    /// let mut s = String::new();
    /// r.read_to_string(&mut s)?;
    /// assert_eq!(s, "ello");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn reader(&self) -> io::Result<UploadReader> {
        Ok(UploadReader(match &self.content {
            Content::Memory(b) => Source::Memory(Cursor::new(b.clone())),
            Content::Spooled(s) => Source::File(BufReader::new(open_shared(&s.path)?)),
        }))
    }

    /// The whole content in memory. In memory already, it is shared, not copied; spooled, the
    /// file is read whole — as many bytes as `request.body.max_size` allows, with blocking
    /// I/O: prefer [`reader`](Upload::reader) or [`persist`](Upload::persist) for large files.
    ///
    /// ```
    /// let u = drupe::Upload::new(None, None, "abc".into());
    /// assert_eq!(u.read_all()?.as_ref(), b"abc");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_all(&self) -> io::Result<Bytes> {
        match &self.content {
            Content::Memory(b) => Ok(b.clone()),
            Content::Spooled(s) => std::fs::read(&s.path).map(Bytes::from),
        }
    }

    /// Moves the content to `dest`, replacing any file there, without copying it: a spooled
    /// file is renamed, or hard-linked when clones of the upload still use it (as the
    /// dispatcher's does during the handler), and copied only when `dest` is on another
    /// filesystem; content in memory is written to a temporary file beside `dest`, then
    /// renamed. Either way `dest` appears whole or not at all. Blocking file I/O; the file
    /// is readable and writable by its owner only (on Unix), as temporary files are.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let dest = dir.path().join("kept.txt");
    /// drupe::Upload::new(None, None, "abc".into()).persist(&dest)?;
    /// assert_eq!(std::fs::read(&dest)?, b"abc");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn persist(self, dest: impl AsRef<Path>) -> io::Result<()> {
        self.place(dest.as_ref(), true)
    }

    /// Like [`persist`](Upload::persist), but fails with [`io::ErrorKind::AlreadyExists`]
    /// when `dest` exists, leaving it as it was.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let dest = dir.path().join("kept.txt");
    /// std::fs::write(&dest, "older")?;
    /// let e = drupe::Upload::new(None, None, "abc".into()).persist_noclobber(&dest).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
    /// assert_eq!(std::fs::read(&dest)?, b"older");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn persist_noclobber(self, dest: impl AsRef<Path>) -> io::Result<()> {
        self.place(dest.as_ref(), false)
    }

    fn place(self, dest: &Path, clobber: bool) -> io::Result<()> {
        match self.content {
            Content::Memory(bytes) => write_new(dest, clobber, |f| f.write_all(&bytes)),
            Content::Spooled(spooled) => match Arc::try_unwrap(spooled) {
                Ok(only) => rename(only.path, dest, clobber),
                Err(shared) => link(&shared.path, dest, clobber),
            },
        }
    }
}

/// Renames the temporary file to `dest`; across filesystems, copies it (the temporary file
/// is then deleted).
fn rename(path: TempPath, dest: &Path, clobber: bool) -> io::Result<()> {
    let renamed = if clobber {
        path.persist(dest)
    } else {
        path.persist_noclobber(dest)
    };
    match renamed {
        Ok(()) => Ok(()),
        Err(e) if e.error.kind() == io::ErrorKind::CrossesDevices => copy(&e.path, dest, clobber),
        Err(e) => Err(e.error),
    }
}

/// Gives the file at `src`, which others still use, the name `dest` too: a hard link (made
/// under a temporary name and renamed over `dest` when it may be replaced). Where a link
/// cannot be made (another filesystem, or one without links), a copy.
fn link(src: &Path, dest: &Path, clobber: bool) -> io::Result<()> {
    let linked = if clobber {
        tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .make_in(parent(dest), |p| std::fs::hard_link(src, p))
            .and_then(|tmp| tmp.persist(dest).map_err(|e| e.error))
    } else {
        std::fs::hard_link(src, dest)
    };
    match linked {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => copy(src, dest, clobber),
        done => done,
    }
}

fn copy(src: &Path, dest: &Path, clobber: bool) -> io::Result<()> {
    write_new(dest, clobber, |f| {
        io::copy(&mut open_shared(src)?, f)?;
        Ok(())
    })
}

/// Writes a temporary file beside `dest` with `fill`, then renames it to `dest`.
fn write_new(
    dest: &Path,
    clobber: bool,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(parent(dest))?;
    fill(tmp.as_file_mut())?;
    let placed = if clobber {
        tmp.persist(dest)
    } else {
        tmp.persist_noclobber(dest)
    };
    placed.map(drop).map_err(|e| e.error)
}

/// The folder `dest` is in (`.` for a bare name).
fn parent(dest: &Path) -> &Path {
    match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.len())
            .field("path", &self.path())
            .finish()
    }
}

impl FromParam for Upload {
    const TYPE_NAME: &'static str = "file";
    fn schema() -> ParamSchema {
        ParamSchema::Binary
    }
    fn from_param(input: &ParamInput<'_>) -> Result<Self, ParamError> {
        match input.single()? {
            Value::File(f) => Ok(f.clone()),
            Value::Text(_) => Err(ParamError::Invalid),
        }
    }
}

/// The content of an [`Upload`] from its start: `Read`, `BufRead` and `Seek`, over memory or
/// over the spooled file (buffered).
///
/// ```
/// use std::io::BufRead;
/// let u = drupe::Upload::new(None, None, "a\nb\n".into());
/// let lines: Vec<String> = u.reader()?.lines().collect::<Result<_, _>>()?;
/// assert_eq!(lines, ["a", "b"]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct UploadReader(Source);

#[derive(Debug)]
enum Source {
    Memory(Cursor<Bytes>),
    File(BufReader<File>),
}

impl Read for UploadReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.0 {
            Source::Memory(c) => c.read(buf),
            Source::File(f) => f.read(buf),
        }
    }
}

impl BufRead for UploadReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match &mut self.0 {
            Source::Memory(c) => c.fill_buf(),
            Source::File(f) => f.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match &mut self.0 {
            Source::Memory(c) => c.consume(amount),
            Source::File(f) => f.consume(amount),
        }
    }
}

impl Seek for UploadReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match &mut self.0 {
            Source::Memory(c) => c.seek(pos),
            Source::File(f) => f.seek(pos),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An upload spooled to a file of `dir` holding `content`.
    fn spooled(dir: &Path, content: &[u8]) -> Upload {
        let mut f = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(dir)
            .unwrap();
        f.write_all(content).unwrap();
        let spooled = Spooled::new(f.into_temp_path(), content.len() as u64);
        Upload::with_content(None, None, Content::Spooled(Arc::new(spooled)))
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_spooled_file_is_read_and_goes_with_its_last_clone() {
        let dir = tempfile::tempdir().unwrap();
        let u = spooled(dir.path(), b"0123456789");
        let path = u.path().unwrap().to_owned();
        assert!(path.starts_with(dir.path()) && path.exists());
        assert_eq!((u.len(), u.is_empty()), (10, false));
        let mut r = u.reader().unwrap();
        r.seek(SeekFrom::Start(7)).unwrap();
        let mut tail = String::new();
        r.read_to_string(&mut tail).unwrap();
        assert_eq!(tail, "789");
        // Closed before the last clone drops: Windows (and Wine, which cannot show the
        // FILE_SHARE_DELETE case) keeps a file's name while a handle is open on it.
        drop(r);
        assert_eq!(u.read_all().unwrap().as_ref(), b"0123456789");
        let clone = u.clone();
        drop(u);
        assert!(path.exists(), "a clone still holds it");
        assert!(format!("{clone:?}").contains("len: 10"));
        drop(clone);
        assert!(!path.exists(), "the last clone took it");
    }

    #[cfg(unix)]
    fn inode(p: &Path) -> u64 {
        std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap())
    }

    #[cfg(unix)]
    #[test]
    fn persisting_the_only_clone_renames_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let u = spooled(dir.path(), b"abc");
        let ino = inode(u.path().unwrap());
        let dest = dir.path().join("kept");
        u.persist(&dest).unwrap();
        assert_eq!(inode(&dest), ino, "the same file, not a copy");
        assert_eq!(names(dir.path()), ["kept"]);
    }

    #[cfg(unix)]
    #[test]
    fn persisting_a_shared_upload_links_the_file_and_the_last_clone_drops_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let u = spooled(dir.path(), b"abc");
        let (ino, tmp) = (inode(u.path().unwrap()), u.path().unwrap().to_owned());
        let other = u.clone();
        let dest = dir.path().join("kept");
        std::fs::write(&dest, "older").unwrap();
        u.clone().persist_noclobber(&dest).unwrap_err();
        assert_eq!(std::fs::read(&dest).unwrap(), b"older");
        u.persist(&dest).unwrap();
        assert_eq!(inode(&dest), ino, "the same file, not a copy");
        assert_eq!(other.read_all().unwrap().as_ref(), b"abc");
        drop(other);
        assert!(!tmp.exists());
        assert_eq!(names(dir.path()), ["kept"]);
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
    }

    #[test]
    fn content_in_memory_is_written_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("kept");
        let u = Upload::new(None, None, Bytes::from_static(b"abc"));
        u.clone().persist_noclobber(&dest).unwrap();
        let e = u.clone().persist_noclobber(&dest).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        Upload::new(None, None, Bytes::from_static(b"new"))
            .persist(&dest)
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"new");
        assert_eq!(names(dir.path()), ["kept"], "no temporary file left");
        let missing = dir.path().join("no/such/folder/kept");
        assert!(u.persist(missing).is_err());
    }

    #[test]
    fn a_copy_replaces_a_link_that_cannot_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::write(&src, "abc").unwrap();
        let dest = dir.path().join("dest");
        copy(&src, &dest, false).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"abc");
        assert!(copy(&src, &dest, false).is_err());
        assert_eq!(parent(Path::new("bare")), Path::new("."));
    }
}
