//! The response body between a handler and the protocol driver: a single-producer
//! channel bounded in bytes, so a client that stops reading stops the writer and the
//! memory held per response stays under `capacity` (plus the one chunk that may
//! always be queued, so a chunk larger than the capacity cannot deadlock).
//!
//! The sender ends the body with [`BodySender::finish`] (optionally with trailers);
//! dropping it, or calling [`BodySender::abort`], makes the body yield an error, which
//! the protocol turns into a connection close (HTTP/1.1) or a stream reset (HTTP/2,
//! HTTP/3): a client never takes a cut-short body for a complete one. Everything
//! lives on one worker thread, hence `Rc`.

use bytes::Bytes;
use http::HeaderMap;
use http_body::Frame;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Open,
    Finished,
    Aborted,
}

/// How a body's consumer went away: after reading everything, or before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Completed,
    Abandoned,
}

/// Bytes of an open file, sent by the protocol driver itself (`sendfile(2)` on plain
/// HTTP/1.1 connections): the body carries where they are, not the bytes.
#[derive(Debug)]
pub struct FileRegion {
    pub file: Arc<std::fs::File>,
    pub offset: u64,
    pub len: u64,
    /// Told whether the region reached the socket whole; dropped unsent: `false`.
    pub done: Option<tokio::sync::oneshot::Sender<bool>>,
}

/// What a body yields to a driver that takes file regions (see [`ResponseBody::poll_item`]).
pub enum Item {
    Data(Bytes),
    File(FileRegion),
    Trailers(HeaderMap),
}

enum Queued {
    Data(Bytes),
    File(FileRegion),
}

impl Queued {
    fn len(&self) -> usize {
        match self {
            Queued::Data(b) => b.len(),
            // Nothing is held in memory for a region.
            Queued::File(_) => 0,
        }
    }
}

/// Told once when a body's consumer goes away, and how.
pub trait CloseWatch {
    fn body_closed(&self, outcome: Outcome);
    /// `n` bytes counted as sent never reached the socket (the rest of a file region
    /// the connection failed to send, what was still queued when the body closed or
    /// was cut, the pieces of a body never handed to hyper).
    fn unsent(&self, _n: u64) {}
}

/// The queued items in order: the first held inline, since most bodies are one chunk
/// and then nothing is allocated for the queue.
#[derive(Default)]
struct Queue {
    first: Option<Queued>,
    rest: VecDeque<Queued>,
}

impl Queue {
    fn push(&mut self, item: Queued) {
        if self.first.is_none() && self.rest.is_empty() {
            self.first = Some(item);
        } else {
            self.rest.push_back(item);
        }
    }

    fn pop(&mut self) -> Option<Queued> {
        self.first.take().or_else(|| self.rest.pop_front())
    }

    fn is_empty(&self) -> bool {
        self.first.is_none() && self.rest.is_empty()
    }

    fn clear(&mut self) {
        self.first = None;
        self.rest.clear();
    }

    fn iter(&self) -> impl Iterator<Item = &Queued> {
        self.first.iter().chain(self.rest.iter())
    }
}

struct Shared {
    queue: Queue,
    queued: usize,
    capacity: usize,
    trailers: Option<HeaderMap>,
    end: End,
    /// The driver could not deliver what it took (a write failed, a file ran short).
    failed: bool,
    receiver_gone: bool,
    /// The driver let go of the body once it had all the bytes the head announced
    /// (hyper's HTTP/1.1 stops at a `Content-Length`, and takes nothing for HEAD, 204
    /// or 304), while the writer had not ended it: what is written now is dropped,
    /// and the body's outcome is told when the writer ends it ([`ResponseBody::ends_at`]).
    wire_done: bool,
    sender_waker: Option<Waker>,
    receiver_waker: Option<Waker>,
    on_close: Option<Weak<dyn CloseWatch>>,
}

/// The writing end, held by the handler's side.
pub struct BodySender {
    shared: Rc<RefCell<Shared>>,
}

