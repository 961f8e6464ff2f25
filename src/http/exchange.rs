//! One request/response exchange as a handler sees it, whatever protocol carries it
//! (HTTP/1.1 and HTTP/2 through hyper today, HTTP/3 through h3 next): a request head,
//! a request body source, and a response that is sent once as a head and then as a
//! byte-bounded body ([`crate::http::body`]).
//!
//! Exchanges live in the worker's [`HttpWorker`] (not in an isolate), so a worker can
//! replace a broken isolate and still answer or abort what was in flight. The handler
//! side learns about new exchanges and about clients that went away through one event
//! queue, drained in batches.

use crate::http::body::{self, BodySender, CloseWatch, Outcome, ResponseBody};
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Protocol versions as `req.httpVersion` spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http10,
    Http11,
    Http2,
    Http3,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Http10 => "1.0",
            Protocol::Http11 => "1.1",
            Protocol::Http2 => "2.0",
            Protocol::Http3 => "3.0",
        }
    }
    pub fn from_http(v: http::Version) -> Protocol {
        match v {
            http::Version::HTTP_10 | http::Version::HTTP_09 => Protocol::Http10,
            http::Version::HTTP_2 => Protocol::Http2,
            http::Version::HTTP_3 => Protocol::Http3,
            _ => Protocol::Http11,
        }
    }
}

/// The request body as a source of chunks.
pub enum RequestBody {
    Empty,
    Hyper(hyper::body::Incoming),
    H3(Box<crate::http::h3::H3Body>),
    H1(crate::http::h1::H1Body),
}

impl RequestBody {
    /// The next chunk of data, `None` at the end; an error means the client reset the
    /// stream or the connection broke. Trailer fields met on the way are added to
    /// `trailers` (names and values as received).
    pub async fn next_chunk(
        &mut self,
        trailers: &mut Vec<(Bytes, Bytes)>,
    ) -> std::io::Result<Option<bytes::Bytes>> {
        match self {
            RequestBody::Empty => Ok(None),
            RequestBody::Hyper(incoming) => loop {
                // A body whose declared length has all come is over. (hyper's HTTP/1.1
                // driver, once the response has gone before the body's last bytes,
                // moves on to wait for the next request head still holding the body
                // open: waiting for its end would wait for the next request.)
                if http_body::Body::is_end_stream(incoming) {
                    return Ok(None);
                }
                match http_body_util::BodyExt::frame(incoming).await {
                    Some(Ok(frame)) => match frame.into_data() {
                        Ok(data) => return Ok(Some(data)),
                        Err(frame) => {
                            if let Ok(map) = frame.into_trailers() {
                                trailer_pairs(&map, trailers);
                            }
                        }
                    },
                    Some(Err(e)) => {
                        return Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, e))
                    }
                    None => return Ok(None),
                }
            },
            RequestBody::H3(body) => {
                let chunk = body.next_chunk().await?;
                if chunk.is_none() {
                    // A stream that fails where its trailers would be did not end
                    // cleanly: the body's reader learns it, not a clean end.
                    match body.stream.recv_trailers().await {
                        Ok(Some(map)) => trailer_pairs(&map, trailers),
                        Ok(None) => {}
                        Err(e) => {
                            return Err(std::io::Error::new(
                                std::io::ErrorKind::InvalidData,
                                format!("the request's trailers: {e}"),
                            ))
                        }
                    }
                }
                Ok(chunk)
            }
            RequestBody::H1(body) => {
                let chunk = body.next_chunk().await?;
                if chunk.is_none() {
                    trailers.extend(body.take_trailers());
                }
                Ok(chunk)
            }
        }
    }

    /// [`RequestBody::next_chunk`] when it is there without a wait (weir's HTTP/1.1
    /// driver has the bytes buffered, hyper's body has ended, or there is none);
    /// `None` otherwise.
    fn next_chunk_now(
        &mut self,
        trailers: &mut Vec<(Bytes, Bytes)>,
    ) -> Option<std::io::Result<Option<Bytes>>> {
        match self {
            RequestBody::Empty => Some(Ok(None)),
            RequestBody::Hyper(incoming) if http_body::Body::is_end_stream(incoming) => {
                Some(Ok(None))
            }
            RequestBody::H1(body) => {
                let chunk = body.next_chunk_now()?;
                if matches!(chunk, Ok(None)) {
                    trailers.extend(body.take_trailers());
                }
                Some(chunk)
            }
            RequestBody::Hyper(_) | RequestBody::H3(_) => None,
        }
    }
}

fn trailer_pairs(map: &HeaderMap, out: &mut Vec<(Bytes, Bytes)>) {
    for (name, value) in map {
        out.push((
            Bytes::copy_from_slice(name.as_str().as_bytes()),
            Bytes::copy_from_slice(value.as_bytes()),
        ));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for the handler's response head.
    Pending,
    /// Head sent; body being written.
    Streaming,
    /// The handler ended the response.
    Ended,
    /// The client went away, or the response was aborted.
    Aborted,
}

/// In a response's extensions: send no `Date` header (`res.sendDate = false`).
#[derive(Clone, Copy, Debug)]
pub struct NoDate;

/// In a response's extensions: the head goes to the client as soon as it is given,
/// rather than with the first body bytes (`res.flushHeaders()`). Only weir's HTTP/1.1
/// writer waits for body bytes; hyper and HTTP/3 send a head at once.
#[derive(Clone, Copy, Debug)]
pub struct FlushHead;

/// Adds a `Date` header unless the response has one or asked for none.
pub fn add_date<B>(response: &mut Response<B>) {
    if response.extensions().get::<NoDate>().is_none() {
        response
            .headers_mut()
            .entry(http::header::DATE)
            .or_insert_with(crate::http::date::now);
    }
}

/// Where the response head passes from the handler side to the protocol side, which
/// waits for it ([`Exchange::response`]).
// The response is held inline: there is one slot per exchange, and boxing it would
// cost an allocation per response.
#[allow(clippy::large_enum_variant)]
enum HeadSlot {
    /// Not answered yet; the protocol side's waker, once it waits.
    Waiting(Option<Waker>),
    Sent(Response<ResponseBody>),
    /// Sent by the protocol side straight from the handler's call ([`SendWhole`]).
    Written(Written),
    /// Taken by the protocol side, or given up by either side.
    Closed,
}

/// A protocol side that can send a response given whole from the handler's own call
/// (`res.end(body)` with nothing written before): weir's HTTP/1.1 driver, for a
/// request without a body or with its body read to the end. The head and body go to
/// the socket there and then, and the connection's task is not woken to write them.
pub trait SendWhole {
    /// Sends the response: its fields serialized with the status line first. `Err`
    /// gives them back when it cannot now (the head then goes the usual way).
    fn send_whole(
        &self,
        ex: &Exchange,
        status: StatusCode,
        fields: crate::http::fields::Fields,
        body: Option<Bytes>,
    ) -> Result<WholeSent, (crate::http::fields::Fields, Option<Bytes>)>;
}

/// What [`SendWhole::send_whole`] did.
pub struct WholeSent {
    /// Whether the connection takes another request.
    pub keep: bool,
    /// The bytes the socket did not take at once (head, body), for the connection's
    /// task to write.
    pub rest: Option<(Bytes, Bytes)>,
    /// The connection's task must look at once (the connection ends, a request
    /// already waits in its buffer, or the task polls the socket rather than reads
    /// it); otherwise it learns of the answer when its socket next has something for
    /// it. (Bytes left wake it anyway.)
    pub wake: bool,
}

/// A response sent from the handler's call, as the connection's task finds it
/// ([`NextHead::Written`]).
pub struct Written {
    pub keep: bool,
    pub rest: Option<Unsent>,
}

/// The bytes of a response sent whole that the socket did not take at once. When
/// this is dropped the exchange is told whether they went (`sent`), as a response
/// body's end tells it.
pub struct Unsent {
    pub head: Bytes,
    pub body: Bytes,
    pub sent: bool,
    /// Bytes of `head` and `body`, in that order, the socket took.
    pub taken: u64,
    ex: Weak<Exchange>,
}

impl Drop for Unsent {
    fn drop(&mut self) {
        if let Some(ex) = self.ex.upgrade() {
            let outcome = if self.sent {
                Outcome::Completed
            } else {
                // The body bytes that did not go are not counted as sent.
                ex.unsent(crate::http::not_taken(
                    self.body.len() as u64,
                    self.head.len() as u64,
                    self.taken,
                ));
                Outcome::Abandoned
            };
            ex.body_closed(outcome);
        }
    }
}

/// The protocol side's wait for the response head: `None` when the handler side gave
/// up on the exchange. Dropping it gives up on the exchange's head.
pub struct ResponseWait<'a>(&'a Exchange);

