//! Photoblog uploads under load: concurrent uploads all succeed.

use std::io::Cursor;

use drupe::testing::{Part, TestClient, TestServer};
use futures_util::future::join_all;
use serde_json::Value;

use crate::photoblog_tests::{blog_on, temp_dir};

/// A PNG of one colour: a few hundred bytes per million pixels on the wire, whatever it
/// takes once decoded.
fn one_colour_png(w: u32, h: u32, colour: [u8; 3]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(colour));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn photo_count(c: &TestClient) -> usize {
    c.get("/services/rest/photo/")
        .send()
        .await
        .json::<Vec<Value>>()
        .len()
}

/// More large uploads at once than there are cores, on a SQLite file: each waits for a
/// decoder rather than being refused, and every one is stored.
#[actix_web::test]
async fn concurrent_large_uploads_wait_their_turn_and_all_succeed() {
    let _heavy = crate::heavy().await;
    let dir = temp_dir("upload-concurrent");
    let db = format!("sqlite:{}", dir.join("pb.db").display());
    let s = TestServer::start_with(blog_on(&db, &dir, "memory").await, 2).await;
    let c = s.client();
    // Made first: the server closes a connection idle for 5 s.
    let pngs: Vec<Vec<u8>> = (0..6u8)
        .map(|i| one_colour_png(2000, 1900, [i * 40, 255 - i * 40, 90]))
        .collect();
    let before = photo_count(c).await;
    let uploads = pngs.into_iter().zip(0u32..).map(|(png, i)| async move {
        c.post("/services/rest/photo/")
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
