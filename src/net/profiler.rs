//! LLVM's profiler runtime, read in process (source-line coverage).
//!
//! When the application's crates are built with `-C instrument-coverage`, rustc links the
//! profiler runtime. These are its C entry points; they live in this module because it is
//! drupe's one boundary with foreign code. Compiled only with `--cfg drupe_line_coverage`
//! (the wrapper in `scripts/line-coverage/` adds it next to `-C instrument-coverage`): without
//! the runtime linked, referring to them would fail the link.

use std::ffi::{CString, c_char, c_int};

unsafe extern "C" {
    /// `uint64_t __llvm_profile_get_size_for_buffer(void)`
    fn __llvm_profile_get_size_for_buffer() -> u64;
    /// `int __llvm_profile_write_buffer(char *Buffer)`
    fn __llvm_profile_write_buffer(buffer: *mut c_char) -> c_int;
    /// `void __llvm_profile_reset_counters(void)`
    fn __llvm_profile_reset_counters();
    /// `void __llvm_profile_set_filename(const char *Name)`
    fn __llvm_profile_set_filename(name: *const c_char);
}

/// The current counters as an in-memory `.profraw` (format version 10).
pub(crate) fn profile() -> Option<Vec<u8>> {
    // SAFETY: no arguments; the runtime computes its own size from its sections.
    let size = unsafe { __llvm_profile_get_size_for_buffer() };
    let mut buf = vec![0u8; usize::try_from(size).ok()?];
    // SAFETY: `buf` is writable for exactly the `size` bytes the runtime asked for just above;
    // counters may move meanwhile, but the layout (and so the size) is fixed at link time.
    let rc = unsafe { __llvm_profile_write_buffer(buf.as_mut_ptr().cast::<c_char>()) };
    (rc == 0).then_some(buf)
}

/// Zeroes every counter.
pub(crate) fn reset() {
    // SAFETY: no arguments; resets the runtime's own counter sections.
    unsafe { __llvm_profile_reset_counters() }
}

/// Where the runtime writes its file at exit (instead of `default_*.profraw` in the working
/// directory).
pub(crate) fn set_filename(path: &std::path::Path) {
    let Ok(c) = CString::new(path.to_string_lossy().as_bytes()) else {
        return;
    };
    // The runtime keeps the pointer: the string must live as long as the process.
    let c: &'static CString = Box::leak(Box::new(c));
    // SAFETY: `c` is a NUL-terminated string that is never freed (leaked above), as the
    // runtime requires of the name it keeps.
    unsafe { __llvm_profile_set_filename(c.as_ptr()) }
}
