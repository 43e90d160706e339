//! Multipart bodies, well-formed and broken, posted to handlers that count their fields, read
//! an upload, and read a typed body. Whatever arrives: no panic, no 5xx; a well-formed body
//! within the limits is read whole (every text part counted); past `request.max_fields` parts
//! it is a 413.

use std::cell::OnceCell;

use drupe::testing::{Part, TestClient, multipart_body};
use drupe::{App, Body, Kwargs, Upload, controller};

struct Root;

#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Named {
    name: String,
}

#[controller]
impl Root {
    #[expose]
    fn count(&self, fields: Kwargs) -> String {
        fields.0.len().to_string()
    }

    #[expose]
    fn upload(&self, file: Upload, legend: Option<String>) -> String {
        format!("{} {}", file.len(), legend.unwrap_or_default())
    }

    #[expose]
    async fn typed(&self, body: Body<Named>) -> String {
        body.into_inner().name
    }
}

/// The limit the targets run with: small, so that the fuzzer reaches it.
const MAX_FIELDS: usize = 8;

thread_local! {
    static RUNTIME: actix_web::rt::SystemRunner = actix_web::rt::System::new();
    static CLIENT: OnceCell<&'static TestClient> = const { OnceCell::new() };
}

#[derive(Debug, arbitrary::Arbitrary)]
struct FuzzPart {
    name: String,
    file: Option<(String, String)>,
    data: Vec<u8>,
}

#[derive(Debug, arbitrary::Arbitrary)]
enum Shape {
    /// Parts encoded by the test client's encoder.
    Parts(Vec<FuzzPart>),
    /// Any bytes with a boundary.
    Raw { boundary: String, body: Vec<u8> },
    /// Well-formed parts, then cut or with bytes flipped.
    Damaged {
        parts: Vec<FuzzPart>,
        cut: u16,
        flip: Vec<(u16, u8)>,
    },
}

/// Whether the encoder writes `p` so that any parser reads it back as it was: names, file
/// names and types of plain characters, data without the boundary.
fn clean(p: &FuzzPart) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    };
    let media_type = |s: &str| {
        s.split_once('/')
            .is_some_and(|(t, sub)| plain(t) && plain(sub))
    };
    plain(&p.name)
        && p.file
            .as_ref()
            .is_none_or(|(f, ct)| plain(f) && media_type(ct))
        && !p.data.windows(8).any(|w| w == b"--drupe-")
}

fn to_parts(parts: &[FuzzPart]) -> Vec<Part> {
    parts
        .iter()
        .map(|p| match &p.file {
            Some((f, ct)) => Part::file(&p.name, f, ct, p.data.clone()),
            None => Part::text(&p.name, &String::from_utf8_lossy(&p.data)),
        })
        .collect()
}

/// One input, as the fuzzer runs it.
pub fn run(data: &[u8]) {
    let Some(input) = crate::input::<(u8, Shape)>(data) else {
        return;
    };
    let (target, shape) = input;
    let path = ["/count", "/upload", "/typed"][target as usize % 3];
    let (body, content_type, expect_count) = match &shape {
        Shape::Parts(parts) => {
            let (b, ct) = multipart_body(&to_parts(parts));
            let expect = (path == "/count" && parts.iter().all(clean))
                .then(|| parts.iter().filter(|p| p.file.is_none()).count());
            (b.to_vec(), ct, expect.map(|n| (n, parts.len())))
        }
        Shape::Raw { boundary, body } => (
            body.clone(),
            format!("multipart/form-data; boundary={boundary}"),
            None,
        ),
        Shape::Damaged { parts, cut, flip } => {
            let (b, ct) = multipart_body(&to_parts(parts));
            let mut b = b.to_vec();
            b.truncate(*cut as usize % (b.len() + 1));
            for (at, x) in flip {
                if !b.is_empty() {
                    let i = *at as usize % b.len();
                    b[i] ^= x;
                }
            }
            (b, ct, None)
        }
    };
    if actix_web::http::header::HeaderValue::from_str(&content_type).is_err() {
        return;
    }
    RUNTIME.with(|rt| {
        let client = CLIENT.with(|c| {
            *c.get_or_init(|| {
                let app = App::builder(Root)
                    .set("/", "request.max_fields", MAX_FIELDS as i64)
                    .set("/", "request.body.max_size", 64 * 1024)
                    .build()
                    .expect("a valid app");
                Box::leak(Box::new(rt.block_on(TestClient::new(app))))
            })
        });
        let res = rt.block_on(client.post(path).body(&content_type, body.clone()).send());
        let status = res.status().as_u16();
        assert!(status < 500, "{status} for {path} {shape:?}");
        if let Some((texts, parts)) = expect_count
            && body.len() <= 64 * 1024
        {
            if parts > MAX_FIELDS {
                assert_eq!(status, 413, "{parts} parts: {res:?}");
            } else {
                assert_eq!(status, 200, "{shape:?}: {res:?}");
                assert_eq!(res.text(), texts.to_string(), "{shape:?}");
            }
        }
    });
}
