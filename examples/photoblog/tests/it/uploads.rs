//! Photoblog uploads that could exhaust the server — pictures of too many pixels are refused
//! from their header, and decodes wait their turn instead of running all at once — and the
//! start-up sweep of the photo folder, which another instance may be writing to; and every
//! upload checked by its content, bounded, and atomic (no file without its row).

use std::path::Path;

use drupe::testing::{Part, TestClient, TestServer};
use futures_util::future::join_all;
use serde_json::Value;

use crate::rest::files_in;
use crate::support::{
    ByOwner, SignedIn, blog_on, one_colour_png, png, sign_in, sqlite_client, temp_dir,
};

/// Every file under `dir`, temporary ones included.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(files_under(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out.sort();
    out
}

async fn photo_count(c: &TestClient) -> usize {
    c.get("/services/rest/photo/")
        .send()
        .await
        .json::<Vec<Value>>()
        .len()
}

/// An 8000×8000 picture (64 megapixels, 340 KB as a one-colour PNG) is refused by
/// the default limit of 40 megapixels with a message naming both, leaving no row and no file.
/// The same header over pixel data that cannot be decoded gets the same answer: the refusal
/// comes from the header, before any decoding.
#[actix_web::test]
async fn a_picture_of_too_many_pixels_is_refused_from_its_header() {
    let dir = temp_dir("upload-pixels");
    let c = TestClient::new(blog_on("sqlite::memory:", &dir, "memory").await).await;
    let photos = dir.join("photos");
    let (rows, files) = (photo_count(&c).await, files_under(&photos));
    let owner = sign_in(&c).await;
    let big = one_colour_png(8000, 8000, 77);
    assert!(big.len() < 1 << 20, "{} bytes", big.len());
    // Its header and the first bytes of its pixel data: it cannot be decoded.
    let header_only = big[..100].to_vec();
    let wire = big.len();
    let mut seen = Vec::new();
    for (what, bytes) in [("the picture", big), ("its header alone", header_only)] {
        let t = std::time::Instant::now();
        let r = c
            .post("/services/rest/photo/")
            .by_owner()
            .multipart(&[
                Part::file("file", "big.png", "image/png", bytes.clone()),
                Part::text("film_id", "1"),
            ])
            .send()
            .await;
        assert!(matches!(r.status().as_u16(), 413 | 422), "{what}: {r:?}");
        seen.push(format!(
            "{what}: {} in {} ms",
            r.status().as_u16(),
            t.elapsed().as_millis()
        ));
        let says = r.text();
        assert!(
            (says.contains("8000×8000") || says.contains("8000x8000")) && says.contains("40"),
            "{what}: the message names the size and the limit: {says}"
        );
        // The upload form says the same, on the form.
        let form = c
            .post("/album/1/upload")
            .signed_in(&owner)
            .multipart(&[
                Part::text("csrf_token", &owner.token),
                Part::text("film_id", "1"),
                Part::file("file", "big.png", "image/png", bytes),
            ])
            .send()
            .await;
        assert_eq!(form.status(), r.status(), "{what}: {form:?}");
        form.assert_contains("8000");
    }
    assert_eq!(photo_count(&c).await, rows, "a refused upload made a row");
    assert_eq!(files_under(&photos), files, "a refused upload left a file");
    crate::support::hole(
        "upload_pixels",
        &format!(
            "an 8000×8000 one-colour PNG ({} KB on the wire) as a photo",
            wire / 1000
        ),
        &format!(
            "{}, naming its size and the 40 MP limit; no row, no file (debug build, in process)",
            seen.join("; ")
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// More large uploads at once than there are cores, on a SQLite file: each waits for a
/// decoder rather than being refused, and every one is stored.
#[actix_web::test]
async fn concurrent_large_uploads_wait_their_turn_and_all_succeed() {
    let _heavy = crate::support::heavy().await;
    let dir = temp_dir("upload-concurrent");
    let db = format!("sqlite:{}", dir.join("pb.db").display());
    let s = TestServer::start_with(blog_on(&db, &dir, "memory").await, 2).await;
    let c = s.client();
    // Made first: the server closes a connection idle for 5 s.
    let pngs: Vec<Vec<u8>> = (0..6u8)
        .map(|i| one_colour_png(2000, 1900, i * 40))
        .collect();
    let before = photo_count(c).await;
    let uploads = pngs.into_iter().zip(0u32..).map(|(png, i)| async move {
        c.post("/services/rest/photo/")
            .by_owner()
            .accept("application/json")
            .multipart(&[
                Part::file("file", "large.png", "image/png", png),
                Part::text("film_id", &(1 + i % 6).to_string()),
            ])
            .send()
            .await
    });
    let answers = join_all(uploads).await;
    for r in &answers {
        r.assert_status(201);
        let p: Value = r.json();
        assert_eq!(
            (p["width"].as_i64(), p["height"].as_i64()),
            (Some(2000), Some(1900))
        );
    }
    assert_eq!(photo_count(c).await, before + 6);
    s.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two instances share the photo folder (and the database). The second one starts while the
/// first is in the middle of an upload: its start-up sweep leaves the first one's files alone
/// — spooled and temporary ones, and one renamed into place whose row is not committed yet —
/// and removes
/// the same kinds of files left by a crash an hour and a half ago.
#[actix_web::test]
async fn the_start_up_sweep_spares_another_instances_uploads_in_flight() {
    let dir = temp_dir("sweep");
    let db = format!("sqlite:{}", dir.join("pb.db").display());
    let _first = blog_on(&db, &dir, "memory").await;
    let photos = dir.join("photos");
    let kept_before = files_under(&photos);
    let files = |tag: &str, hash: u128| {
        [
            photos.join(format!("tmp-{tag}")),
            photos.join("thumbs").join(format!("tmp-{tag}")),
            photos.join(format!("{hash:032x}.png")),
            photos.join("thumbs").join(format!("{hash:032x}.png.jpg")),
            // An upload drupe is spooling, or spooled before a crash.
            photos.join("spool").join(format!(".upload-{tag}")),
        ]
    };
    let in_flight = files("0123456789abcdef0123456789abcdef", 1);
    let crashed = files("fedcba9876543210fedcba9876543210", 2);
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(90 * 60);
    for f in &in_flight {
        std::fs::write(f, b"being written").unwrap();
    }
    for f in &crashed {
        std::fs::File::create(f)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }
    let _second = blog_on(&db, &dir, "memory").await;
    let missing: Vec<_> = in_flight.iter().filter(|f| !f.exists()).collect();
    assert!(
        missing.is_empty(),
        "the sweep removed files in flight: {missing:?}"
    );
    let left: Vec<_> = crashed.iter().filter(|f| f.exists()).collect();
    assert!(left.is_empty(), "the sweep left a crash's files: {left:?}");
    // The photos themselves are untouched.
    for f in &kept_before {
        assert!(Path::new(f).exists(), "{f}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[actix_web::test]
async fn uploads_are_checked_by_content_bounded_and_atomic() {
    let (c, dir) = sqlite_client("uploads").await;
    let photos_dir = dir.join("photos");
    assert_eq!(count(&c).await, 18);
    let before = files_in(&photos_dir);
    let file = |name: &str, ty: &str, data: Vec<u8>| Part::file("file", name, ty, data);
    let film = |id: &str| Part::text("film_id", id);
    let rejected: Vec<(&str, Vec<Part>, u16, &str)> = vec![
        (
            "not an image, whatever its name and type say",
            vec![
                file(
                    "cat.png",
                    "image/png",
                    b"just some text, not a picture".to_vec(),
                ),
                film("1"),
            ],
            415,
            "not a PNG, JPEG, GIF or WebP",
        ),
        (
            "a GIF header on garbage: refused with a message, not a crash",
            vec![
                file("x.gif", "image/gif", b"GIF89a but not really".to_vec()),
                film("1"),
            ],
            413,
            // The bytes where a GIF's width and height are: " b", "ut".
            "25120×29813 pixels",
        ),
        (
            "a broken PNG",
            vec![
                file("x.png", "image/png", b"\x89PNG\r\n\x1a\nbroken".to_vec()),
                film("1"),
            ],
            422,
            "cannot be read",
        ),
        (
            "over the limit (1 MiB here)",
            vec![
                file("big.png", "image/png", vec![0u8; (1 << 20) + 10]),
                film("1"),
            ],
            413,
            "larger than the limit of 1048576 bytes (request.body.max_size)",
        ),
        (
            "an unknown film",
            vec![file("ok.png", "image/png", png(40, 30, 9)), film("999")],
            404,
            "No film 999.",
        ),
        (
            "a film that is not a number",
            vec![file("ok.png", "image/png", png(40, 30, 9)), film("x")],
            400,
            "film_id",
        ),
        ("no file", vec![film("1")], 404, "Missing parameters: file"),
    ];
    for (what, parts, status, says) in rejected {
        assert!(!says.is_empty(), "{what}: every rejection names its cause");
        let r = c
            .post("/services/rest/photo/")
            .by_owner()
            .multipart(&parts)
            .send()
            .await;
        assert_eq!(r.status().as_u16(), status, "{what}: {r:?}");
        assert!(r.text().contains(says), "{what}: {r:?}");
    }
    assert_eq!(count(&c).await, 18);
    assert_eq!(files_in(&photos_dir), before, "a failed upload left a file");
    assert_eq!(
        files_in(&photos_dir.join("thumbs")),
        before,
        "a failed upload left a thumbnail"
    );
    // A good one: a content-addressed file, a thumbnail, the photo.
    let ok = c
        .post("/services/rest/photo/")
        .by_owner()
        .multipart(&[
            Part::file("file", "../../etc/passwd", "text/plain", png(64, 48, 1)),
            Part::text("film_id", "2"),
            Part::text("legend", "A test"),
        ])
        .send()
        .await;
    ok.assert_status(201);
    let p: Value = ok.json();
    assert_eq!(
        (p["width"].as_i64(), p["height"].as_i64()),
        (Some(64), Some(48))
    );
    assert_eq!(p["media_type"], "image/png");
    let url = p["url"].as_str().unwrap();
    let name = url.rsplit('/').next().unwrap();
    assert_eq!(name.len(), 36, "a hash, not the client's name: {name}");
    assert!(
        photos_dir.join(name).exists()
            && photos_dir
                .join("thumbs")
                .join(format!("{name}.jpg"))
                .exists()
    );
    c.get(url)
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "image/png");
    c.get(&format!("/photos/thumbs/{name}"))
        .send()
        .await
        .assert_status(200)
        .assert_header("content-type", "image/jpeg");
    // The same image twice shares its file; deleting one photo keeps it for the other.
    let twin: Value = c
        .post("/services/rest/photo/")
        .by_owner()
        .multipart(&[
            Part::file("file", "again.png", "image/png", png(64, 48, 1)),
            Part::text("film_id", "3"),
        ])
        .send()
        .await
        .json();
    assert_eq!(twin["url"], p["url"]);
    c.delete(&format!("/services/rest/photo/{}", p["id"]))
        .by_owner()
        .send()
        .await
        .assert_status(204);
    assert!(photos_dir.join(name).exists());
    c.delete(&format!("/services/rest/photo/{}", twin["id"]))
        .by_owner()
        .send()
        .await
        .assert_status(204);
    assert!(
        !photos_dir.join(name).exists(),
        "the last reference took the file"
    );
    // Traversal on files is a 404, whatever the spelling.
    for bad in [
        "/photos/..%2f..%2fetc%2fpasswd",
        "/photos/%2e%2e/x",
        "/photos/thumbs/..",
        "/photos/x.png",
        "/static/..%2fCargo.toml",
    ] {
        c.get(bad).send().await.assert_status(404);
    }
}

async fn count(c: &TestClient) -> usize {
    c.get("/services/rest/photo/")
        .send()
        .await
        .json::<Vec<Value>>()
        .len()
}

/// A `w`×`h` PNG of noise: it does not compress, so its size on the wire is about 3 bytes a
/// pixel.
fn noise_png(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761) | 1;
    let img = image::RgbImage::from_fn(w, h, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// Photos larger than drupe keeps in memory (256 KiB), from the REST service and from the
/// upload form: spooled into the photo folder's `spool/` as they arrive, then stored under the
/// hash of their bytes — which read back the same — leaving nothing in the spool.
#[actix_web::test]
async fn large_photos_are_stored_from_their_spooled_files() {
    let (c, dir) = sqlite_client("upload-spooled").await;
    let (photos, spool) = (dir.join("photos"), dir.join("photos").join("spool"));
    assert!(spool.is_dir());
    let before = photo_count(&c).await;
    let owner = sign_in(&c).await;
    for (i, by_form) in [(1, false), (2, true)] {
        let png = noise_png(340, 340, i);
        assert!(
            png.len() > 256 << 10 && png.len() < 1 << 20,
            "{}",
            png.len()
        );
        let r = if by_form {
            c.post("/album/1/upload")
                .signed_in(&owner)
                .multipart(&[
                    Part::text("csrf_token", &owner.token),
                    Part::text("film_id", "1"),
                    Part::file("file", "noise.png", "image/png", png.clone()),
                ])
                .send()
                .await
        } else {
            c.post("/services/rest/photo/")
                .by_owner()
                .multipart(&[
                    Part::file("file", "noise.png", "image/png", png.clone()),
                    Part::text("film_id", "1"),
                ])
                .send()
                .await
        };
        r.assert_status(if by_form { 303 } else { 201 });
        let name = format!("{:032x}.png", xxhash_rust::xxh3::xxh3_128(&png));
        assert_eq!(std::fs::read(photos.join(&name)).unwrap(), png, "{name}");
        let served = c.get(&format!("/photos/{name}")).send().await;
        served.assert_status(200);
        assert_eq!(served.body().as_ref(), png.as_slice());
        assert!(photos.join("thumbs").join(format!("{name}.jpg")).exists());
        assert_eq!(
            files_under(&spool),
            Vec::<String>::new(),
            "the spool is empty"
        );
    }
    assert_eq!(photo_count(&c).await, before + 2);
    let _ = std::fs::remove_dir_all(&dir);
}
