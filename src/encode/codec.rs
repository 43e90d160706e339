//! The codecs: a body in memory compressed whole, a stream compressed as it flows.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, BoxBody, MessageBody};
use async_compression::Level;
use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder};
use bytes::Bytes;
use futures_util::Stream;
use tokio::io::{AsyncBufRead, AsyncRead, AsyncReadExt};

use crate::http::encoding::Coding;

/// The encoder of `coding` over `input`.
fn encoder<'a, R: AsyncBufRead + 'a>(
    coding: Coding,
    level: Level,
    input: R,
) -> Pin<Box<dyn AsyncRead + 'a>> {
    match coding {
        Coding::Gzip => Box::pin(GzipEncoder::with_quality(input, level)),
        Coding::Brotli => Box::pin(BrotliEncoder::with_quality(input, level)),
        #[cfg(feature = "zstd")]
        Coding::Zstd => {
            Box::pin(async_compression::tokio::bufread::ZstdEncoder::with_quality(input, level))
        }
        // Refused when the application is built (`tools.encode.codings`).
        #[cfg(not(feature = "zstd"))]
        Coding::Zstd => Box::pin(input),
        // Not called for identity; copying is its encoding.
        Coding::Identity => Box::pin(input),
    }
}

/// `bytes` encoded. The input is in memory, so the future completes in its first poll.
pub(super) async fn whole(coding: Coding, level: Level, bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 3 + 64);
    encoder(coding, level, bytes).read_to_end(&mut out).await?;
    Ok(out)
}

/// `body` encoded as it streams.
pub(super) fn streamed(coding: Coding, level: Level, body: BoxBody) -> BoxBody {
    let input = tokio_util::io::StreamReader::new(Chunks(body));
    let output = tokio_util::io::ReaderStream::new(encoder(coding, level, input));
    BoxBody::new(actix_web::body::BodyStream::new(output))
}

/// A body as a stream of its chunks.
struct Chunks(BoxBody);

impl Stream for Chunks {
    type Item = std::io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if matches!(self.0.size(), BodySize::None) {
            return Poll::Ready(None);
        }
        Pin::new(&mut self.0)
            .poll_next(cx)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}