impl std::future::Future for ResponseWait<'_> {
    type Output = Option<Response<ResponseBody>>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.head.borrow_mut();
        if let HeadSlot::Waiting(w) = &mut *slot {
            if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *w = Some(cx.waker().clone());
            }
            return Poll::Pending;
        }
        match std::mem::replace(&mut *slot, HeadSlot::Closed) {
            HeadSlot::Sent(r) => Poll::Ready(Some(r)),
            _ => Poll::Ready(None),
        }
    }
}

/// What [`HeadWait`] yields.
pub enum NextHead {
    /// An interim (1xx) response; the head is still to come.
    Interim(Response<()>),
    /// The head, as [`ResponseWait`] gives it.
    Final(Option<Response<ResponseBody>>),
    /// The response was sent from the handler's call ([`SendWhole`]).
    Written(Written),
}

/// [`ResponseWait`] that yields the interim responses first (see [`Exchange::heads`]).
pub struct HeadWait<'a>(ResponseWait<'a>);

impl std::future::Future for HeadWait<'_> {
    type Output = NextHead;

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<NextHead> {
        let ex = self.0 .0;
        if let Some(interim) = ex.interim.borrow_mut().pop_front() {
            return Poll::Ready(NextHead::Interim(interim));
        }
        {
            let mut slot = ex.head.borrow_mut();
            if matches!(*slot, HeadSlot::Written(_)) {
                if let HeadSlot::Written(w) = std::mem::replace(&mut *slot, HeadSlot::Closed) {
                    return Poll::Ready(NextHead::Written(w));
                }
            }
        }
        std::pin::Pin::new(&mut self.0)
            .poll(cx)
            .map(NextHead::Final)
    }
}

impl Drop for ResponseWait<'_> {
    fn drop(&mut self) {
        // A response handed over but not taken is dropped too (after the borrow): its
        // body then tells the handler side that it was not sent.
        let old = std::mem::replace(&mut *self.0.head.borrow_mut(), HeadSlot::Closed);
        drop(old);
    }
}

pub struct Exchange {
    pub id: u32,
    pub method: http::Method,
    pub uri: http::Uri,
    pub protocol: Protocol,
    /// The request's fields as a map: given by hyper and h3, made on first use from
    /// `raw_head` where weir parsed the head itself (most handlers never need it).
    headers: std::cell::OnceCell<HeaderMap>,
    /// The request head as it arrived, where weir parsed it itself (plain-TCP
    /// HTTP/1.1): `rawHeaders` keeps the client's spelling and order from it.
    pub raw_head: Option<Bytes>,
    pub remote: SocketAddr,
    /// The server's end of the connection, where the driver knows it.
    pub local: Option<SocketAddr>,
    /// When the request began, for the access log (not read when it is off); taken
    /// by the exchange's one log line.
    started: Cell<Option<Instant>>,
    body: RefCell<Option<RequestBody>>,
    /// Who reads the request body, and whether it is over ([`Reading`]).
    reading: Cell<Reading>,
    /// While the body is read after its response: when a chunk was last taken
    /// (coarse monotonic time), for the reader's idle limit ([`read_on_watch`]).
    last_read: Cell<Duration>,
    /// Woken when a body read after its response stops being read (its end, an
    /// error, or its reader letting go): weir's HTTP/1.1 driver waits for that before
    /// the connection's next request.
    read_on_over: tokio::sync::Notify,
    /// Set when the response's body closed: whether it completed.
    finished: Cell<Option<bool>>,
    head: RefCell<HeadSlot>,
    /// The worker, told when the response body closes.
    worker: Weak<HttpWorker>,
    sender: RefCell<Option<BodySender>>,
    phase: Cell<Phase>,
    /// The handler side cut the exchange ([`Exchange::cut`]): no answer is to be made.
    cut: Cell<bool>,
    status: Cell<u16>,
    bytes_out: Cell<u64>,
    active: RefCell<Option<ActiveGuard>>,
    delivered: Cell<bool>,
    dispatched: Cell<bool>,
    /// The connection sends file regions itself (`sendfile(2)`): plain HTTP/1.1.
    pub sendfile: Cell<bool>,
    /// The response goes without a `Date` header (`res.sendDate = false`), set by
    /// whichever call sends the head.
    pub no_date: Cell<bool>,
    /// Interim (1xx) responses given before the head, for the protocol side to send
    /// first ([`Exchange::inform`]).
    interim: RefCell<VecDeque<Response<()>>>,
    /// The request's trailer fields, once its body was read to the end.
    pub trailers: RefCell<Vec<(Bytes, Bytes)>>,
    /// Where a response given whole can be sent from the handler's call, while the
    /// protocol side allows it ([`SendWhole`]).
    direct: RefCell<Option<Rc<dyn SendWhole>>>,
}

/// The request body's reading. A body being read when its response completes is read
/// on, as Node delivers it: the exchange stays known (by its id) until the body ends,
/// fails, or its reader lets go of it or leaves it unread past `--body-timeout-ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reading {
    /// Nobody asked for the body yet.
    Unread,
    /// The handler side reads it (a read was asked for, or a native pipe takes it).
    Read,
    /// Read on after its response completed.
    ReadOn,
    /// Read to its end, or let go of by its reader: a read finds the end.
    Over,
    /// Failed, or dropped before it was over (its reader went idle after the
    /// response, the worker's isolate went): a read fails with this reason.
    Lost(&'static str),
}

/// Interim responses that may wait for the protocol side at once; past this, more are
/// refused (a handler calling `writeEarlyHints` in a loop holds no more memory).
const MAX_INTERIM: usize = 8;

/// What a connection's timers need to know: how many exchanges are in flight (the
/// idle timer only runs when none is) and when the bytes of a request head started
/// arriving (the head timer).
#[derive(Default)]
pub struct ConnState {
    pub active: Cell<usize>,
    pub head_started: Cell<Option<Instant>>,
    /// When the last exchange finished (coarse monotonic time; zero: none yet), for
    /// the lingering close of a connection that just sent a response. Only kept
    /// with `watch_done` (connections hyper drives): others read no clock for it.
    pub last_done: Cell<Duration>,
    pub watch_done: bool,
    /// Over HTTP/2: response data bytes handed to the library, and DATA payload
    /// bytes written to the connection. The library holds what the client's window
    /// does not take yet; while it holds some, the connection is not idle (its
    /// exchanges ended when their last bytes were handed over, not sent).
    pub data_handed: Cell<u64>,
    pub data_written: Cell<u64>,
    /// Bodies hyper let go of before their writers ended them: told when the
    /// connection ends ([`crate::http::body::LetGo`]).
    pub let_go: std::cell::RefCell<Vec<crate::http::body::LetGo>>,
}

