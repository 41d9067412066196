//! A response body that stops at the call's size cap.

use super::hooks::{CallReport, LimitHit};
use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi_http::Error as HttpError;

/// A response body from upstream, errors already in wasi:http's terms.
pub(super) type UpstreamBody = http_body_util::combinators::UnsyncBoxBody<Bytes, HttpError>;

pub(super) struct LimitedBody {
    inner: UpstreamBody,
    remaining: u64,
    cap: u64,
    report: Arc<Mutex<CallReport>>,
}

impl LimitedBody {
    pub(super) fn new(inner: UpstreamBody, cap: u64, report: Arc<Mutex<CallReport>>) -> Self {
        LimitedBody { inner, remaining: cap, cap, report }
    }
}

impl Body for LimitedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let frame = match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
            Poll::Ready(Some(Ok(frame))) => frame,
        };
        if let Some(data) = frame.data_ref() {
            let len = data.len() as u64;
            if len > self.remaining {
                let cap = self.cap;
                self.report.lock().unwrap_or_else(|p| p.into_inner()).limit = Some(LimitHit {
                    limit: crate::limits::Limit::ResponseBodyBytes,
                    detail: format!("a response body was larger than {cap} bytes"),
                });
                return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(cap)))));
            }
            self.remaining -= len;
        }
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
