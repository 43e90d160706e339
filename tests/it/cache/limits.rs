//! What a configuration or a response can ask of the cache beyond what it holds: settings out
//! of range are errors that name the key, lifetimes past what a clock holds are clamped.

use std::sync::Arc;

use drupe::App;
use drupe::cache::Caching;
use drupe::testing::TestClient;

use super::{Calls, Root, app};

/// The error building an app with `tools.caching.<key> = value` under `/`.
pub(super) fn config_error(key: &str, value: impl Into<toml::Value>) -> String {
    let built = App::builder(Root {
        calls: Arc::new(Calls::default()),
    })
    .tool(Caching::memory(10, 1 << 20))
    .set("/", "tools.caching.on", true)
    .set("/", &format!("tools.caching.{key}"), value)
    .build();
    match built {
        Ok(_) => panic!("tools.caching.{key} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn timeouts_must_be_finite_seconds() {
    for v in [f64::NAN, -1.0, f64::INFINITY, 1e9] {
        let e = config_error("stampede_timeout", v);
        assert!(
            e.contains("stampede_timeout") && e.contains("expected seconds from 0 to 3600"),
            "{v}: {e}"
        );
    }
    let e = config_error("stampede_timeout", "5");
    assert!(e.contains("stampede_timeout"), "{e}");
}

#[test]
fn the_default_freshness_must_fit_a_clock() {
    for v in [i64::MAX, 1 << 40, -1] {
        let e = config_error("delay", v);
        assert!(
            e.contains("delay") && e.contains("expected whole seconds from 0 to 2147483648"),
            "{v}: {e}"
        );
    }
}

#[actix_web::test]
async fn lifetimes_past_what_a_clock_holds_are_clamped() {
    let calls = Arc::new(Calls::default());
    let c = TestClient::new(app(calls.clone(), Caching::memory(100, 1 << 20))).await;
    for (header, value) in [
        ("cache-control", "max-age%3D18446744073709551615"),
        ("cache-control", "s-maxage%3D99999999999999999999999999"),
        ("expires", "Fri,%2031%20Dec%209999%2023:59:59%20GMT"),
    ] {
        let path = format!("/with?header={header}&value={value}");
        let before = calls.get();
        c.get(&path)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "MISS");
        c.get(&path)
            .send()
            .await
            .assert_status(200)
            .assert_header("x-cache", "HIT");
        assert_eq!(calls.get(), before + 1, "{value}");
    }
}

#[test]
fn every_setting_error_names_its_key_and_what_it_expects() {
    let cases: [(&str, toml::Value, &str); 7] = [
        ("max_entry_bytes", "x".into(), "a number of bytes"),
        ("max_entry_bytes", (-1).into(), "a number of bytes"),
        (
            "cacheable",
            vec!["x"].into(),
            "a list of status codes (100 to 599)",
        ),
        (
            "cacheable",
            vec![42].into(),
            "a list of status codes (100 to 599)",
        ),
        ("invalidating", vec![1].into(), "a list of method names"),
        ("debug_header", "yes".into(), "true or false"),
        (
            "invalidate_timeout",
            f64::NAN.into(),
            "seconds from 0 to 3600",
        ),
    ];
    for (key, value, expected) in cases {
        let shown = value.to_string();
        let e = config_error(key, value);
        assert!(
            e.contains(&format!("{key}: expected {expected}, got {shown}")),
            "{e}"
        );
    }
    let e = config_error("stampede_timeot", 1);
    assert!(
        e.contains("unknown setting `stampede_timeot`") && e.contains("stampede_timeout"),
        "{e}"
    );
}