/// How long a response whose bytes all went may still be ended by its handler once
/// its connection has ended (hyper closes a `Connection: close` one as soon as the
/// Content-Length went): past it, the handler hears its client left.
const LET_GO_GRACE: Duration = Duration::from_secs(1);

impl ConnState {
    /// The connection ended: bodies still waiting for their writers' end hear that
    /// their client left, unless their writers end them within [`LET_GO_GRACE`].
    pub fn ended(&self) {
        let bodies = std::mem::take(&mut *self.let_go.borrow_mut());
        if bodies.is_empty() {
            return;
        }
        tokio::task::spawn_local(async move {
            tokio::time::sleep(LET_GO_GRACE).await;
            for body in bodies {
                body.connection_ended();
            }
        });
    }
}

impl ConnState {
    /// Response data handed to HTTP/2 and not written yet.
    pub fn holds_data(&self) -> bool {
        self.data_handed.get() > self.data_written.get()
    }

    /// The state of a connection whose close lingers after a recent response.
    pub fn watching_done() -> ConnState {
        ConnState {
            watch_done: true,
            ..ConnState::default()
        }
    }
}

/// Counts an exchange as in flight on its connection until it finishes; creating one
/// means a request head was complete.
pub struct ActiveGuard(Rc<ConnState>);

impl ActiveGuard {
    pub fn new(conn: Rc<ConnState>) -> ActiveGuard {
        conn.active.set(conn.active.get() + 1);
        conn.head_started.set(None);
        ActiveGuard(conn)
    }
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.set(self.0.active.get().saturating_sub(1));
        if self.0.watch_done {
            self.0.last_done.set(crate::http::date::coarse_monotonic());
        }
    }
}

impl Exchange {
    pub fn phase(&self) -> Phase {
        self.phase.get()
    }

