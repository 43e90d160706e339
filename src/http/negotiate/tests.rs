//! The Accept grammar, selection by q and specificity, and the bare-type shortcut against the
//! general parse.

use super::*;

fn prod(list: &[&str]) -> Vec<MediaRange> {
    list.iter().map(|s| MediaRange::parse(s).unwrap()).collect()
}

fn pick(accept: &str, list: &[&str]) -> Option<String> {
    let p = prod(list);
    select(accept, &p).unwrap().map(|i| list[i].to_owned())
}

#[test]
fn no_or_empty_header_takes_the_first() {
    let l = ["application/json", "application/xml"];
    assert_eq!(pick("", &l).as_deref(), Some("application/json"));
    assert_eq!(pick(" , ,", &l).as_deref(), Some("application/json"));
}

#[test]
fn quality_wins() {
    let l = ["application/json", "application/xml"];
    assert_eq!(
        pick("application/json;q=0.5, application/xml", &l).as_deref(),
        Some("application/xml")
    );
}

#[test]
fn client_order_does_not_matter_only_q_then_server_order() {
    // CherryPy picks text/plain here (reverse lexicographic tie-break); drupe does not.
    let l = ["text/html", "text/plain"];
    assert_eq!(
        pick("text/plain, text/html", &l).as_deref(),
        Some("text/html")
    );
    let l = ["text/plain", "text/html"];
    assert_eq!(
        pick("text/html, text/plain", &l).as_deref(),
        Some("text/plain")
    );
}

#[test]
fn specificity_decides_the_q_of_a_type() {
    let l = ["text/html", "text/plain"];
    // text/html is excluded by its own range although text/* accepts it.
    assert_eq!(
        pick("text/*, text/html;q=0", &l).as_deref(),
        Some("text/plain")
    );
    // text/html;level=1 is more specific than text/html.
    let l = ["text/html;level=1", "text/html"];
    assert_eq!(
        pick("text/html;q=0.5, text/html;level=1", &l).as_deref(),
        Some("text/html;level=1")
    );
}

#[test]
fn equal_q_prefers_the_more_specific_match() {
    let l = ["text/html", "application/json"];
    assert_eq!(
        pick("text/*, application/json", &l).as_deref(),
        Some("application/json")
    );
}

#[test]
fn wildcards() {
    let l = ["application/atom+xml", "application/json"];
    assert_eq!(pick("*/*", &l).as_deref(), Some("application/atom+xml"));
    assert_eq!(
        pick("application/*", &l).as_deref(),
        Some("application/atom+xml")
    );
    assert_eq!(
        pick("application/atom+xml;q=0.1, */*", &l).as_deref(),
        Some("application/json")
    );
    assert_eq!(pick("image/*", &l), None);
}

#[test]
fn q_zero_excludes() {
    assert_eq!(pick("application/json;q=0", &["application/json"]), None);
    assert_eq!(pick("*/*;q=0", &["application/json"]), None);
}

#[test]
fn case_insensitive_types() {
    assert_eq!(
        pick("Application/JSON", &["application/json"]).as_deref(),
        Some("application/json")
    );
}

#[test]
fn malformed_headers_are_errors() {
    let p = prod(&["application/json"]);
    for bad in [
        "garbage",
        "text/html;q=abc",
        "text/html;q=1.5",
        "text/html;q=0.12345",
        "text/html;q=",
        "*/html",
        "text/",
        "/html",
        "text/html;=x",
        "te xt/html",
    ] {
        let err = select(bad, &p).unwrap_err();
        assert!(!err.element.is_empty(), "{bad}");
    }
}

#[test]
fn the_error_names_the_offending_element() {
    let p = prod(&["application/json"]);
    let err = select(r#"application/json, text/html;x="a,b";q=2, */*"#, &p).unwrap_err();
    assert_eq!(err.element, r#"text/html;x="a,b";q=2"#);
    assert_eq!(
        err.to_string(),
        r#"Malformed HTTP header: Accept: `text/html;x="a,b";q=2`"#
    );
}

#[test]
fn accept_extensions_after_q_are_ignored() {
    assert_eq!(
        pick("application/json;q=0.5;ext=1", &["application/json"]).as_deref(),
        Some("application/json")
    );
}

#[test]
fn q_grammar() {
    assert_eq!(parse_q("0"), Some(0));
    assert_eq!(parse_q("1"), Some(1000));
    assert_eq!(parse_q("1.000"), Some(1000));
    assert_eq!(parse_q("0.5"), Some(500));
    assert_eq!(parse_q("0.05"), Some(50));
    assert_eq!(parse_q("0.001"), Some(1));
    assert_eq!(parse_q("1.001"), None);
    assert_eq!(parse_q("-1"), None);
    assert_eq!(parse_q(".5"), None);
}

#[test]
fn browser_accept() {
    let l = [
        "application/json",
        "application/xml",
        "text/json",
        "text/x-json",
        "text/html",
    ];
    assert_eq!(
        pick(
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
            &l
        )
        .as_deref(),
        Some("text/html")
    );
    assert_eq!(pick("text/x-json", &l).as_deref(), Some("text/x-json"));
}

proptest::proptest! {
    #[test]
    fn any_header_is_decided_without_panic(header in "\\PC{0,80}") {
        let p = prod(&["application/json", "text/html", "application/atom+xml"]);
        let _ = select(&header, &p);
    }

    #[test]
    fn a_listed_type_with_positive_q_is_always_acceptable(
        q in 1u16..=1000,
        noise in proptest::collection::vec("(text|image|application)/(html|png|xml|json|\\*)", 0..5),
    ) {
        let p = prod(&["application/json", "text/html"]);
        let mut items = noise;
        items.push(format!("text/html;q={}", q as f64 / 1000.0));
        let header = items.join(", ");
        let got = select(&header, &p).unwrap();
        proptest::prop_assert!(got.is_some(), "{header}");
    }
}

#[test]
fn the_bare_type_shortcut_agrees_with_the_general_parse() {
    let sets: [&[&str]; 4] = [
        &[
            "application/json",
            "text/json",
            "text/x-json",
            "application/xml",
        ],
        &["text/html; charset=utf-8", "application/atom+xml"],
        &["application/xml", "application/json"],
        &["image/png"],
    ];
    let accepts = [
        "application/json",
        " Application/JSON\t",
        "text/json",
        "text/*",
        "*/*",
        "application/*",
        "image/webp",
        "TEXT/HTML",
        "application/atom+xml",
        "*/json",
        "text/",
        "a/b/c",
    ];
    for set in sets {
        let produces: Vec<MediaRange> = set.iter().map(|s| MediaRange::parse(s).unwrap()).collect();
        for a in accepts {
            assert_eq!(
                select(a, &produces),
                select_general(a, &produces),
                "{a:?} against {set:?}"
            );
        }
    }
}
