//! The per-path settings lookup: any configured paths and any request path. A request gets
//! the settings of the deepest configured section whose segments equal its own under the
//! dispatcher's translation (punctuation reads as `_`), checked against a plain reading of
//! that rule (`drupe::fuzzing::settings_lookup`).

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(input) = crate::input::<(Vec<String>, String)>(data) else {
        return;
    };
    let (configured, request) = input;
    if configured.len() > 16 {
        return;
    }
    drupe::fuzzing::settings_lookup(&configured, &format!("/{request}"));
}
