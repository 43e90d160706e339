//! Settings of the sessions tool that cannot work are refused when the application is built,
//! with the key and what it expects.

use drupe::sessions::Sessions;
use drupe::{App, Config};

use super::{Off, Root, builder};

/// The build error of the tree with `tools.sessions.<key> = value` at `/`.
fn error_with(key: &str, value: impl Into<toml::Value>) -> String {
    builder(Sessions::memory())
        .set("/", &format!("tools.sessions.{key}"), value)
        .build()
        .err()
        .unwrap_or_else(|| panic!("tools.sessions.{key} was accepted"))
        .to_string()
}

#[test]
fn per_path_settings_that_cannot_work_are_refused() {
    let samesite = error_with("samesite", "none");
    assert!(
        samesite.contains("tools.sessions.samesite") && samesite.contains("secure = true"),
        "{samesite}"
    );
    assert!(error_with("samesite", "sometimes").contains("unknown variant"));
    assert!(error_with("name", "my session").contains("not a cookie name"));
    assert!(error_with("name", "").contains("not a cookie name"));
    assert!(error_with("path", "shop").contains("not a cookie path"));
    assert!(error_with("path", "/a;b").contains("not a cookie path"));
    assert!(error_with("domain", "exa mple.com").contains("not a domain name"));
    assert!(error_with("idle_timeout", 0).contains("from 1 to"));
    assert!(error_with("absolute_timeout", 400_000_000).contains("from 1 to"));
    assert!(error_with("lifetime", 5).contains("unknown field `lifetime`"));
    // With secure = true, samesite = "none" is fine.
    builder(Sessions::memory())
        .set("/", "tools.sessions.samesite", "none")
        .set("/", "tools.sessions.secure", true)
        .build()
        .unwrap();
}

/// The build error of the tree on the settings' own tool with `[global]` `toml`.
fn global_error(toml: &str) -> Option<String> {
    App::builder(Root { off: Off })
        .config(Config::from_toml(toml).unwrap())
        .build()
        .err()
        .map(|e| e.to_string())
}

#[test]
fn global_settings_choose_and_bound_the_store() {
    assert_eq!(
        global_error("[global]\nsessions.storage = \"memory\"\nsessions.max_sessions = 10\n"),
        None
    );
    let bad = global_error("[global]\nsessions.storage = \"disk\"\n").unwrap();
    assert!(
        bad.contains("sessions.storage") && bad.contains("unknown variant"),
        "{bad}"
    );
    let no_url = global_error("[global]\nsessions.storage = \"redis\"\n").unwrap();
    assert!(no_url.contains("sessions.redis_url"), "{no_url}");
    let url_alone =
        global_error("[global]\nsessions.redis_url = \"redis://127.0.0.1/\"\n").unwrap();
    assert!(
        url_alone.contains("only with sessions.storage = \"redis\""),
        "{url_alone}"
    );
    let zero = global_error("[global]\nsessions.max_sessions = 0\n").unwrap();
    assert!(zero.contains("at least 1"), "{zero}");
    #[cfg(feature = "redis")]
    {
        let bad_url = global_error(
            "[global]\nsessions.storage = \"redis\"\nsessions.redis_url = \"http://x/\"\n",
        )
        .unwrap();
        assert!(bad_url.contains("sessions.redis_url"), "{bad_url}");
        assert_eq!(
            global_error(
                "[global]\nsessions.storage = \"redis\"\nsessions.redis_url = \"redis://127.0.0.1:1/\"\n\
                 sessions.redis_prefix = \"app:\"\n"
            ),
            None
        );
    }
    // An application with its own tool may not set what would not change it.
    let own = builder(Sessions::memory())
        .set_global("sessions.max_sessions", 10)
        .build()
        .err()
        .unwrap()
        .to_string();
    assert!(own.contains("registers its own sessions tool"), "{own}");
}
