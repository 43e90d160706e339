//! The photoblog (the `photoblog` crate, a dev-dependency) as the fixture of the framework's
//! tests: its own fixtures (`photoblog::testing`), shared with its tests in
//! `examples/photoblog/tests/`.

pub(crate) use photoblog::testing::*;