    /// The response head, once the handler side gives it (for the protocol side).
    pub fn response(&self) -> ResponseWait<'_> {
        ResponseWait(self)
    }

    /// Hands the response head to the protocol side; `false` (and the response
    /// dropped) when it no longer waits or was already answered.
    fn send_head(&self, r: Response<ResponseBody>) -> bool {
        let mut slot = self.head.borrow_mut();
        let HeadSlot::Waiting(waker) = &mut *slot else {
            drop(slot);
            drop(r);
            return false;
        };
        let waker = waker.take();
        *slot = HeadSlot::Sent(r);
        drop(slot);
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    fn head_open(&self) -> bool {
        matches!(*self.head.borrow(), HeadSlot::Waiting(_))
    }

    /// The handler was called for this exchange.
    pub fn mark_dispatched(&self) {
        self.dispatched.set(true);
    }

    pub fn is_head_request(&self) -> bool {
        self.method == http::Method::HEAD
    }

    /// No body goes with a HEAD response, nor with a status that has none (204,
    /// 304), on any protocol (an HTTP/2 DATA frame there is a stream error): what
    /// the handler writes is dropped.
    fn sends_no_body(&self) -> bool {
        self.is_head_request()
            || StatusCode::from_u16(self.status.get()).is_ok_and(crate::http::bodiless)
    }

    pub fn has_body(&self) -> bool {
        match &*self.body.borrow() {
            Some(RequestBody::Hyper(b)) => !http_body::Body::is_end_stream(b),
            // HTTP/3 does not say in advance; a declared zero length does.
            Some(RequestBody::H1(_)) => true,
            Some(RequestBody::H3(_)) => self
                .headers()
                .get(http::header::CONTENT_LENGTH)
                .is_none_or(|v| v != "0"),
            _ => false,
        }
    }

    /// Takes the request body for one read; put it back with [`Exchange::put_body`].
    pub fn take_body(&self) -> Option<RequestBody> {
        self.body.borrow_mut().take()
    }

    pub fn put_body(&self, body: RequestBody) {
        // Back from a read that went on while the exchange finished, unless the body
        // is read on.
        if let Some(completed) = self.finished.get() {
            if self.reading.get() != Reading::ReadOn {
                self.dispose(body, completed);
                return;
            }
            self.last_read.set(crate::http::date::coarse_monotonic());
        }
        *self.body.borrow_mut() = Some(body);
    }

    /// The handler side reads the body (`req` asked for a chunk, or a native pipe
    /// took it): told before the read starts, so that a response completing
    /// meanwhile leaves the body to its reader.
    pub fn mark_read(&self) {
        if self.reading.get() == Reading::Unread {
            self.reading.set(Reading::Read);
        }
    }

    /// The handler side no longer reads the body (`req` destroyed before its end). One
    /// read on after its response is dropped now; otherwise what is left is dealt
    /// with when the response ends, as a body nobody read.
    pub fn let_go_body(&self) {
        self.stop_reading(Reading::Over);
    }

    /// Nobody reads the body any more, and reads find `to` (its end, or an error):
    /// one read on after its response is over ([`Exchange::read_on_ended`]); one
    /// left with the exchange is dealt with when the response ends, as a body
    /// nobody read.
    fn stop_reading(&self, to: Reading) {
        match self.reading.get() {
            Reading::ReadOn => self.read_on_ended(to),
            Reading::Unread | Reading::Read => self.reading.set(to),
            Reading::Over | Reading::Lost(_) => {}
        }
    }

    /// A body read on after its response is over (`to`): what is left of it goes as
    /// the rest of a body the response went without ([`Exchange::dispose`]), the
    /// exchange is forgotten, and a connection waiting for it goes on.
    fn read_on_ended(&self, to: Reading) {
        if self.reading.replace(to) != Reading::ReadOn {
            return;
        }
        let rest = self.body.borrow_mut().take();
        if let Some(rest) = rest {
            self.dispose(rest, true);
        }
        self.active.borrow_mut().take();
        self.read_on_over.notify_one();
        if let Some(w) = self.worker.upgrade() {
            w.forget(self.id);
        }
    }

    /// Drops a body read on after its response; reads fail with `why`, and the
    /// handler side hears it at once (its reader may be paused).
    fn lose_body(&self, why: &'static str) {
        self.read_on_ended(Reading::Lost(why));
        if let Some(w) = self.worker.upgrade() {
            w.push(Event::Aborted(self.id));
        }
    }

    /// The handler side took a chunk of a body read on after its response from its own
    /// buffer: the reader is not idle.
    pub fn body_taken(&self) {
        if self.reads_on() {
            self.last_read.set(crate::http::date::coarse_monotonic());
        }
    }

    /// Whether the body is read on after its response.
    fn reads_on(&self) -> bool {
        self.reading.get() == Reading::ReadOn
    }

    /// Waits while the body is read on after its response.
    pub async fn read_on_done(&self) {
        while self.reads_on() {
            self.read_on_over.notified().await;
        }
    }

    /// The next chunk of the request body (`None` at its end; an error once it failed,
    /// went with its client, or was dropped unread), for the handler side. Where hyper or HTTP/3 carry the body, bytes that
    /// take longer than `--body-timeout-ms` to come fail the read, and a request not
    /// answered yet is answered `408` (weir's HTTP/1.1 driver does the same itself).
    pub async fn read_body(self: &Rc<Self>) -> std::io::Result<Option<Bytes>> {
        let Some(mut body) = self.take_body() else {
            // Gone with its client, or dropped unread: a read now must not look like
            // the body's end (an upload cut short would pass for a whole one).
            if self.phase.get() == Phase::Aborted {
                return Err(client_left());
            }
            if let Reading::Lost(why) = self.reading.get() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    why,
                ));
            }
            return Ok(None);
        };
        let mut trailers = Vec::new();
        let chunk = match &body {
            RequestBody::Hyper(_) | RequestBody::H3(_) => {
                let limit = self
                    .worker
                    .upgrade()
                    .map_or(Duration::from_secs(60), |w| w.limits.body_timeout);
                match tokio::time::timeout(limit, body.next_chunk(&mut trailers)).await {
                    // A malformed body (over HTTP/3: a length at odds with its
                    // Content-Length, or trailers that break the rules): a
                    // request not answered yet gets the answer to a bad request, as
                    // over HTTP/1.1.
                    Ok(Err(e)) if e.kind() == std::io::ErrorKind::InvalidData => {
                        self.answer_body_failure(StatusCode::BAD_REQUEST);
                        Err(e)
                    }
                    Ok(chunk) => chunk,
                    Err(_) => {
                        self.answer_body_failure(StatusCode::REQUEST_TIMEOUT);
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "no bytes of the request body arrived within --body-timeout-ms",
                        ))
                    }
                }
            }
            _ => body.next_chunk(&mut trailers).await,
        };
        self.after_read(body, chunk, trailers)
    }

    /// [`Exchange::read_body`] when the next chunk (or the end) is there without a
    /// wait; `None` otherwise, and nothing is lost: the read that waits goes on
    /// from where this one stopped (a chunk-size line already taken, say).
    pub fn read_body_now(self: &Rc<Self>) -> Option<std::io::Result<Option<Bytes>>> {
        let mut trailers = Vec::new();
        let chunk = self
            .body
            .borrow_mut()
            .as_mut()?
            .next_chunk_now(&mut trailers)?;
        let body = self.take_body()?;
        Some(self.after_read(body, chunk, trailers))
    }

    /// What a read of the body leaves: the body back in place for the next read, or
    /// its end (or failure) noted.
    fn after_read(
        &self,
        body: RequestBody,
        chunk: std::io::Result<Option<Bytes>>,
        trailers: Vec<(Bytes, Bytes)>,
    ) -> std::io::Result<Option<Bytes>> {
        // The HTTP/1.1 driver answers a failed body itself (`400`, `408`), unless the
        // handler did first: the log tells that answer.
        if let (Err(_), RequestBody::H1(h1)) = (&chunk, &body) {
            if let Some(status) = h1.failure().filter(|_| self.head_open()) {
                self.note_own_answer(status);
            }
        }
        if !trailers.is_empty() {
            self.trailers.borrow_mut().extend(trailers);
        }
        match &chunk {
            Ok(Some(_)) => self.put_body(body),
            Ok(None) => self.stop_reading(Reading::Over),
            // A read after a failure fails too, never finds an end.
            Err(_) => self.stop_reading(Reading::Lost("the request body failed before its end")),
        }
        chunk
    }

    /// The request's fields.
    pub fn headers(&self) -> &HeaderMap {
        self.headers.get_or_init(|| {
            crate::http::h1::header_map(self.raw_head.as_ref().expect("fields from a raw head"))
        })
    }

    /// Whether interim (1xx) responses reach this exchange's client: on weir's own
    /// HTTP/1.1 driver (plain TCP; never to an HTTP/1.0 client, RFC 9110 §15.2) and
    /// on HTTP/3. hyper, which drives HTTP/2 and TLS connections, has no way for a
    /// server to send one.
    pub fn informs(&self) -> bool {
        match self.protocol {
            Protocol::Http11 => self.writes_own_head(),
            Protocol::Http3 => true,
            Protocol::Http10 | Protocol::Http2 => false,
        }
    }

    /// Queues an interim (1xx) response to go before the head. `false` when it
    /// cannot go: the protocol has no way to send it ([`Exchange::informs`]), the head
    /// was given already, or [`MAX_INTERIM`] are waiting.
    pub fn inform(&self, response: Response<()>) -> bool {
        if !self.informs() {
            return false;
        }
        let slot = self.head.borrow();
        let HeadSlot::Waiting(waker) = &*slot else {
            return false;
        };
        let mut interim = self.interim.borrow_mut();
        if interim.len() >= MAX_INTERIM {
            return false;
        }
        interim.push_back(response);
        if let Some(w) = waker {
            w.wake_by_ref();
        }
        true
    }

    /// The protocol side's wait for the head that also yields the interim responses
    /// given before it ([`Exchange::inform`]), in order; poll it again after one.
    pub fn heads(&self) -> HeadWait<'_> {
        HeadWait(ResponseWait(self))
    }

    /// Lets (`Some`) or stops (`None`) responses given whole going out from the
    /// handler's call ([`SendWhole`]).
    pub fn send_whole_by(&self, to: Option<Rc<dyn SendWhole>>) {
        *self.direct.borrow_mut() = to;
    }

    /// The response head is written by weir's HTTP/1.1 driver (plain TCP), which takes
    /// its fields serialized; the other protocols take a `HeaderMap`.
    pub fn writes_own_head(&self) -> bool {
        self.raw_head.is_some()
    }

    /// Drops the request body: nobody reads it any more (an exchange aborted, a
    /// native pipe cancelled).
    pub fn drop_body(&self) {
        // One read on is disposed of with the rest of its kind ([`Exchange::stop_reading`]).
        if !self.reads_on() {
            self.body.borrow_mut().take();
        }
        self.stop_reading(Reading::Over);
    }

    /// Sends the response head with a streaming body bounded to `capacity` bytes and
    /// returns its sender. `None` when the exchange can no longer respond.
    pub fn respond(self: &Rc<Self>, response: Response<()>, capacity: usize) -> Option<()> {
        self.respond_with(response, None, capacity)
    }

    /// [`Exchange::respond`], the fields given serialized (only where weir's own
    /// HTTP/1.1 writer sends them: [`Exchange::writes_own_head`]).
    pub fn respond_with(
        self: &Rc<Self>,
        response: Response<()>,
        fields: Option<crate::http::fields::Fields>,
        capacity: usize,
    ) -> Option<()> {
        if !self.can_respond() {
            return None;
        }
        let (tx, rx) = body::channel(capacity);
        tx.on_close(Rc::downgrade(self) as Weak<dyn CloseWatch>);
        if !self.hand_over(response, fields, rx) {
            return None;
        }
        *self.sender.borrow_mut() = Some(tx);
        self.phase.set(Phase::Streaming);
        Some(())
    }

    /// Whether the head can still be sent; an exchange never answered whose protocol
    /// side no longer waits (it went away) is cancelled.
    fn can_respond(self: &Rc<Self>) -> bool {
        if self.head_open() {
            return true;
        }
        if let Some(w) = self.worker.upgrade() {
            w.cancelled(self);
        }
        false
    }

    /// Answers for the handler when its request body failed: `status` if no head was
    /// given yet.
    fn answer_body_failure(self: &Rc<Self>, status: StatusCode) {
        if self.answer_for_handler(status) {
            if let Some(w) = self.worker.upgrade() {
                w.unanswered(self);
            }
        }
    }

    /// A `status` response of weir's own, if no head was given yet; whether it was.
    fn answer_for_handler(self: &Rc<Self>, status: StatusCode) -> bool {
        if !self.head_open() {
            return false;
        }
        self.note_own_answer(status);
        // Watched, as the handler's own bodies are: the access log is written when
        // it has gone out.
        let text = format!("{}\n", status.canonical_reason().unwrap_or(""));
        let len = text.len() as u64;
        // A HEAD response says the length and has no body (over HTTP/2 a DATA frame
        // there is a protocol error).
        let body = (!self.is_head_request()).then(|| Bytes::from(text));
        let mut r = Response::new(body::whole(
            body,
            Rc::downgrade(self) as Weak<dyn CloseWatch>,
        ));
        *r.status_mut() = status;
        plain_text_fields(r.headers_mut(), len);
        self.send_head(r)
    }

    /// Records an answer weir gives in the handler's place, `status` with its reason
    /// phrase for a body (as [`simple_response`] and the HTTP/1.1 driver send it), for
    /// the access log.
    fn note_own_answer(&self, status: StatusCode) {
        self.status.set(status.as_u16());
        let reason = status.canonical_reason().unwrap_or("");
        let body = if self.is_head_request() {
            0
        } else {
            reason.len() as u64 + 1
        };
        self.bytes_out.set(body);
    }

    /// Sends the head with body `rx` to the protocol side; `false` (the exchange
    /// aborted) when it no longer waits.
    fn hand_over(
        &self,
        response: Response<()>,
        fields: Option<crate::http::fields::Fields>,
        mut rx: ResponseBody,
    ) -> bool {
        if let Some(f) = fields {
            rx.set_fields(f);
        }
        // hyper lets go of a body once it has the bytes the head announces: over
        // HTTP/1.1 (TLS) none for HEAD, 204 and 304, else its Content-Length; over
        // HTTP/2 its Content-Length. The body then waits for the handler's end to say
        // how the response went, or for its connection's end ([`ConnState::ended`]).
        // (Not HEAD, 204 or 304 over HTTP/2, whose connection may outlive a handler
        // streaming without end, a live feed, by hours.)
        if !self.writes_own_head() {
            let bodiless = self.is_head_request() || crate::http::bodiless(response.status());
            let len = match self.protocol {
                Protocol::Http11 | Protocol::Http10 if bodiless => Some(0),
                Protocol::Http11 | Protocol::Http10 | Protocol::Http2 if !bodiless => response
                    .headers()
                    .get(http::header::CONTENT_LENGTH)
                    .and_then(|v| crate::http::content_length(v.as_bytes().trim_ascii())),
                _ => None,
            };
            if let Some(len) = len {
                rx.ends_at(len);
            }
        }
        self.status.set(response.status().as_u16());
        let (mut parts, ()) = response.into_parts();
        if self.no_date.get() {
            parts.extensions.insert(NoDate);
        }
        if !self.send_head(Response::from_parts(parts, rx)) {
            self.phase.set(Phase::Aborted);
            return false;
        }
        true
    }

    /// [`Exchange::respond_with`] for a response given whole (`res.end(body)` before
    /// anything was written): the body goes with the head, already ended.
    pub fn respond_whole(
        self: &Rc<Self>,
        response: Response<()>,
        mut fields: Option<crate::http::fields::Fields>,
        body: Option<Bytes>,
    ) -> Option<()> {
        if !self.can_respond() {
            return None;
        }
        // A HEAD response's body is not sent, nor a body for a status without one.
        let mut body =
            body.filter(|_| !self.is_head_request() && !crate::http::bodiless(response.status()));
        let len = body.as_ref().map_or(0, |b| b.len() as u64);
        if self.send_whole(response.status(), &mut fields, &mut body) {
            return Some(());
        }
        let rx = body::whole(body, Rc::downgrade(self) as Weak<dyn CloseWatch>);
        if !self.hand_over(response, fields, rx) {
            return None;
        }
        self.bytes_out.set(len);
        self.phase.set(Phase::Ended);
        Some(())
    }

    /// [`Exchange::respond_whole`] from the handler's call, where the protocol side
    /// allows it ([`SendWhole`]); `false`, with `fields` and `body` left in place,
    /// for the response to go the usual way.
    fn send_whole(
        self: &Rc<Self>,
        status: StatusCode,
        fields: &mut Option<crate::http::fields::Fields>,
        body: &mut Option<Bytes>,
    ) -> bool {
        // Interim responses still queued go first, from the connection's task.
        if !self.interim.borrow().is_empty() {
            return false;
        }
        let Some(direct) = self.direct.borrow().clone() else {
            return false;
        };
        let Some(f) = fields.take() else {
            return false;
        };
        let len = body.as_ref().map_or(0, |b| b.len() as u64);
        let sent = match direct.send_whole(self, status, f, body.take()) {
            Ok(sent) => sent,
            Err((f, b)) => {
                *fields = Some(f);
                *body = b;
                return false;
            }
        };
        self.status.set(status.as_u16());
        self.bytes_out.set(len);
        self.phase.set(Phase::Ended);
        let rest = sent.rest.map(|(head, body)| Unsent {
            head,
            body,
            sent: false,
            taken: 0,
            ex: Rc::downgrade(self),
        });
        let complete = rest.is_none();
        let written = Written {
            keep: sent.keep,
            rest,
        };
        let waker =
            match std::mem::replace(&mut *self.head.borrow_mut(), HeadSlot::Written(written)) {
                HeadSlot::Waiting(w) => w,
                _ => None,
            };
        if complete {
            if let Some(w) = self.worker.upgrade() {
                self.closed(Outcome::Completed, &w);
            }
        }
        if sent.wake || !complete {
            if let Some(w) = waker {
                w.wake();
            }
        }
        true
    }

    /// Queues a body chunk if there is room: `Some(true)` queued, `Some(false)` full,
    /// `None` the client is gone.
    pub fn try_write(&self, chunk: Bytes) -> Option<bool> {
        let sender = self.sender.borrow();
        let sender = sender.as_ref()?;
        if self.sends_no_body() {
            return Some(true);
        }
        let len = chunk.len() as u64;
        match sender.try_send(chunk) {
            Ok(true) => {
                self.bytes_out.set(self.bytes_out.get() + len);
                Some(true)
            }
            Ok(false) => Some(false),
            Err(_) => None,
        }
    }

    /// Queues a file region for the connection to send itself (only where
    /// [`Exchange::sendfile`] is set). `false` when the client is gone.
    pub fn send_file_region(&self, region: crate::http::body::FileRegion) -> bool {
        let sender = self.sender.borrow();
        let Some(sender) = sender.as_ref() else {
            return false;
        };
        if self.sends_no_body() {
            return true;
        }
        let len = region.len;
        if sender.send_file(region).is_err() {
            return false;
        }
        self.bytes_out.set(self.bytes_out.get() + len);
        true
    }

    /// Queues a body chunk, waiting for room. `false` when the client is gone.
    pub async fn write(self: Rc<Self>, chunk: Bytes) -> bool {
        if self.sends_no_body() {
            return true;
        }
        let len = chunk.len() as u64;
        // The sender is moved out while waiting so that the exchange is never
        // borrowed across an await.
        let Some(sender) = self.sender.borrow_mut().take() else {
            return false;
        };
        let ok = sender.send(chunk).await.is_ok();
        if ok {
            self.bytes_out.set(self.bytes_out.get() + len);
        }
        let mut slot = self.sender.borrow_mut();
        if slot.is_none() && self.phase.get() == Phase::Streaming {
            *slot = Some(sender);
        } else if self.phase.get() == Phase::Ended {
            // (Finishing may tell the exchange it closed, which takes the slot.)
            drop(slot);
            sender.finish(None);
        }
        ok
    }

    /// Ends the body (with trailers, where the protocol carries them).
    pub fn end(&self, trailers: Option<HeaderMap>) {
        if self.phase.get() != Phase::Streaming {
            return;
        }
        self.phase.set(Phase::Ended);
        // A response without a body has no trailer section either (as in Node, whose
        // HEAD and 204 responses are not chunked): its trailers are dropped.
        let trailers = trailers.filter(|_| !self.sends_no_body());
        // Taken out first: finishing may tell the exchange it closed (see
        // `ResponseBody::ends_at`). The body needs its sender no more once ended.
        let sender = self.sender.borrow_mut().take();
        if let Some(s) = sender {
            s.finish(trailers);
        }
    }

    /// Gives up on the exchange: a `status` response when no head was sent yet,
    /// otherwise the body is cut with an error (connection close on HTTP/1.1, stream
    /// reset on HTTP/2).
    pub fn abort(self: &Rc<Self>, status: StatusCode) {
        // An answer that goes out whole deals with what is left of the request body
        // once it has ([`Exchange::closed`]).
        if !self.answer_for_handler(status) {
            self.drop_body();
        }
        self.end_aborted();
    }

    /// What every abort ends with: a response body being sent is cut, and the
    /// exchange no longer counts as in flight.
    fn end_aborted(&self) {
        // Taken out first: aborting may tell the exchange it closed.
        let sender = self.sender.borrow_mut().take();
        if let Some(s) = sender {
            s.abort();
        }
        self.phase.set(Phase::Aborted);
        self.active.borrow_mut().take();
    }

    /// The handler destroyed its request or response (Node's `socket.destroy()`): no
    /// answer goes out. One not started ends without any (the HTTP/1.1 connection
    /// closes, an HTTP/2 or HTTP/3 stream is reset); one started is cut as
    /// [`Exchange::abort`] cuts it.
    pub fn cut(&self) {
        // Already answered for, or cut: nothing more to do.
        if self.phase.get() == Phase::Aborted {
            return;
        }
        self.cut.set(true);
        let slot = std::mem::replace(&mut *self.head.borrow_mut(), HeadSlot::Closed);
        let unanswered = matches!(slot, HeadSlot::Waiting(_));
        if let HeadSlot::Waiting(Some(w)) = &slot {
            w.wake_by_ref();
        }
        // A head handed over and not taken yet is dropped here, and its body says so.
        drop(slot);
        self.drop_body();
        self.end_aborted();
        if unanswered {
            // No body will close to say the exchange ended.
            if let Some(w) = self.worker.upgrade() {
                w.forget(self.id);
                w.log(self, false);
            }
        }
    }

    /// Whether [`Exchange::cut`] ended the exchange.
    pub fn was_cut(&self) -> bool {
        self.cut.get()
    }

    fn closed(&self, outcome: Outcome, worker: &Rc<HttpWorker>) {
        let completed = outcome == Outcome::Completed;
        if !completed && self.phase.get() != Phase::Aborted {
            self.phase.set(Phase::Aborted);
            worker.push(Event::Aborted(self.id));
        }
        self.finished.set(Some(completed));
        let sender = self.sender.borrow_mut().take();
        drop(sender);
        // A body being read goes on to its reader after a complete response; the
        // exchange stays known until that ends.
        if completed && self.reading.get() == Reading::Read && worker.read_on(self.id) {
            self.reading.set(Reading::ReadOn);
            self.last_read.set(crate::http::date::coarse_monotonic());
            worker.log(self, completed);
            return;
        }
        if let Some(body) = self.take_body() {
            self.dispose(body, completed);
        }
        self.active.borrow_mut().take();
        worker.forget(self.id);
        worker.log(self, completed);
    }

    /// What becomes of the rest of the request body once the response has gone
    /// (`completed`) or failed: over HTTP/2 it is read and dropped for a while
    /// ([`discard`]), over HTTP/3 the client is asked to stop sending it.
    fn dispose(&self, body: RequestBody, completed: bool) {
        match body {
            RequestBody::H3(mut rest) if completed => rest.stop_unread(),
            RequestBody::Hyper(rest) if completed => {
                // A body declared longer than [`DISCARD_BYTES`] is reset at once:
                // the client stops sending sooner, and hears why with its response.
                let left = http_body::Body::size_hint(&rest).lower();
                if !http_body::Body::is_end_stream(&rest)
                    && left <= DISCARD_BYTES
                    && self.may_discard()
                {
                    tokio::task::spawn_local(discard(rest));
                }
            }
            _ => {}
        }
    }

    /// Whether what is left of a request body nobody read may be read and dropped
    /// after the response: not where hyper reads an HTTP/1.1 body sent after
    /// `100 Continue`, which a first read of it would send, after the response.
    fn may_discard(&self) -> bool {
        self.protocol == Protocol::Http2
            || !self
                .headers()
                .get_all(http::header::EXPECT)
                .iter()
                .any(|v| crate::http::is_continue(v.as_bytes()))
    }

    pub fn status(&self) -> u16 {
        self.status.get()
    }

    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.get()
    }
}

