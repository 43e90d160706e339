//! The fuzz targets' bodies: what each target does with one input, as a function of its bytes.
//! The libFuzzer binaries (`fuzz_targets/`, built by `scripts/fuzz.sh` with coverage
//! instrumentation) call them, and so does `tests/replay.rs`, which runs every input of each
//! target's corpus (`corpus/<target>/`: every input that ever reached new code) as part of the
//! workspace's tests, on the workspace's own build.
//!
//! A typed target reads its input from the bytes as libFuzzer's Rust glue (`libfuzzer-sys`)
//! does: too short for the type's smallest value is skipped, otherwise
//! [`arbitrary::Arbitrary::arbitrary_take_rest`].

pub mod accept;
pub mod cache_control;
pub mod cache_key;
mod common;
pub mod dispatch;
pub mod form;
pub mod multipart;
pub mod settings;
#[path = "../../examples/tour/tree.rs"]
#[allow(dead_code, unreachable_pub)]
mod tour;

/// A target's body: one input's bytes.
pub type Body = fn(&[u8]);

/// Every target: its name (its corpus folder) and its body.
pub const TARGETS: [(&str, Body); 7] = [
    ("accept", accept::run),
    ("dispatch", dispatch::run),
    ("form", form::run),
    ("multipart", multipart::run),
    ("settings", settings::run),
    ("cache_key", cache_key::run),
    ("cache_control", cache_control::run),
];

/// The input of a typed target, read from `data` as `libfuzzer-sys` reads it.
fn input<T: for<'a> arbitrary::Arbitrary<'a>>(data: &[u8]) -> Option<T> {
    if data.len() < T::size_hint(0).0 {
        return None;
    }
    T::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()
}
