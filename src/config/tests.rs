//! Reading configurations: sections, the merge, typed sections and where errors point.

use toml::Value;

use super::*;

#[test]
fn deeper_paths_override_key_by_key() {
    let c = Config::from_toml(
        r#"
        ["/"]
        tools.x.a = 1
        tools.x.b = 2
        ["/blog/"]
        tools.x.b = 3
        "#,
    )
    .unwrap();
    assert_eq!(c.get("/blog/post", "tools.x.a"), Some(&Value::Integer(1)));
    assert_eq!(c.get("/blog/post", "tools.x.b"), Some(&Value::Integer(3)));
    assert_eq!(c.get("/blogger", "tools.x.b"), Some(&Value::Integer(2)));
    // Names compare as the dispatcher reads them.
    assert_eq!(c.get("/blog.x", "tools.x.b"), Some(&Value::Integer(2)));
    let spelled = Config::from_toml(
        r#"
        ["/a.b"]
        k = 1
        ["/a-b/c"]
        k = 2
        "#,
    )
    .unwrap();
    // The deeper section wins, whichever sorts last.
    assert_eq!(spelled.get("/a_b/c/d", "k"), Some(&Value::Integer(2)));
    assert_eq!(
        get_dotted(&spelled.merged("/a_b/c"), "k"),
        Some(&Value::Integer(2))
    );
    assert_eq!(spelled.get("/a~b", "k"), Some(&Value::Integer(1)));
    let m = c.merged("/blog/post");
    assert_eq!(get_dotted(&m, "tools.x.b"), Some(&Value::Integer(3)));
}

#[test]
fn sections_must_be_paths_or_global() {
    assert!(matches!(
        Config::from_toml("[blog]\na = 1"),
        Err(ConfigError::Section(_))
    ));
    assert!(matches!(
        Config::from_toml("a = "),
        Err(ConfigError::Toml(_))
    ));
}

#[test]
fn builder_sets_dotted_keys() {
    let mut c = Config::new();
    c.set("/feed", "tools.caching.delay", 60);
    assert_eq!(
        c.get("/feed/", "tools.caching.delay"),
        Some(&Value::Integer(60))
    );
}

#[test]
fn a_node_on_the_way_to_a_deeper_section_inherits_the_sections_above_it() {
    // `/a.x/c/d` sorts before `/a_x`: the trie's `c` is made on the way to `d`, and must
    // still inherit what `/a_x` (the same name) sets.
    crate::fuzzing::settings_lookup(&["/a.x/c/d".into(), "/a_x".into()], "/a-x/c");
    crate::fuzzing::settings_lookup(&["/a.x/c/d".into(), "/a_x".into()], "/a-x/c/d/e");
}

proptest::proptest! {
    /// The trie agrees with the plain rule (the deepest covering section, names compared
    /// through the translation) on paths made of few letters and punctuation, where
    /// spellings collide often.
    #[test]
    fn the_settings_trie_follows_the_dispatchers_names(
        configured in proptest::collection::vec("(/[ab._~-]{0,3}){0,3}/?", 0..6),
        request in "(/[ab._~-]{0,3}){0,4}",
    ) {
        crate::fuzzing::settings_lookup(&configured, &format!("/{request}"));
    }
}

#[test]
fn typed_sections_name_the_key_and_the_line() {
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct S {
        workers: Option<usize>,
    }
    let c = Config::from_toml("[global]\nserver.workers = 2\nserver.wokers = 3\n").unwrap();
    let e = c.global_section::<S>("server").unwrap_err();
    let ConfigError::Setting { key, at, .. } = &e else {
        panic!("{e}")
    };
    assert_eq!(key, "server.wokers", "{e}");
    assert_eq!(at.as_deref(), Some("line 3"), "{e}");
    let c = Config::from_toml("[global]\nserver.workers = \"x\"\n").unwrap();
    let e = c.global_section::<S>("server").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("[\"global\"] server.workers: invalid type: string \"x\""),
        "{e}"
    );
    assert!(e.to_string().ends_with("(line 2)"), "{e}");
    // Set by the builder: no line.
    let mut c = Config::new();
    c.set_global("server.wokers", 1);
    let e = c.global_section::<S>("server").unwrap_err();
    assert_eq!(
        e.to_string(),
        "[\"global\"] server.wokers: unknown field `wokers`, expected `workers`"
    );
}