impl CloseWatch for Exchange {
    fn body_closed(&self, outcome: Outcome) {
        if let Some(w) = self.worker.upgrade() {
            self.closed(outcome, &w);
        }
    }

    fn unsent(&self, n: u64) {
        self.bytes_out.set(self.bytes_out.get().saturating_sub(n));
    }
}

/// The most of a request body [`discard`] reads (a body declared longer is not read
/// at all): the HTTP/2 stream window, bytes a client may send before it hears
/// anything back.
const DISCARD_BYTES: u64 = crate::http::server::H2_STREAM_WINDOW as u64;
/// How long [`discard`] waits for the end of a request body.
const DISCARD_TIME: Duration = Duration::from_secs(5);

/// Reads and drops the rest of a request body that hyper carries, once the response
/// went out without reading it (an upload refused, a handler's `500`): a client still
/// sending finishes its request, and reads the response, rather than have its stream
/// reset under it. (RFC 9113 §8.1 allows `RST_STREAM(NO_ERROR)` there; curl 7.88,
/// Debian 12's, then fails the request and drops the response, or, if the reset comes
/// after the whole response, spins.) A body declared longer than [`DISCARD_BYTES`] is
/// not read; one found longer, or not over within [`DISCARD_TIME`], no further: the
/// stream is reset (HTTP/2) or the connection closed (HTTP/1.1).
async fn discard(mut body: hyper::body::Incoming) {
    let deadline = tokio::time::Instant::now() + DISCARD_TIME;
    let mut left = DISCARD_BYTES;
    while let Ok(Some(Ok(frame))) =
        tokio::time::timeout_at(deadline, http_body_util::BodyExt::frame(&mut body)).await
    {
        let n = frame.data_ref().map_or(0, |d| d.len() as u64);
        if n > left {
            return;
        }
        left -= n;
    }
}