/// The reading end, handed to the protocol driver as the response body.
pub struct ResponseBody {
    inner: Inner,
    /// The response's fields, serialized, when weir's own HTTP/1.1 writer sends it
    /// (then the head's `HeaderMap` is empty).
    fields: Option<crate::http::fields::Fields>,
    /// The connection told of the data bytes handed to its driver (HTTP/2, whose
    /// library may hold them until the client's window opens): see `ConnState`.
    handed_to: Option<Rc<crate::http::exchange::ConnState>>,
    /// The rest of a data chunk larger than [`PIECE`], handed to hyper piece by piece.
    held: Option<Bytes>,
    /// The data bytes after which the driver may let go of the body as done (see
    /// [`ResponseBody::ends_at`]), and those handed to it so far.
    wire_len: Option<u64>,
    handed: u64,
}

/// The most of a data chunk handed to hyper at once (HTTP/2, HTTP/1.1 on TLS,
/// HTTP/3's driver) once the body is complete (given whole, or finished by its
/// writer). hyper sends what it takes as the stream's buffer and window allow and
/// takes the next piece only when the last one fits, so a large body counts as sent
/// as it goes rather than when it is handed over, its end comes with its last piece,
/// and a client that leaves is logged with about what could have reached it. A
/// chunk of a body still being written goes whole: hyper, waiting for room for a
/// piece, would not hear of the body being cut, and a cut response's stream is
/// reset when hyper next asks for data. (HTTP/3's driver takes pieces the same way.)
/// 64 KiB: four 16 KiB frames.
const PIECE: usize = 64 << 10;

enum Inner {
    Channel(Rc<RefCell<Shared>>),
    /// A body given whole with its head ([`whole`]): nothing to wait for, no channel.
    Whole {
        data: Option<Bytes>,
        failed: Cell<bool>,
        watch: Option<Weak<dyn CloseWatch>>,
    },
}

/// A body given whole with the head (`res.end(body)`), already ended; `watch` is told
/// when the driver is done with it, as with [`BodySender::on_close`].
pub fn whole(data: Option<Bytes>, watch: Weak<dyn CloseWatch>) -> ResponseBody {
    ResponseBody {
        inner: Inner::Whole {
            data: data.filter(|d| !d.is_empty()),
            failed: Cell::new(false),
            watch: Some(watch),
        },
        fields: None,
        handed_to: None,
        held: None,
        wire_len: None,
        handed: 0,
    }
}

/// A body its driver let go of before its writer ended it ([`ResponseBody::ends_at`]),
/// kept by its connection: when the connection ends first, the writer hears that its
/// client left, as Node's response closes with its socket.
pub struct LetGo(Weak<RefCell<Shared>>);

impl LetGo {
    /// The connection ended.
    pub fn connection_ended(self) {
        let Some(shared) = self.0.upgrade() else {
            return;
        };
        let mut s = shared.borrow_mut();
        if !s.wire_done || s.end != End::Open {
            return;
        }
        s.wire_done = false;
        s.receiver_gone = true;
        if let Some(w) = s.sender_waker.take() {
            w.wake();
        }
        let watch = s.on_close.take();
        drop(s);
        if let Some(w) = watch.and_then(|w| w.upgrade()) {
            w.body_closed(Outcome::Abandoned);
        }
    }
}

/// The consumer is gone: nothing written now will be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

/// A body bounded to `capacity` bytes in flight.
pub fn channel(capacity: usize) -> (BodySender, ResponseBody) {
    let shared = Rc::new(RefCell::new(Shared {
        queue: Queue::default(),
        queued: 0,
        capacity: capacity.max(1),
        trailers: None,
        end: End::Open,
        failed: false,
        receiver_gone: false,
        wire_done: false,
        sender_waker: None,
        receiver_waker: None,
        on_close: None,
    }));
    (
        BodySender {
            shared: shared.clone(),
        },
        ResponseBody {
            inner: Inner::Channel(shared),
            fields: None,
            handed_to: None,
            held: None,
            wire_len: None,
            handed: 0,
        },
    )
}

/// The bytes `queue` holds, data and file regions (both counted as sent when given).
fn queued_bytes(queue: &Queue) -> u64 {
    queue
        .iter()
        .map(|q| match q {
            Queued::Data(b) => b.len() as u64,
            Queued::File(r) => r.len,
        })
        .sum()
}

