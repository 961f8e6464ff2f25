//! Byte sources and sinks, and the pipe between them: the layer that moves bytes
//! without JavaScript. A source yields `Bytes` chunks (a request body, a file range,
//! an upstream body); a sink accepts them only when it has room (a response body), so
//! [`pipe`] carries backpressure from the slowest end to the other. Nothing here knows
//! about V8.

pub mod file;
pub mod file_stream;
pub mod held;
mod uring;

thread_local! {
    static READER: std::cell::RefCell<Option<Rc<file::FileReader>>> = const { std::cell::RefCell::new(None) };
}

/// This thread's file reader: the one its server worker installed, or one made on
/// first use with the mode `WEIR_IO` names (io_uring by default). Call within the
/// thread's tokio runtime.
pub fn thread_reader() -> Rc<file::FileReader> {
    READER.with(|r| {
        r.borrow_mut()
            .get_or_insert_with(|| {
                file::FileReader::new(
                    file::IoMode::from_env_or(file::IoMode::Uring),
                    file::DEFAULT_BUFFER_SIZE,
                    file::DEFAULT_POOL_SIZE,
                )
            })
            .clone()
    })
}

/// Makes `reader` this thread's file reader.
pub fn set_thread_reader(reader: Rc<file::FileReader>) {
    READER.with(|r| *r.borrow_mut() = Some(reader));
}

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

pub type LocalFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// Where a pipe failed, for the error the JS side reports.
#[derive(Debug)]
pub enum PipeError {
    /// Reading the source failed (a client that went away mid-upload, a file error).
    Source(std::io::Error),
    /// The sink's consumer went away (a client that closed the connection).
    SinkClosed,
}

pub trait ByteSource {
    /// The next chunk, or `None` at the end.
    fn next(&self) -> LocalFuture<'_, std::io::Result<Option<Bytes>>>;
    /// Stops producing (the pipe failed on the other side).
    fn cancel(&self) {}
}

pub trait ByteSink {
    /// Accepts `chunk` once there is room; `false` when the consumer is gone.
    fn write(&self, chunk: Bytes) -> LocalFuture<'_, bool>;
    /// Ends the stream after what was written.
    fn finish(&self);
    /// Ends the stream with an error, so its consumer does not take it as complete.
    fn abort(&self);
}

/// Moves every chunk of `source` into `sink`, waiting for the sink each time, then
/// finishes the sink. On failure the other end is cancelled or aborted. Returns the
/// number of bytes moved.
pub async fn pipe(source: Rc<dyn ByteSource>, sink: Rc<dyn ByteSink>) -> Result<u64, PipeError> {
    let mut moved = 0u64;
    loop {
        match source.next().await {
            Ok(Some(chunk)) => {
                let len = chunk.len() as u64;
                if !sink.write(chunk).await {
                    source.cancel();
                    return Err(PipeError::SinkClosed);
                }
                moved += len;
            }
            Ok(None) => {
                sink.finish();
                return Ok(moved);
            }
            Err(e) => {
                sink.abort();
                return Err(PipeError::Source(e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::collections::VecDeque;

    struct Chunks(RefCell<VecDeque<std::io::Result<Bytes>>>, Cell<bool>);
    impl ByteSource for Chunks {
        fn next(&self) -> LocalFuture<'_, std::io::Result<Option<Bytes>>> {
            let item = self.0.borrow_mut().pop_front();
            Box::pin(async move { item.transpose() })
        }
        fn cancel(&self) {
            self.1.set(true);
        }
    }

    #[derive(Default)]
    struct Collect {
        got: RefCell<Vec<u8>>,
        limit: Option<usize>,
        finished: Cell<bool>,
        aborted: Cell<bool>,
    }
    impl ByteSink for Collect {
        fn write(&self, chunk: Bytes) -> LocalFuture<'_, bool> {
            let ok = self
                .limit
                .is_none_or(|l| self.got.borrow().len() + chunk.len() <= l);
            if ok {
                self.got.borrow_mut().extend_from_slice(&chunk);
            }
            Box::pin(async move { ok })
        }
        fn finish(&self) {
            self.finished.set(true);
        }
        fn abort(&self) {
            self.aborted.set(true);
        }
    }

    fn source(items: Vec<std::io::Result<&'static [u8]>>) -> Rc<Chunks> {
        Rc::new(Chunks(
            RefCell::new(
                items
                    .into_iter()
                    .map(|r| r.map(Bytes::from_static))
                    .collect(),
            ),
            Cell::new(false),
        ))
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_pipe_moves_everything_then_finishes_the_sink() {
        let src = source(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"e")]);
        let sink = Rc::new(Collect::default());
        let n = pipe(src, sink.clone()).await.unwrap();
        assert_eq!(n, 5);
        assert_eq!(&sink.got.borrow()[..], b"abcde");
        assert!(sink.finished.get() && !sink.aborted.get());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_source_error_aborts_the_sink() {
        let src = source(vec![Ok(b"ab"), Err(std::io::Error::other("upload cut"))]);
        let sink = Rc::new(Collect::default());
        assert!(matches!(
            pipe(src, sink.clone()).await,
            Err(PipeError::Source(_))
        ));
        assert!(sink.aborted.get() && !sink.finished.get());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_closed_sink_cancels_the_source() {
        let src = source(vec![Ok(b"ab"), Ok(b"cd"), Ok(b"ef")]);
        let sink = Rc::new(Collect {
            limit: Some(3),
            ..Default::default()
        });
        assert!(matches!(
            pipe(src.clone(), sink).await,
            Err(PipeError::SinkClosed)
        ));
        assert!(src.1.get());
    }
}