/// Watches a request body read on after its response: one its reader leaves untouched
/// for `limit` (`--body-timeout-ms`) is dropped, so that a paused or forgotten reader
/// does not hold the connection (or HTTP/2 or HTTP/3 stream) for ever. A read in flight has its
/// own limit on the client's bytes.
async fn read_on_watch(ex: Weak<Exchange>, limit: Duration) {
    loop {
        let wait = {
            let Some(ex) = ex.upgrade().filter(|ex| ex.reads_on()) else {
                return;
            };
            if ex.body.borrow().is_none() {
                // A read in flight: the client's bytes have their own limit there.
                limit
            } else {
                let idle = crate::http::date::coarse_monotonic().saturating_sub(ex.last_read.get());
                if idle >= limit {
                    ex.lose_body(
                        "the request body was left unread for --body-timeout-ms after its response",
                    );
                    return;
                }
                limit - idle
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// The error of a request-body read after the client went away.
pub fn client_left() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "the client went away before the request body ended",
    )
}

/// A tiny text response for errors produced by weir itself; to a HEAD request
/// (`head`) with the length of that text and no body.
pub fn simple_response(status: StatusCode, text: &str, head: bool) -> Response<ResponseBody> {
    let (tx, rx) = body::channel(text.len().max(1));
    if !head {
        let _ = tx.try_send(Bytes::from(format!("{text}\n")));
    }
    tx.finish(None);
    let mut r = Response::new(rx);
    *r.status_mut() = status;
    plain_text_fields(r.headers_mut(), text.len() as u64 + 1);
    r
}

/// weir's `503` when the handler side gave up on a request without answering it.
pub fn unavailable(head: bool) -> Response<ResponseBody> {
    simple_response(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", head)
}

fn plain_text_fields(fields: &mut HeaderMap, len: u64) {
    fields.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    fields.insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(len));
}

/// What the handler side is told.
pub enum Event {
    Request(Rc<Exchange>),
    /// The client went away before the response was complete.
    Aborted(u32),
}

/// Response-size defaults and per-exchange limits the handler side applies.
#[derive(Clone, Debug)]
pub struct ExchangeLimits {
    /// Bytes a response body may hold between the handler and the socket.
    pub body_buffer: usize,
    /// The longest wait for the next bytes of a request body (`--body-timeout-ms`).
    pub body_timeout: Duration,
    /// Request fields (`--max-headers`), for the protocols whose parser does not count
    /// them itself (HTTP/2 and HTTP/3; weir's and hyper's HTTP/1.1 parsers do).
    pub max_headers: usize,
}

/// A worker's HTTP state, shared by its connections and by the isolate running its
/// handler: the exchanges in flight and the event queue.
/// Exchange ids are sequential integers: they need no hashing.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | b as u64;
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = n as u64;
    }
}