fn aborted() -> std::io::Error {
    std::io::Error::other("the handler aborted the response")
}

impl Shared {
    fn wake_receiver(&mut self) {
        if let Some(w) = self.receiver_waker.take() {
            w.wake();
        }
    }
}

impl BodySender {
    /// Queues `chunk` if it fits (or the queue is empty). `Ok(false)` means full: wait
    /// with [`BodySender::send`].
    pub fn try_send(&self, chunk: Bytes) -> Result<bool, Closed> {
        let mut s = self.shared.borrow_mut();
        if s.receiver_gone || s.end != End::Open {
            return Err(Closed);
        }
        if s.wire_done {
            return Ok(true);
        }
        if s.queued > 0 && s.queued + chunk.len() > s.capacity {
            return Ok(false);
        }
        s.queued += chunk.len();
        s.queue.push(Queued::Data(chunk));
        s.wake_receiver();
        Ok(true)
    }

    /// Queues a file region; only for drivers that take them (plain HTTP/1.1).
    pub fn send_file(&self, region: FileRegion) -> Result<(), Closed> {
        let mut s = self.shared.borrow_mut();
        if s.receiver_gone || s.end != End::Open {
            return Err(Closed);
        }
        if s.wire_done {
            return Ok(());
        }
        s.queue.push(Queued::File(region));
        s.wake_receiver();
        Ok(())
    }

