//! HEAD answers: the headers of the GET answer, its `Content-Length` included, and no body.

use actix_web::HttpResponse;
use actix_web::body::{BodySize, BoxBody, MessageBody};

/// A HEAD response made from the GET response: its body's size is kept, so that the length
/// written is the GET body's, and its bytes dropped.
pub(super) fn without_body(res: HttpResponse) -> HttpResponse {
    let (res, body) = res.into_parts();
    let size = match body.size() {
        BodySize::None => return res.set_body(body),
        BodySize::Sized(n) => Some(n),
        BodySize::Stream => None,
    };
    res.set_body(BoxBody::new(HeadBody(size)))
}

/// The body of a HEAD response: a size and no bytes.
struct HeadBody(Option<u64>);

impl MessageBody for HeadBody {
    type Error = std::convert::Infallible;

    fn size(&self) -> BodySize {
        match self.0 {
            Some(n) => BodySize::Sized(n),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<bytes::Bytes, Self::Error>>> {
        std::task::Poll::Ready(None)
    }
}