type ExchangeMap = HashMap<u32, Rc<Exchange>, std::hash::BuildHasherDefault<IdHasher>>;

/// Told once whether the handler module loaded.
type ReadyCallback = Box<dyn FnOnce(Result<(), String>)>;

pub struct HttpWorker {
    pub limits: ExchangeLimits,
    /// Whether this worker's connections are TLS (`req.socket.encrypted`).
    pub secure: bool,
    ready: RefCell<Option<ReadyCallback>>,
    exchanges: RefCell<ExchangeMap>,
    /// Exchanges whose response completed while their body is read on ([`Reading`]).
    reading_on: RefCell<ExchangeMap>,
    next_id: Cell<u32>,
    events: RefCell<VecDeque<Event>>,
    waker: RefCell<Option<Waker>>,
    closed: Cell<bool>,
    access_log: bool,
    /// `Alt-Svc` added to HTTP/1.1 and HTTP/2 responses when HTTP/3 is served.
    pub alt_svc: std::cell::OnceCell<http::HeaderValue>,
    /// The worker's file reader (io_uring or the blocking pool), for file responses.
    pub files: std::cell::OnceCell<Rc<crate::io::file::FileReader>>,
    /// Without a handler module: the files served in Rust, with no JavaScript per
    /// request.
    pub native_root: std::cell::OnceCell<Rc<crate::http::files::NativeRoot>>,
    /// Folders files are served from, open once (`sendFile`'s `root`, the built-in
    /// handler's root).
    root_dirs: RefCell<std::collections::HashMap<std::path::PathBuf, crate::io::file::RootDir>>,
}

impl HttpWorker {
    pub fn new(limits: ExchangeLimits, secure: bool, access_log: bool) -> Rc<HttpWorker> {
        Rc::new(HttpWorker {
            limits,
            secure,
            ready: RefCell::new(None),
            exchanges: RefCell::new(ExchangeMap::default()),
            reading_on: RefCell::new(ExchangeMap::default()),
            next_id: Cell::new(0),
            events: RefCell::new(VecDeque::new()),
            waker: RefCell::new(None),
            closed: Cell::new(false),
            // Off when its level is filtered out, so that no clock is read for it.
            access_log: access_log
                && tracing::enabled!(target: "weir::access", tracing::Level::INFO),
            alt_svc: std::cell::OnceCell::new(),
            files: std::cell::OnceCell::new(),
            native_root: std::cell::OnceCell::new(),
            root_dirs: RefCell::new(std::collections::HashMap::new()),
        })
    }

    /// The folder `path`, open, from this worker's cache (up to 64 folders).
    pub fn root_dir(&self, path: &std::path::Path) -> std::io::Result<crate::io::file::RootDir> {
        if let Some(d) = self.root_dirs.borrow().get(path) {
            return Ok(d.clone());
        }
        let dir = crate::io::file::RootDir::open(path)?;
        let mut dirs = self.root_dirs.borrow_mut();
        if dirs.len() >= 64 {
            dirs.clear();
        }
        dirs.insert(path.to_path_buf(), dir.clone());
        Ok(dir)
    }

    /// Registers a new exchange and queues it for the handler. `None` when the worker
    /// no longer takes requests. With `raw_head`, the fields are read from it and
    /// `parts.headers` is not used.
    pub fn begin(
        self: &Rc<Self>,
        parts: http::request::Parts,
        raw_head: Option<Bytes>,
        body: RequestBody,
        (remote, local): (SocketAddr, Option<SocketAddr>),
        active: ActiveGuard,
    ) -> Option<Rc<Exchange>> {
        if self.closed.get() {
            return None;
        }
        let mut id = self.next_id.get().wrapping_add(1);
        while id == 0
            || self.exchanges.borrow().contains_key(&id)
            || self.reading_on.borrow().contains_key(&id)
        {
            id = id.wrapping_add(1);
        }
        self.next_id.set(id);
        let ex = Rc::new(Exchange {
            id,
            protocol: Protocol::from_http(parts.version),
            method: parts.method,
            uri: parts.uri,
            headers: if raw_head.is_some() {
                std::cell::OnceCell::new()
            } else {
                std::cell::OnceCell::from(parts.headers)
            },
            raw_head,
            remote,
            local,
            started: Cell::new(self.access_log.then(Instant::now)),
            body: RefCell::new(Some(body)),
            reading: Cell::new(Reading::Unread),
            last_read: Cell::new(Duration::ZERO),
            read_on_over: tokio::sync::Notify::new(),
            head: RefCell::new(HeadSlot::Waiting(None)),
            worker: Rc::downgrade(self),
            sender: RefCell::new(None),
            phase: Cell::new(Phase::Pending),
            cut: Cell::new(false),
            status: Cell::new(0),
            bytes_out: Cell::new(0),
            active: RefCell::new(Some(active)),
            delivered: Cell::new(false),
            dispatched: Cell::new(false),
            sendfile: Cell::new(false),
            no_date: Cell::new(false),
            interim: RefCell::new(VecDeque::new()),
            trailers: RefCell::new(Vec::new()),
            finished: Cell::new(None),
            direct: RefCell::new(None),
        });
        self.exchanges.borrow_mut().insert(id, ex.clone());
        match (self.native_root.get(), self.files.get()) {
            (Some(root), Some(reader)) => {
                ex.mark_dispatched();
                tokio::task::spawn_local(crate::http::files::serve_root(
                    self.clone(),
                    ex.clone(),
                    reader.clone(),
                    root.clone(),
                ));
            }
            _ => self.push(Event::Request(ex.clone())),
        }
        Some(ex)
    }

    /// [`HttpWorker::cancelled`], where the protocol side answers the request itself
    /// (a request body that failed gets `400` or `408`): the access log gives that
    /// answer's status and body bytes.
    pub fn answered_for(&self, ex: &Exchange, status: StatusCode) {
        // Also when the handler's head waits untaken: the protocol side's answer
        // replaces it.
        ex.note_own_answer(status);
        self.cancelled(ex);
    }

    /// The protocol side dropped an exchange before a response head was sent (the
    /// client went away).
    pub fn cancelled(&self, ex: &Exchange) {
        if ex.phase.get() == Phase::Pending {
            let old = std::mem::replace(&mut *ex.head.borrow_mut(), HeadSlot::Closed);
            drop(old);
            self.unanswered(ex);
        }
    }

    /// An exchange ends before the handler answered (the protocol side answers, or no
    /// one does): the handler side hears that its request was aborted.
    fn unanswered(&self, ex: &Exchange) {
        if ex.phase.get() == Phase::Pending {
            ex.phase.set(Phase::Aborted);
            ex.drop_body();
            ex.active.borrow_mut().take();
            self.push(Event::Aborted(ex.id));
            self.forget(ex.id);
            self.log(ex, false);
        }
    }