    /// Queues `chunk`, waiting until the consumer has made room for it.
    pub async fn send(&self, chunk: Bytes) -> Result<(), Closed> {
        let mut chunk = Some(chunk);
        std::future::poll_fn(|cx| {
            let c = chunk.take().expect("polled after completion");
            match self.try_send(c.clone()) {
                Ok(true) => Poll::Ready(Ok(())),
                Err(e) => Poll::Ready(Err(e)),
                Ok(false) => {
                    chunk = Some(c);
                    self.shared.borrow_mut().sender_waker = Some(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }

    /// Bytes queued and not yet taken by the consumer.
    pub fn queued(&self) -> usize {
        self.shared.borrow().queued
    }

    /// Whether the consumer went away.
    pub fn is_closed(&self) -> bool {
        self.shared.borrow().receiver_gone
    }

    /// Ends the body after what is queued, with optional trailers.
    pub fn finish(&self, trailers: Option<HeaderMap>) {
        let mut s = self.shared.borrow_mut();
        if s.end != End::Open {
            return;
        }
        s.end = End::Finished;
        s.trailers = trailers;
        s.wake_receiver();
        // The driver already had all it takes: the response is complete now.
        if s.wire_done {
            let watch = s.on_close.take();
            drop(s);
            if let Some(w) = watch.and_then(|w| w.upgrade()) {
                w.body_closed(Outcome::Completed);
            }
        }
    }

    /// Ends the body with an error: the response is cut and the client told so.
    /// What was still queued will never go: the watcher hears it as unsent.
    pub fn abort(&self) {
        let mut s = self.shared.borrow_mut();
        if s.end != End::Open {
            return;
        }
        s.end = End::Aborted;
        let dropped = queued_bytes(&s.queue);
        s.queue.clear();
        s.queued = 0;
        s.wake_receiver();
        let wire_done = s.wire_done;
        let watch = if wire_done {
            s.on_close.take()
        } else {
            s.on_close.clone()
        };
        drop(s);
        if let Some(w) = watch.and_then(|w| w.upgrade()) {
            if dropped > 0 {
                w.unsent(dropped);
            }
            // The driver is gone already: nobody else will tell how it ended.
            if wire_done {
                w.body_closed(Outcome::Abandoned);
            }
        }
    }

    /// Tells `watch` (if it still lives then) when the consumer goes away, and
    /// whether it read to the end.
    pub fn on_close(&self, watch: Weak<dyn CloseWatch>) {
        self.shared.borrow_mut().on_close = Some(watch);
    }
}

impl Drop for BodySender {
    fn drop(&mut self) {
        self.abort();
    }
}

impl ResponseBody {
    /// The driver (hyper's HTTP/1.1) takes `len` data bytes and then may let go of the
    /// body as done, before its writer ends it: the body then waits for that end to
    /// say how the response went, dropping what is written meanwhile.
    pub fn ends_at(&mut self, len: u64) {
        self.wire_len = Some(len);
    }

    /// Counts the data bytes this body hands to its driver on `conn`.
    pub fn count_handed(&mut self, conn: Rc<crate::http::exchange::ConnState>) {
        self.handed_to = Some(conn);
    }

    pub fn set_fields(&mut self, fields: crate::http::fields::Fields) {
        self.fields = Some(fields);
    }

    pub fn take_fields(&mut self) -> Option<crate::http::fields::Fields> {
        self.fields.take()
    }

    /// Nothing more is written to the body and it can no longer be cut: given whole,
    /// or its writer finished it.
    fn is_complete(&self) -> bool {
        match &self.inner {
            Inner::Channel(shared) => shared.borrow().end == End::Finished,
            Inner::Whole { .. } => true,
        }
    }

    /// Nothing to take yet, and more to come: the writer is still writing.
    pub fn is_idle(&self) -> bool {
        match &self.inner {
            Inner::Channel(shared) => {
                let s = shared.borrow();
                s.queue.is_empty() && s.end == End::Open
            }
            Inner::Whole { .. } => false,
        }
    }

    /// Tells the watcher that `n` bytes it counted as sent never reached the socket
    /// (data and file regions are counted when given; only the driver knows how far
    /// one got).
    pub fn unsent(&self, n: u64) {
        let watch = match &self.inner {
            Inner::Channel(shared) => shared.borrow().on_close.as_ref().and_then(|w| w.upgrade()),
            Inner::Whole { watch, .. } => watch.as_ref().and_then(|w| w.upgrade()),
        };
        if let Some(w) = watch {
            w.unsent(n);
        }
    }

    /// The next data chunk, file region or trailers; `None` at the end, an error when
    /// the body was aborted.
    pub fn poll_item(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Item, std::io::Error>>> {
        let shared = match &mut self.inner {
            Inner::Channel(shared) => shared,
            Inner::Whole { data, .. } => {
                return Poll::Ready(data.take().map(|d| Ok(Item::Data(d))))
            }
        };
        let mut s = shared.borrow_mut();
        if let Some(item) = s.queue.pop() {
            s.queued -= item.len();
            if let Some(w) = s.sender_waker.take() {
                w.wake();
            }
            return Poll::Ready(Some(Ok(match item {
                Queued::Data(b) => Item::Data(b),
                Queued::File(r) => Item::File(r),
            })));
        }
        match s.end {
            End::Open => {
                s.receiver_waker = Some(cx.waker().clone());
                Poll::Pending
            }
            End::Finished => Poll::Ready(s.trailers.take().map(|t| Ok(Item::Trailers(t)))),
            End::Aborted => Poll::Ready(Some(Err(aborted()))),
        }
    }

    /// The next queued item, taken at once if it is a data chunk of at most `max`
    /// bytes: for a writer that sends what is already queued in one write.
    pub fn take_data(&mut self, max: usize) -> Option<Bytes> {
        let Inner::Channel(shared) = &mut self.inner else {
            return None;
        };
        let mut s = shared.borrow_mut();
        if !matches!(s.queue.iter().next(), Some(Queued::Data(b)) if b.len() <= max) {
            return None;
        }
        let Some(Queued::Data(b)) = s.queue.pop() else {
            return None;
        };
        s.queued -= b.len();
        if let Some(w) = s.sender_waker.take() {
            w.wake();
        }
        Some(b)
    }

    /// The driver failed to deliver what it took: when this body is dropped, its
    /// sender hears that the client did not get it all.
    pub fn fail(&self) {
        match &self.inner {
            Inner::Channel(shared) => shared.borrow_mut().failed = true,
            Inner::Whole { failed, .. } => failed.set(true),
        }
    }

    /// The whole body's length, when it is already complete (queued and finished,
    /// without trailers): what a `Content-Length` can say.
    pub fn complete_len(&self) -> Option<u64> {
        let shared = match &self.inner {
            Inner::Channel(shared) => shared,
            Inner::Whole { data, .. } => return Some(data.as_ref().map_or(0, |d| d.len() as u64)),
        };
        let s = shared.borrow();
        if s.end != End::Finished || s.trailers.is_some() {
            return None;
        }
        Some(queued_bytes(&s.queue))
    }
}

impl http_body::Body for ResponseBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let mut data = match this.held.take() {
            Some(rest) => rest,
            None => match this.poll_item(cx) {
                Poll::Ready(Some(Ok(Item::Data(b)))) => b,
                Poll::Ready(Some(Ok(Item::Trailers(t)))) => {
                    return Poll::Ready(Some(Ok(Frame::trailers(t))))
                }
                // Only plain HTTP/1.1 is given regions; anywhere else it is a bug, and
                // the response is cut rather than sent wrong.
                Poll::Ready(Some(Ok(Item::File(_)))) => {
                    return Poll::Ready(Some(Err(std::io::Error::other(
                        "a file region reached a driver that cannot send it",
                    ))))
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            },
        };
        if data.len() > PIECE && this.is_complete() {
            this.held = Some(data.split_off(PIECE));
        }
        this.handed += data.len() as u64;
        if let Some(c) = &this.handed_to {
            c.data_handed.set(c.data_handed.get() + data.len() as u64);
        }
        Poll::Ready(Some(Ok(Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        if self.held.is_some() {
            return false;
        }
        match &self.inner {
            Inner::Channel(shared) => {
                let s = shared.borrow();
                s.queue.is_empty() && s.end == End::Finished && s.trailers.is_none()
            }
            Inner::Whole { data, .. } => data.is_none(),
        }
    }
}

/// A body its driver let go of with every byte the head announced, its writer still
/// writing: what is written now is dropped, the writer's end tells how it went, and
/// the connection (when known) tells it if it ends first ([`LetGo`]).
fn wait_for_writer(shared: &Rc<RefCell<Shared>>, conn: Option<&crate::http::exchange::ConnState>) {
    let mut s = shared.borrow_mut();
    s.wire_done = true;
    s.queue.clear();
    s.queued = 0;
    if let Some(w) = s.sender_waker.take() {
        w.wake();
    }
    drop(s);
    if let Some(conn) = conn {
        let mut bodies = conn.let_go.borrow_mut();
        // Those whose writers ended since are let go of here.
        bodies.retain(|b| b.0.strong_count() > 0);
        bodies.push(LetGo(Rc::downgrade(shared)));
    }
}

impl Drop for ResponseBody {
    fn drop(&mut self) {
        // What was not handed to the driver never reached the socket: the count of
        // bytes sent drops it (data was counted when given, a file region too).
        let held = self.held.take().map(|b| b.len() as u64);
        // The driver had every byte the head announced ([`ResponseBody::ends_at`]).
        let wire_went = held.is_none() && self.wire_len == Some(self.handed);
        let (outcome, unsent, watch) = match &mut self.inner {
            Inner::Whole {
                data,
                failed,
                watch,
            } => {
                let left = data.take().map(|d| d.len() as u64);
                let outcome = if !failed.get() && left.is_none() && held.is_none() {
                    Outcome::Completed
                } else {
                    Outcome::Abandoned
                };
                (outcome, left.unwrap_or(0), watch.take())
            }
            Inner::Channel(shared) => {
                let mut s = shared.borrow_mut();
                if wire_went && !s.failed {
                    match s.end {
                        // The writer still writing: the outcome waits for its end.
                        End::Open => {
                            drop(s);
                            wait_for_writer(shared, self.handed_to.as_deref());
                            return;
                        }
                        // Trailers the driver does not send (hyper's HTTP/1.1 sends
                        // them only to a client that asked) do not make it incomplete.
                        End::Finished if s.queue.is_empty() => s.trailers = None,
                        _ => {}
                    }
                }
                s.receiver_gone = true;
                let outcome = if !s.failed
                    && held.is_none()
                    && s.queue.is_empty()
                    && s.end == End::Finished
                    && s.trailers.is_none()
                {
                    Outcome::Completed
                } else {
                    Outcome::Abandoned
                };
                let queued = queued_bytes(&s.queue);
                if let Some(w) = s.sender_waker.take() {
                    w.wake();
                }
                (outcome, queued, s.on_close.take())
            }
        };
        let unsent = unsent + held.unwrap_or(0);
        if let Some(w) = watch.and_then(|w| w.upgrade()) {
            if unsent > 0 {
                w.unsent(unsent);
            }
            w.body_closed(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body::Body;
    use std::cell::Cell;

    fn poll(body: &mut ResponseBody) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        let waker = futures::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        Pin::new(body).poll_frame(&mut cx)
    }

    fn data(p: Poll<Option<Result<Frame<Bytes>, std::io::Error>>>) -> Bytes {
        match p {
            Poll::Ready(Some(Ok(f))) => f.into_data().expect("a data frame"),
            _ => panic!("expected a data frame"),
        }
    }

    #[test]
    fn writes_past_the_capacity_wait_until_the_reader_makes_room() {
        let (tx, mut rx) = channel(10);
        assert_eq!(tx.try_send(Bytes::from_static(b"123456")), Ok(true));
        assert_eq!(
            tx.try_send(Bytes::from_static(b"78901")),
            Ok(false),
            "6 + 5 > 10"
        );
        assert_eq!(tx.queued(), 6);
        assert_eq!(&data(poll(&mut rx))[..], b"123456");
        assert_eq!(tx.try_send(Bytes::from_static(b"78901")), Ok(true));
    }

    #[test]
    fn chunks_leave_in_order_whether_one_or_many_wait() {
        let (tx, mut rx) = channel(1 << 20);
        let chunk = |s: &'static str| Bytes::from_static(s.as_bytes());
        assert_eq!(tx.try_send(chunk("a")), Ok(true));
        assert_eq!(data(poll(&mut rx)), "a");
        for s in ["b", "c", "d"] {
            assert_eq!(tx.try_send(chunk(s)), Ok(true));
        }
        assert_eq!(data(poll(&mut rx)), "b");
        // Queued while the first place is free again but others still wait.
        assert_eq!(tx.try_send(chunk("e")), Ok(true));
        for s in ["c", "d", "e"] {
            assert_eq!(data(poll(&mut rx)), s);
        }
        assert!(poll(&mut rx).is_pending());
        assert_eq!(tx.queued(), 0);
        assert_eq!(tx.try_send(chunk("f")), Ok(true));
        tx.finish(None);
        assert_eq!(data(poll(&mut rx)), "f");
        assert!(matches!(poll(&mut rx), Poll::Ready(None)));
    }

    #[test]
    fn a_chunk_larger_than_the_capacity_goes_through_an_empty_queue() {
        let (tx, mut rx) = channel(4);
        assert_eq!(tx.try_send(Bytes::from(vec![0u8; 100])), Ok(true));
        assert_eq!(data(poll(&mut rx)).len(), 100);
    }

    #[test]
    fn finish_ends_the_body_after_queued_data_and_trailers() {
        let (tx, mut rx) = channel(64);
        tx.try_send(Bytes::from_static(b"a")).unwrap();
        let mut trailers = HeaderMap::new();
        trailers.insert("x-checksum", "abc".parse().unwrap());
        tx.finish(Some(trailers));
        assert!(!rx.is_end_stream());
        assert_eq!(&data(poll(&mut rx))[..], b"a");
        match poll(&mut rx) {
            Poll::Ready(Some(Ok(f))) => assert!(f.is_trailers()),
            _ => panic!("expected trailers"),
        }
        assert!(matches!(poll(&mut rx), Poll::Ready(None)));
    }

    #[test]
    fn dropping_the_sender_without_finish_is_an_error_not_a_clean_end() {
        let (tx, mut rx) = channel(64);
        tx.try_send(Bytes::from_static(b"partial")).unwrap();
        drop(tx);
        assert!(matches!(poll(&mut rx), Poll::Ready(Some(Err(_)))));
    }

    #[test]
    fn the_sender_learns_when_the_reader_goes_away_and_how() {
        struct Seen(Cell<Option<Outcome>>);
        impl CloseWatch for Seen {
            fn body_closed(&self, outcome: Outcome) {
                self.0.set(Some(outcome));
            }
        }
        let seen = Rc::new(Seen(Cell::new(None)));
        let (tx, rx) = channel(64);
        tx.on_close(Rc::downgrade(&seen) as Weak<dyn CloseWatch>);
        tx.try_send(Bytes::from_static(b"unread")).unwrap();
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Abandoned));
        assert!(tx.is_closed());
        assert_eq!(tx.try_send(Bytes::from_static(b"more")), Err(Closed));

        let seen = Rc::new(Seen(Cell::new(None)));
        let (tx, mut rx) = channel(64);
        tx.on_close(Rc::downgrade(&seen) as Weak<dyn CloseWatch>);
        tx.finish(None);
        assert!(matches!(poll(&mut rx), Poll::Ready(None)));
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Completed));
    }

    #[test]
    fn a_whole_body_is_one_chunk_then_the_end_and_says_how_it_went() {
        struct Seen(Cell<Option<Outcome>>);
        impl CloseWatch for Seen {
            fn body_closed(&self, outcome: Outcome) {
                self.0.set(Some(outcome));
            }
        }
        let watch = |seen: &Rc<Seen>| Rc::downgrade(seen) as Weak<dyn CloseWatch>;
        // Read to the end: completed.
        let seen = Rc::new(Seen(Cell::new(None)));
        let mut rx = whole(Some(Bytes::from_static(b"hello")), watch(&seen));
        assert_eq!(rx.complete_len(), Some(5));
        assert!(!rx.is_end_stream());
        assert_eq!(&data(poll(&mut rx))[..], b"hello");
        assert!(rx.is_end_stream());
        assert!(matches!(poll(&mut rx), Poll::Ready(None)));
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Completed));
        // Dropped unread, or read but not delivered: abandoned.
        let seen = Rc::new(Seen(Cell::new(None)));
        drop(whole(Some(Bytes::from_static(b"unread")), watch(&seen)));
        assert_eq!(seen.0.get(), Some(Outcome::Abandoned));
        let seen = Rc::new(Seen(Cell::new(None)));
        let mut rx = whole(Some(Bytes::from_static(b"lost")), watch(&seen));
        let _ = data(poll(&mut rx));
        rx.fail();
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Abandoned));
        // Empty: the end at once, length 0.
        let seen = Rc::new(Seen(Cell::new(None)));
        let mut rx = whole(Some(Bytes::new()), watch(&seen));
        assert_eq!(rx.complete_len(), Some(0));
        assert!(matches!(poll(&mut rx), Poll::Ready(None)));
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Completed));
    }

