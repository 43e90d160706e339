//! XML (`application/xml`, `text/xml`) through quick-xml's serde support.
//!
//! A struct is written with its serde name as the root element. A value without a name of its
//! own (a sequence, a map, a scalar) is written as `<list><item>…</item>…</list>`. Reading XML
//! refuses DTD entities (no entity expansion).

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{MediaTypes, RenderContext, Representation};
use crate::HttpError;

/// XML through quick-xml.
#[derive(Debug, Clone, Copy, Default)]
pub struct Xml;

impl MediaTypes for Xml {
    const MEDIA_TYPES: &'static [&'static str] = &["application/xml", "text/xml"];
}

#[derive(Serialize)]
struct List<'a, T: ?Sized> {
    item: &'a T,
}

/// Writes `value` as an XML document.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, HttpError> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    match quick_xml::se::to_string(value) {
        Ok(s) => out.push_str(&s),
        Err(quick_xml::SeError::Unsupported(_)) => {
            let s = quick_xml::se::to_string_with_root("list", &List { item: value })
                .map_err(|e| HttpError::internal(format!("XML encoding: {e}")))?;
            out.push_str(&s);
        }
        Err(e) => return Err(HttpError::internal(format!("XML encoding: {e}"))),
    }
    Ok(out)
}

/// Reads an XML body; a malformed one is a 400 with quick-xml's account of where.
pub(crate) fn from_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| HttpError::bad_request(format!("Invalid XML body: not UTF-8 ({e}).")))?;
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return Err(HttpError::bad_request(
            "Invalid XML body: document type declarations are not accepted.",
        ));
    }
    quick_xml::de::from_str(text)
        .map_err(|e| HttpError::bad_request(format!("Invalid XML body: {e}.")))
}

impl<T: Serialize + ?Sized> Representation<T> for Xml {
    fn render(&self, value: &T, _: &RenderContext<'_>) -> Result<Bytes, HttpError> {
        to_string(value).map(Bytes::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    #[serde(rename = "user")]
    struct User {
        id: u64,
        name: String,
    }

    #[test]
    fn struct_and_list() {
        let u = User {
            id: 1,
            name: "a<b".into(),
        };
        assert!(
            to_string(&u)
                .unwrap()
                .ends_with("<user><id>1</id><name>a&lt;b</name></user>")
        );
        let l = to_string(&vec![u]).unwrap();
        assert!(
            l.ends_with("<list><item><id>1</id><name>a&lt;b</name></item></list>"),
            "{l}"
        );
    }

    #[test]
    fn reading() {
        let u: User = from_bytes(b"<user><id>5</id><name>x</name></user>").unwrap();
        assert_eq!(
            u,
            User {
                id: 5,
                name: "x".into()
            }
        );
        let e = from_bytes::<User>(b"<user><id>zz</id></user>").unwrap_err();
        assert_eq!(e.status(), 400);
        let e = from_bytes::<User>(
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><user><id>5</id><name>&a;</name></user>",
        )
        .unwrap_err();
        assert_eq!(e.status(), 400);
    }
}
