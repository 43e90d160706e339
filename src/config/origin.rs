//! Where each key of a TOML configuration was written, so that an error can say
//! `app.toml line 12`.
//!
//! The document is read a second time with toml's spanned parser (`toml::de::DeTable`), and
//! every key — leaves and the tables on the way to them — is recorded with the line its name
//! starts on, under its section (`global` or the normalized path) and its dotted key.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

/// A key: its section (`global` or a path) and its dotted name.
type Key = (String, String);

/// Where a key was written: the file (none for text given directly) and the line.
type Place = (Option<Arc<str>>, usize);

/// Lines of keys, by section and dotted key.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Origins(BTreeMap<Key, Place>);

impl Origins {
    /// The keys of `text`, whose sections are normalized with `normalize`.
    pub(super) fn read(text: &str, file: Option<Arc<str>>, normalize: fn(&str) -> String) -> Self {
        let mut out = Self::default();
        let Ok(doc) = DeTable::parse(text) else {
            return out;
        };
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        for (section, value) in doc.get_ref() {
            let name = section.get_ref();
            let section = if name == "global" {
                "global".to_owned()
            } else {
                normalize(name)
            };
            if let DeValue::Table(t) = value.get_ref() {
                walk(t, "", &mut |key, offset| {
                    out.0
                        .entry((section.clone(), key))
                        .or_insert((file.clone(), line_of(offset)));
                });
            }
        }
        out
    }

    /// Adds `other`'s keys, which win (a later configuration overrides an earlier one).
    pub(super) fn extend(&mut self, other: Origins) {
        self.0.extend(other.0);
    }

    /// Where `key` of `section` was written: the key itself, else the nearest enclosing key
    /// (an unknown field is reported inside the table that holds it).
    pub(super) fn find(&self, section: &str, key: &str) -> Option<String> {
        let mut k = key;
        loop {
            if let Some((file, line)) = self.0.get(&(section.to_owned(), k.to_owned())) {
                return Some(match file {
                    Some(f) => format!("{f} line {line}"),
                    None => format!("line {line}"),
                });
            }
            k = &k[..k.rfind('.')?];
        }
    }
}

/// Calls `found(dotted key, offset)` for every key of `table` and the tables below it.
fn walk(table: &DeTable<'_>, prefix: &str, found: &mut dyn FnMut(String, usize)) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.get_ref().to_string()
        } else {
            format!("{prefix}.{}", k.get_ref())
        };
        found(key.clone(), k.span().start);
        if let DeValue::Table(t) = v.get_ref() {
            walk(t, &key, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_with_their_lines() {
        let text = "[global]\nserver.workers = 4\n\n[\"/blog/\"]\ntools.caching.delay = 60\n[\"/blog/\".request]\nmax_fields = 3\n";
        let o = Origins::read(text, Some("app.toml".into()), |p| {
            p.trim_end_matches('/').to_owned()
        });
        assert_eq!(
            o.find("global", "server.workers").as_deref(),
            Some("app.toml line 2")
        );
        assert_eq!(
            o.find("/blog", "tools.caching.delay").as_deref(),
            Some("app.toml line 5")
        );
        // An unknown key inside a known table: the table's line.
        assert_eq!(
            o.find("/blog", "tools.caching.nope").as_deref(),
            Some("app.toml line 5")
        );
        assert_eq!(
            o.find("/blog", "request.max_fields").as_deref(),
            Some("app.toml line 7")
        );
        assert_eq!(o.find("/other", "request"), None);
    }
}
