//! A file as a byte source that exists before the file is open: what
//! `fs.createReadStream` stands on. The stream is created synchronously (so that
//! `pipeline(fs.createReadStream(p), res)` can take it as a native source at once),
//! opened in the background, and read from `start` to `end` (inclusive) or to the end
//! of the file as it was when opened. Reads wait for the open; an open that failed
//! fails every read with its error.

use super::file::{FileReader, FileSource, OpenFile};
use super::{ByteSource, LocalFuture};
use bytes::Bytes;
use std::cell::{Cell, RefCell};
use std::io;
use std::path::PathBuf;
use std::rc::Rc;

enum State {
    Opening,
    Open(Rc<OpenFile>),
    Reading(Rc<FileSource>),
    Failed(io::ErrorKind, Option<i32>, String),
    Closed,
}

pub struct FileStream {
    reader: Rc<FileReader>,
    pub path: PathBuf,
    start: u64,
    end: Option<u64>,
    chunk: Cell<usize>,
    state: RefCell<State>,
    opened: tokio::sync::Notify,
}

impl FileStream {
    pub fn new(
        reader: Rc<FileReader>,
        path: PathBuf,
        start: u64,
        end: Option<u64>,
        chunk: usize,
    ) -> FileStream {
        FileStream {
            reader,
            path,
            start,
            end,
            chunk: Cell::new(chunk.max(1)),
            state: RefCell::new(State::Opening),
            opened: tokio::sync::Notify::new(),
        }
    }

    /// Reads in chunks of `chunk` bytes (capped at the reader's buffers) from the
    /// next read on; a native pipe asks for the largest.
    pub fn set_chunk(&self, chunk: usize) {
        self.chunk.set(chunk.max(1));
    }

    /// Opens the file; the size it had. Call once.
    pub async fn open(&self) -> io::Result<u64> {
        let result = self.reader.open(&self.path).await;
        let mut state = self.state.borrow_mut();
        let out = match result {
            Ok(file) => {
                let size = file.size;
                if matches!(*state, State::Opening) {
                    *state = State::Open(file);
                }
                Ok(size)
            }
            // As in Node, a directory opens, and its first read fails with EISDIR.
            Err(e) if e.kind() == io::ErrorKind::IsADirectory => {
                if matches!(*state, State::Opening) {
                    *state = State::Failed(e.kind(), Some(libc::EISDIR), e.to_string());
                }
                Ok(0)
            }
            Err(e) => {
                if matches!(*state, State::Opening) {
                    *state = State::Failed(e.kind(), e.raw_os_error(), e.to_string());
                }
                Err(e)
            }
        };
        drop(state);
        self.opened.notify_waiters();
        out
    }

    async fn next_chunk(&self) -> io::Result<Option<Bytes>> {
        loop {
            let waiting = self.opened.notified();
            tokio::pin!(waiting);
            // Registered before looking at the state, so an open that finishes in
            // between still wakes this read.
            waiting.as_mut().enable();
            let file = match &*self.state.borrow() {
                State::Opening => None,
                State::Open(file) => Some(file.clone()),
                State::Reading(_) => break,
                State::Failed(_, Some(code), _) => return Err(io::Error::from_raw_os_error(*code)),
                State::Failed(kind, None, message) => {
                    return Err(io::Error::new(*kind, message.clone()))
                }
                State::Closed => return Ok(None),
            };
            match file {
                None => waiting.await,
                Some(file) => {
                    if file.size == 0
                        || self.start >= file.size
                        || self.end.is_some_and(|e| e < self.start)
                    {
                        *self.state.borrow_mut() = State::Closed;
                        return Ok(None);
                    }
                    let last = self.end.map_or(file.size - 1, |e| e.min(file.size - 1));
                    let source = FileSource::new(
                        self.reader.clone(),
                        file,
                        self.start,
                        last,
                        self.chunk.get(),
                    );
                    *self.state.borrow_mut() = State::Reading(Rc::new(source));
                    break;
                }
            }
        }
        let source = match &*self.state.borrow() {
            State::Reading(source) => source.clone(),
            _ => return Ok(None),
        };
        source.next().await
    }
}

impl ByteSource for FileStream {
    fn next(&self) -> LocalFuture<'_, io::Result<Option<Bytes>>> {
        Box::pin(self.next_chunk())
    }

    fn cancel(&self) {
        self.close();
    }
}

impl FileStream {
    pub fn close(&self) {
        let old = std::mem::replace(&mut *self.state.borrow_mut(), State::Closed);
        if let State::Reading(source) = old {
            source.cancel();
        }
        self.opened.notify_waiters();
    }
}

impl crate::resources::Resource for FileStream {
    fn name(&self) -> &'static str {
        "fileReadStream"
    }
    fn close(&self) {
        FileStream::close(self);
    }
    fn source(self: Rc<Self>) -> Option<Rc<dyn ByteSource>> {
        Some(self)
    }
}
