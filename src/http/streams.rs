//! An exchange's request body as a [`ByteSource`] and its response body as a
//! [`ByteSink`], so that native pipes can read uploads and write responses (and join
//! the two) without JavaScript seeing the bytes.

use crate::http::exchange::Exchange;
use crate::io::{ByteSink, ByteSource, LocalFuture};
use crate::resources::Resource;
use bytes::Bytes;
use std::rc::Rc;

pub struct RequestBodySource(pub Rc<Exchange>);

impl ByteSource for RequestBodySource {
    fn next(&self) -> LocalFuture<'_, std::io::Result<Option<Bytes>>> {
        Box::pin(async move { self.0.read_body().await })
    }

    fn cancel(&self) {
        self.0.drop_body();
    }
}

impl Resource for RequestBodySource {
    fn name(&self) -> &'static str {
        "httpRequestBody"
    }
    fn source(self: Rc<Self>) -> Option<Rc<dyn ByteSource>> {
        Some(self)
    }
}

pub struct ResponseSink(pub Rc<Exchange>);

impl ByteSink for ResponseSink {
    fn write(&self, chunk: Bytes) -> LocalFuture<'_, bool> {
        Box::pin(async move {
            match self.0.try_write(chunk.clone()) {
                Some(true) => true,
                None => false,
                Some(false) => self.0.clone().write(chunk).await,
            }
        })
    }
    fn finish(&self) {
        self.0.end(None);
    }
    fn abort(&self) {
        self.0.abort(http::StatusCode::INTERNAL_SERVER_ERROR);
    }
}

impl Resource for ResponseSink {
    fn name(&self) -> &'static str {
        "httpResponseBody"
    }
    fn sink(self: Rc<Self>) -> Option<Rc<dyn ByteSink>> {
        Some(self)
    }
}