    #[test]
    fn a_large_chunk_goes_to_hyper_in_pieces_and_what_was_not_handed_counts_as_unsent() {
        struct Seen(Cell<Option<Outcome>>, Cell<u64>);
        impl CloseWatch for Seen {
            fn body_closed(&self, outcome: Outcome) {
                self.0.set(Some(outcome));
            }
            fn unsent(&self, n: u64) {
                self.1.set(self.1.get() + n);
            }
        }
        let seen = || Rc::new(Seen(Cell::new(None), Cell::new(0)));
        let big = Bytes::from(vec![7u8; 3 * PIECE + 10]);
        // Given whole: three pieces and the rest, then the end.
        let s = seen();
        let mut rx = whole(Some(big.clone()), Rc::downgrade(&s) as Weak<dyn CloseWatch>);
        let mut lens = Vec::new();
        while let Poll::Ready(Some(Ok(f))) = poll(&mut rx) {
            lens.push(f.into_data().unwrap().len());
            assert_eq!(rx.is_end_stream(), lens.len() == 4);
        }
        assert_eq!(lens, [PIECE, PIECE, PIECE, 10]);
        drop(rx);
        assert_eq!((s.0.get(), s.1.get()), (Some(Outcome::Completed), 0));
        // Left after one piece: the rest is unsent, the body abandoned.
        let s = seen();
        let mut rx = whole(Some(big.clone()), Rc::downgrade(&s) as Weak<dyn CloseWatch>);
        assert_eq!(data(poll(&mut rx)).len(), PIECE);
        drop(rx);
        let left = (2 * PIECE + 10) as u64;
        assert_eq!((s.0.get(), s.1.get()), (Some(Outcome::Abandoned), left));
        // The same through a channel once it is finished, with a region queued behind.
        let s = seen();
        let (tx, mut rx) = channel(16);
        tx.on_close(Rc::downgrade(&s) as Weak<dyn CloseWatch>);
        tx.try_send(big.clone()).unwrap();
        tx.send_file(FileRegion {
            file: Arc::new(tempfile::tempfile().unwrap()),
            offset: 0,
            len: 6,
            done: None,
        })
        .unwrap();
        tx.finish(None);
        assert_eq!(data(poll(&mut rx)).len(), PIECE);
        assert!(!rx.is_end_stream());
        drop(rx);
        assert_eq!((s.0.get(), s.1.get()), (Some(Outcome::Abandoned), left + 6));
        // A chunk of a body still being written goes whole (a cut must reach the
        // driver at its next poll); what was queued when it is cut is unsent.
        let s = seen();
        let (tx, mut rx) = channel(16);
        tx.on_close(Rc::downgrade(&s) as Weak<dyn CloseWatch>);
        tx.try_send(big.clone()).unwrap();
        assert_eq!(data(poll(&mut rx)).len(), big.len());
        tx.try_send(Bytes::from_static(b"queued")).unwrap();
        tx.abort();
        assert_eq!(s.1.get(), 6);
        assert!(matches!(poll(&mut rx), Poll::Ready(Some(Err(_)))));
        drop(rx);
        assert_eq!((s.0.get(), s.1.get()), (Some(Outcome::Abandoned), 6));
    }