    /// Sets what to call when the handler module has loaded (or failed to).
    pub fn on_ready(&self, f: impl FnOnce(Result<(), String>) + 'static) {
        *self.ready.borrow_mut() = Some(Box::new(f));
    }

    pub fn report_ready(&self, result: Result<(), String>) {
        if let Some(f) = self.ready.borrow_mut().take() {
            f(result);
        }
    }

    /// Tells the handler side that weir itself ended exchange `id`. The exchange stays
    /// known until its response body closes (weir's own answer, or the handler's cut
    /// short): that close, or the client's going, forgets and logs it.
    pub fn notify_aborted(&self, id: u32) {
        self.push(Event::Aborted(id));
    }

    /// Exchanges handed to the handler side whose handler was never called (their
    /// batch was cut short).
    pub fn undispatched(&self) -> Vec<Rc<Exchange>> {
        self.exchanges
            .borrow()
            .values()
            .filter(|e| e.delivered.get() && !e.dispatched.get())
            .cloned()
            .collect()
    }

    pub fn get(&self, id: u32) -> Option<Rc<Exchange>> {
        let found = self.exchanges.borrow().get(&id).cloned();
        found.or_else(|| self.reading_on.borrow().get(&id).cloned())
    }

    fn forget(&self, id: u32) {
        let gone = self.exchanges.borrow_mut().remove(&id);
        if gone.is_none() {
            self.reading_on.borrow_mut().remove(&id);
        }
    }

    /// Exchange `id`'s response completed with its body being read: it is read on,
    /// its reader's idle time watched. `false` for an exchange no longer known.
    fn read_on(&self, id: u32) -> bool {
        let Some(ex) = self.exchanges.borrow_mut().remove(&id) else {
            return false;
        };
        tokio::task::spawn_local(read_on_watch(Rc::downgrade(&ex), self.limits.body_timeout));
        self.reading_on.borrow_mut().insert(id, ex);
        true
    }

    /// Exchanges whose response is not over (waited for, or going out); not those
    /// whose body is read on after a response that went.
    pub fn answering(&self) -> usize {
        self.exchanges.borrow().len()
    }

    /// The shutdown's last grace ran out: every response not over yet is logged as
    /// not completed, with the bytes counted so far, since its connection goes with
    /// the worker. (A body read on after its response was logged with it.)
    pub fn give_up(&self) {
        let left: Vec<Rc<Exchange>> = self.exchanges.borrow().values().cloned().collect();
        for ex in &left {
            self.log(ex, false);
        }
    }

    /// Exchanges not over: those waiting for or sending their response, and those
    /// whose request body is read on after it.
    pub fn in_flight(&self) -> usize {
        self.exchanges.borrow().len() + self.reading_on.borrow().len()
    }

    fn push(&self, e: Event) {
        self.events.borrow_mut().push_back(e);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Waits for events and returns up to `max` of them; an empty batch means the
    /// worker is shutting down and no more requests will come.
    pub async fn next_events(self: Rc<Self>, max: usize) -> Vec<Event> {
        std::future::poll_fn(|cx| {
            let mut q = self.events.borrow_mut();
            if !q.is_empty() {
                let n = q.len().min(max);
                let batch: Vec<Event> = q.drain(..n).collect();
                for e in &batch {
                    if let Event::Request(ex) = e {
                        ex.delivered.set(true);
                    }
                }
                return Poll::Ready(batch);
            }
            if self.closed.get() {
                return Poll::Ready(Vec::new());
            }
            *self.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Stops taking requests (graceful shutdown); exchanges in flight go on.
    pub fn close(&self) {
        self.closed.set(true);
        if let Some(w) = self.waker.borrow_mut().take() {
            w.wake();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.get()
    }

    /// Aborts the exchanges in flight that the handler side answers (its isolate is
    /// gone, or the shutdown timeout is up): `status` for those not answered yet, the
    /// others cut. With `all` false, responses that are whole on weir's side (the
    /// protocol is still sending them) and those of the built-in file handler, which
    /// need no isolate, go on to their end.
    pub fn abort_in_flight(&self, status: StatusCode, all: bool) {
        // A worker without a handler module serves every request in Rust.
        let builtin = self.native_root.get().is_some();
        let cut: Vec<Rc<Exchange>> = self
            .exchanges
            .borrow()
            .values()
            .filter(|ex| all || !(builtin || ex.phase.get() == Phase::Ended))
            .cloned()
            .collect();
        // Each is forgotten (and logged) when its response body closes: weir's own
        // answer once sent, a cut one at once.
        for ex in cut {
            ex.abort(status);
        }
        // Those left to finish have no reader any more (a read in flight went with
        // the isolate): their bodies are not read on.
        let left: Vec<Rc<Exchange>> = self.exchanges.borrow().values().cloned().collect();
        for ex in left {
            ex.let_go_body();
        }
        let read_on: Vec<Rc<Exchange>> = self.reading_on.borrow().values().cloned().collect();
        for ex in read_on {
            ex.lose_body("the request body was dropped: the server is shutting down, or the handler's isolate was replaced");
        }
        self.events.borrow_mut().clear();
    }

    /// weir's answer to a request it refuses before the handler sees it (over
    /// hyper's connections and HTTP/3), logged as refused.
    pub fn refuse(
        &self,
        parts: &http::request::Parts,
        status: StatusCode,
        remote: SocketAddr,
    ) -> Response<ResponseBody> {
        let reason = status.canonical_reason().unwrap_or("");
        let bytes = if parts.method == http::Method::HEAD {
            0
        } else {
            reason.len() + 1
        };
        let protocol = Protocol::from_http(parts.version).as_str();
        self.log_refusal(protocol, Some(parts), status, bytes, None, remote);
        simple_response(status, reason, parts.method == http::Method::HEAD)
    }

    /// The access-log line of a request refused before it became an exchange. From a
    /// malformed or oversized head (`request` `None`) what could be read is not
    /// logged, only that it was refused, with what status, to whom; a request whose
    /// head was whole but broke a rule (too many fields, `CONNECT`...) is logged with
    /// its method and path.
    pub fn log_refusal(
        &self,
        protocol: &str,
        request: Option<&http::request::Parts>,
        status: StatusCode,
        bytes: usize,
        since: Option<Instant>,
        remote: SocketAddr,
    ) {
        if !self.access_log {
            return;
        }
        let ms = since.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1e3);
        let method = request.map_or("-", |r| r.method.as_str());
        let path = request.map_or("-", |r| r.uri.path_and_query().map_or("/", |p| p.as_str()));
        tracing::info!(
            target: "weir::access",
            method = %method,
            path = %path,
            protocol,
            status = status.as_u16(),
            bytes,
            ms = format_args!("{ms:.3}"),
            remote = %remote,
            completed = true,
            refused = true,
        );
    }

    /// The access-log line of a finished exchange.
    fn log(&self, ex: &Exchange, completed: bool) {
        // One line per exchange, whichever way it ends first (a failed body is
        // logged when the protocol side answers for it, not again when that answer
        // goes out).
        let Some(started) = ex.started.take().filter(|_| self.access_log) else {
            return;
        };
        let elapsed: Duration = started.elapsed();
        tracing::info!(
            target: "weir::access",
            method = %ex.method,
            path = %ex.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
            protocol = ex.protocol.as_str(),
            status = ex.status.get(),
            bytes = ex.bytes_out.get(),
            ms = format_args!("{:.3}", elapsed.as_secs_f64() * 1e3),
            remote = %ex.remote,
            completed,
        );
    }
}
