//! Pages in a real browser: Debian's chromium, headless, driven by playwright-core
//! (`tests/browser/`, installed by `npm ci --prefix tests/browser`, which `.ci/run` does).
//! Screenshots land in `target/screenshots/`.

use std::process::Command;

use drupe::testing::TestServer;

/// Runs a browser script with `args`; returns the JSON it printed.
pub(crate) fn run_script(script: &str, args: &[&str]) -> serde_json::Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = format!("{root}/tests/browser");
    assert!(
        std::path::Path::new(&format!("{dir}/node_modules/playwright-core")).exists(),
        "playwright-core is missing: run `npm ci --prefix tests/browser` (bash .ci/run does)"
    );
    assert!(
        std::path::Path::new("/usr/bin/chromium").exists()
            || std::env::var_os("CHROMIUM").is_some(),
        "chromium is missing: `apt-get install chromium` (bash .ci/run does)"
    );
    let out = Command::new("node")
        .arg(format!("{dir}/{script}"))
        .args(args)
        .env("DRUPE_SCREENSHOTS", format!("{root}/target/screenshots"))
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{script} printed {stdout:?}: {e}"))
}

#[actix_web::test]
async fn the_coverage_report_in_a_real_browser() {
    let _heavy = crate::heavy().await;
    let s = TestServer::start(crate::tour::app()).await;
    let c = s.client();
    for _ in 0..3 {
        c.get("/users/1").send().await.assert_status(200);
    }
    c.get("/users/99").send().await.assert_status(404);
    c.get("/users/abc").send().await.assert_status(404);
    c.get("/feed").send().await.assert_status(200);
    let base = s.url("");
    let r = tokio::task::spawn_blocking(move || run_script("coverage.mjs", &[&base]))
        .await
        .unwrap();
    assert_eq!(r["errors"], serde_json::json!([]), "{r}");
    assert_eq!(r["title"], "API coverage");
    // Some declared pairs were exercised, and the total says how many in percent.
    let total = r["total"].as_str().unwrap();
    assert!(total.ends_with('%') && total != "0%", "{r}");
    assert!(r["handlers"].as_u64().unwrap() >= 10, "{r}");
    assert!(
        r["heading"].as_str().unwrap().contains("/users/{id}"),
        "{r}"
    );
    assert_eq!(r["ok"], 3, "{r}");
    assert_eq!(r["notFound"], 2, "{r}");
    assert_eq!(r["getCount"], 5, "{r}");
    assert!(r["cache"].as_str().unwrap().contains("hit 2"), "{r}");
    assert_eq!(r["blogHidden"], true, "{r}");
    s.stop().await;
}

#[actix_web::test]
async fn the_photoblog_in_a_real_browser() {
    let _heavy = crate::heavy().await;
    use crate::blog::{png, sqlite_blog};
    let (app, dir) = sqlite_blog("browser").await;
    let picture = dir.join("aurora.png");
    std::fs::write(&picture, png(640, 480, 200)).unwrap();
    let s = TestServer::start(app).await;
    let base = s.url("");
    let pic = picture.to_string_lossy().into_owned();
    // The blog's owner has a known password (`OWNER_PASSWORD`): the walk signs in with it.
    let r = tokio::task::spawn_blocking(move || {
        run_script("photoblog.mjs", &[&base, &pic, crate::blog::OWNER_PASSWORD])
    })
    .await
    .unwrap();
    assert_eq!(r["errors"], serde_json::json!([]), "{r}");
    assert_eq!(r["homeTitle"], "A drupe photoblog", "{r}");
    assert_eq!(r["albumsOnHome"], 3, "the seeded albums: {r}");
    assert_eq!(r["stylesheetApplied"], true, "{r}");
    // A visitor is offered to sign in, and none of the owner's forms.
    let visitor_nav = r["visitorNav"].as_str().unwrap();
    assert!(
        visitor_nav.contains("Sign in") && !visitor_nav.contains("New album"),
        "{r}"
    );
    assert_eq!(r["loginTitle"], "Sign in — A drupe photoblog", "{r}");
    assert_eq!(r["signedInAs"], "Signed in as admin · Sign out", "{r}");
    assert!(
        r["signedOutNav"].as_str().unwrap().contains("Sign in"),
        "{r}"
    );
    assert_eq!(r["afterSignOut"], "/login?next=%2Falbum%2Fnew", "{r}");
    assert_eq!(r["albumHeading"], "Winter in Lapland", "{r}");
    assert_eq!(r["backOnAlbum"], true, "{r}");
    // A 640×480 picture becomes a thumbnail at most 320 px wide, in proportion.
    let (w, h) = (
        r["thumbSize"]["width"].as_u64().unwrap(),
        r["thumbSize"]["height"].as_u64().unwrap(),
    );
    assert!(w > 0 && w <= 320 && h > 0 && w * 3 == h * 4, "{r}");
    assert_eq!(r["photoLoaded"], true, "{r}");
    assert_eq!(r["feedType"], "application/atom+xml", "{r}");
    assert_eq!(r["feedHasAlbum"], true, "{r}");
    assert_eq!(r["albumFeedHasPhoto"], true, "{r}");
    let covered: Vec<&str> = r["coveredPaths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for expected in [
        "/ index",
        "/album/new get",
        "/album/new post",
        "/album/{album_id}/upload get",
        "/album/{album_id}/upload post",
        "/photo/{id} photo",
        "/photos/{file} photos",
        "/feed feed",
    ] {
        assert!(covered.contains(&expected), "{expected} in {covered:?}");
    }
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