    #[test]
    fn a_body_let_go_of_once_its_length_went_waits_for_its_writer_to_end() {
        struct Seen(Cell<Option<Outcome>>);
        impl CloseWatch for Seen {
            fn body_closed(&self, outcome: Outcome) {
                assert!(self.0.replace(Some(outcome)).is_none(), "told twice");
            }
        }
        for (ends, want) in [(true, Outcome::Completed), (false, Outcome::Abandoned)] {
            let seen = Rc::new(Seen(Cell::new(None)));
            let (tx, mut rx) = channel(64);
            tx.on_close(Rc::downgrade(&seen) as Weak<dyn CloseWatch>);
            rx.ends_at(4);
            tx.try_send(Bytes::from_static(b"abcd")).unwrap();
            assert_eq!(&data(poll(&mut rx))[..], b"abcd");
            drop(rx);
            // Not over yet: the writer goes on (what it writes is dropped).
            assert_eq!(seen.0.get(), None);
            assert!(!tx.is_closed());
            assert_eq!(tx.try_send(Bytes::from_static(b"more")), Ok(true));
            if ends {
                tx.finish(None);
            } else {
                tx.abort();
            }
            assert_eq!(seen.0.get(), Some(want));
        }
        // Let go of before its length went: the client left.
        let seen = Rc::new(Seen(Cell::new(None)));
        let (tx, mut rx) = channel(64);
        tx.on_close(Rc::downgrade(&seen) as Weak<dyn CloseWatch>);
        rx.ends_at(8);
        tx.try_send(Bytes::from_static(b"abcd")).unwrap();
        let _ = data(poll(&mut rx));
        drop(rx);
        assert_eq!(seen.0.get(), Some(Outcome::Abandoned));
        assert!(tx.is_closed());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn send_resolves_once_there_is_room() {
        let (tx, mut rx) = channel(8);
        tx.send(Bytes::from_static(b"12345678")).await.unwrap();
        let tx = Rc::new(tx);
        let t2 = tx.clone();
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async move {
                let pending =
                    tokio::task::spawn_local(
                        async move { t2.send(Bytes::from_static(b"9")).await },
                    );
                tokio::task::yield_now().await;
                assert!(!pending.is_finished());
                assert_eq!(&data(poll(&mut rx))[..], b"12345678");
                pending.await.unwrap().unwrap();
                assert_eq!(tx.queued(), 1);
            })
            .await;
    }
}
