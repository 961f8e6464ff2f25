//! Accepting connections and driving HTTP/1.1 and HTTP/2 on them: plain TCP (weir's
//! own HTTP/1.1 in `h1`, or HTTP/2 by prior knowledge with hyper) and TLS (hyper, ALPN
//! `h2` / `http/1.1`).
//! Every limit is set here explicitly; none is left at a library default without a
//! line saying so. Requests become [`Exchange`]s handed to the worker's handler.

use crate::http::exchange::{unavailable, ActiveGuard, ConnState, HttpWorker, RequestBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::watch;

/// Connection-level limits (CLI flags; defaults in `crate::server::config`).
#[derive(Clone, Debug)]
pub struct ConnLimits {
    /// Request head bytes (request line + headers); past it: 431.
    pub max_header_bytes: usize,
    /// Request header count; past it: 431.
    pub max_headers: usize,
    /// Time for a client to send a complete request head (and the TLS handshake):
    /// from the first byte of a head to its end; past it the connection is closed.
    pub header_timeout: Duration,
    /// A connection with nothing in flight and no traffic for this long is closed.
    pub idle_timeout: Duration,
    /// The longest wait for the next bytes of a request body being read; past it
    /// the read fails (`408` if the request is not answered yet). weir's HTTP/1.1
    /// driver applies it itself; for the other protocols, `Exchange::read_body`.
    pub body_timeout: Duration,
    /// The longest a connection may wait for its client to take bytes of a response
    /// (its writes make no progress, or HTTP/2 data waits for the client's window);
    /// past it the connection is closed (nginx's `send_timeout`).
    pub send_timeout: Duration,
    /// Connections one worker serves at once; past it the worker stops accepting
    /// (clients wait in the kernel's backlog).
    pub max_connections: usize,
    pub h2_max_concurrent_streams: u32,
    pub h2_max_header_list_size: u32,
    /// HTTP/2 "Rapid Reset" budget: streams a client may open and reset before the
    /// server answers, and error resets a connection may cause, before GOAWAY.
    pub h2_max_pending_accept_reset_streams: usize,
    pub h2_max_local_error_reset_streams: usize,
    /// Plain-TCP HTTP/1.1 file bodies go out with `sendfile(2)` (nginx's
    /// `sendfile on`); `false` reads them into buffers, as TLS, HTTP/2 and HTTP/3 do.
    pub sendfile: bool,
}

/// A worker's "stop taking requests" for the connections weir drives itself: a flag,
/// and the wakers of the connections waiting between requests. A busy connection
/// polls it once per request, which costs no atomic operation or lock here (a
/// `watch` receiver's would).
#[derive(Default)]
pub struct Stopping {
    stopped: Cell<bool>,
    waiters: std::cell::RefCell<Waiters>,
}

#[derive(Default)]
struct Waiters {
    slots: Vec<Option<std::task::Waker>>,
    free: Vec<usize>,
}

impl Stopping {
    pub fn is_set(&self) -> bool {
        self.stopped.get()
    }

    /// Sets the flag and wakes every connection waiting on it.
    pub fn set(&self) {
        self.stopped.set(true);
        let wakers: Vec<_> = {
            let mut w = self.waiters.borrow_mut();
            w.slots.iter_mut().filter_map(Option::take).collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }

    /// Resolves once the flag is set.
    pub fn wait(self: &Rc<Self>) -> StopWait {
        StopWait {
            signal: self.clone(),
            slot: None,
        }
    }
}

pub struct StopWait {
    signal: Rc<Stopping>,
    slot: Option<usize>,
}

impl Future for StopWait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.signal.is_set() {
            return Poll::Ready(());
        }
        let mut w = self.signal.waiters.borrow_mut();
        match self.slot {
            Some(i) => match &mut w.slots[i] {
                Some(old) if old.will_wake(cx.waker()) => {}
                other => *other = Some(cx.waker().clone()),
            },
            None => {
                let waker = Some(cx.waker().clone());
                let i = match w.free.pop() {
                    Some(i) => {
                        w.slots[i] = waker;
                        i
                    }
                    None => {
                        w.slots.push(waker);
                        w.slots.len() - 1
                    }
                };
                drop(w);
                self.slot = Some(i);
            }
        }
        Poll::Pending
    }
}

impl Drop for StopWait {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            let mut w = self.signal.waiters.borrow_mut();
            w.slots[i] = None;
            w.free.push(i);
        }
    }
}

/// Runs a worker's accept loop until `shutdown` turns true, then lets the open
/// connections finish (graceful shutdown: no new requests, in-flight ones complete).
/// Dropped, it closes the connections still open.
pub async fn serve(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    worker: Rc<HttpWorker>,
    limits: Rc<ConnLimits>,
    mut shutdown: watch::Receiver<bool>,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let stopping = Rc::new(Stopping::default());
    let open = Rc::new(Cell::new(0usize));
    let slot_freed = Rc::new(tokio::sync::Notify::new());
    let mut conns = tokio::task::JoinSet::new();
    loop {
        while open.get() >= limits.max_connections {
            tokio::select! {
                _ = slot_freed.notified() => {}
                _ = shutdown.changed() => {}
            }
            if *shutdown.borrow() {
                break;
            }
        }
        if *shutdown.borrow() {
            break;
        }
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => continue,
        };
        let (stream, remote) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // EMFILE and friends: back off instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        open.set(open.get() + 1);
        let conn = serve_connection(
            stream,
            remote,
            tls.clone(),
            worker.clone(),
            limits.clone(),
            graceful.watcher(),
            stopping.clone(),
        );
        let open = open.clone();
        let slot_freed = slot_freed.clone();
        // Held in `conns`, so that the connections close when this loop is dropped
        // (the shutdown timeout ran out); finished ones are let go of as others come.
        while conns.try_join_next().is_some() {}
        conns.spawn_local(async move {
            conn.await;
            open.set(open.get() - 1);
            slot_freed.notify_one();
        });
    }
    drop(listener);
    stopping.set();
    graceful.shutdown().await;
    // Connections weir drives itself finish their response, then close.
    while open.get() > 0 {
        slot_freed.notified().await;
    }
}

fn builder(limits: &ConnLimits) -> auto::Builder<LocalExec> {
    let mut b = auto::Builder::new(LocalExec);
    let mut h1 = b.http1();
    // The head timeout is enforced per connection by `ConnIo` (hyper's own arms a
    // timer for every request, which costs more than the rest of a small request).
    h1.timer(TokioTimer::new()).header_read_timeout(None);
    // `handle` adds the Date header itself, unless the handler asked for none. (The
    // 400 and 431 hyper writes itself over TLS then go without one.)
    h1.auto_date_header(false);
    // hyper's own limit is 100 headers, parsed into a stack array; any other value
    // makes it allocate the array on the heap for every request, so it is only set
    // when it differs.
    if limits.max_headers != 100 {
        h1.max_headers(limits.max_headers);
    }
    h1
        // The read buffer is where a request head must fit: past it hyper answers 431.
        // (It also caps one read of a body, which is harmless.) hyper's minimum: 8 KiB.
        .max_buf_size(limits.max_header_bytes.max(8192))
        .keep_alive(true);
    b.http2()
        .timer(TokioTimer::new())
        .auto_date_header(false)
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        .max_header_list_size(limits.h2_max_header_list_size)
        .max_pending_accept_reset_streams(limits.h2_max_pending_accept_reset_streams)
        .max_local_error_reset_streams(limits.h2_max_local_error_reset_streams)
        // Windows sized for fast links: 1 MiB per stream, 16 MiB per connection
        // (h2's defaults of 64 KiB cap a stream at 64 KiB per round trip).
        .initial_stream_window_size(H2_STREAM_WINDOW)
        .initial_connection_window_size(16 << 20)
        // Bytes hyper buffers per stream beyond the flow-control window: 256 KiB.
        .max_send_buf_size(256 << 10)
        .max_frame_size(16 << 10)
        // Fixed windows (the sizes above), not grown by bandwidth-delay estimates.
        .adaptive_window(false)
        .keep_alive_interval(Some(Duration::from_secs(20)))
        .keep_alive_timeout(Duration::from_secs(20));
    // Left at h2's defaults, which hyper-util 0.1's builder does not expose: the HPACK
    // table the client may use to compress its fields (4 KiB), and streams this side
    // reset, remembered (to ignore their late frames) up to 50 at once for 1 s each.
    // Extended CONNECT (RFC 8441) stays off.
    b
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    worker: Rc<HttpWorker>,
    limits: Rc<ConnLimits>,
    watcher: hyper_util::server::graceful::Watcher,
    stopping: Rc<Stopping>,
) {
    let conn = Rc::new(ConnState::watching_done());
    let b = builder(&limits);
    let svc_worker = worker.clone();
    let svc_conn = conn.clone();
    let local = stream.local_addr().ok();
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        handle(req, (remote, local), svc_worker.clone(), svc_conn.clone())
    });
    match tls {
        None => {
            // HTTP/2 by prior knowledge starts with its connection preface; anything
            // else is HTTP/1.1, which weir drives itself.
            let Some(initial) = sniff(&stream, &limits).await else {
                return;
            };
            if !initial.starts_with(H2_PREFACE) {
                crate::http::h1::serve(stream, remote, worker, limits, stopping, initial).await;
                return;
            }
            let (tcp, shared) = crate::http::coalesce::CoalescingTcp::new(stream, initial.freeze());
            let io = TokioIo::new(ConnIo::new(
                tcp,
                conn.clone(),
                limits.idle_timeout,
                limits.header_timeout,
                limits.send_timeout,
            ));
            let served = watcher.watch(b.http2_only().serve_connection(io, service).into_owned());
            let ended = conn.clone();
            let _ =
                crate::http::coalesce::FlushAfter::new(served, shared, conn, limits.idle_timeout)
                    .await;
            ended.ended();
        }
        Some(acceptor) => {
            let (tcp, shared) =
                crate::http::coalesce::CoalescingTcp::new(stream, bytes::Bytes::new());
            let accept = acceptor.accept(tcp).into_fallible();
            let tls_stream = match tokio::time::timeout(limits.header_timeout, accept).await {
                Ok(Ok(s)) => s,
                Ok(Err((e, mut tcp))) => {
                    // The alert rustls wrote (`no_application_protocol`,
                    // `protocol_version`...) is still in the gathering buffer:
                    // the client gets it rather than a bare close.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        tokio::io::AsyncWriteExt::flush(&mut tcp),
                    )
                    .await;
                    tracing::debug!(%remote, "TLS handshake failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            // The protocol ALPN settled is the one spoken (RFC 9113 §3.2): an HTTP/1.1
            // request after `h2` is a connection error, not a request. A client that
            // offered no ALPN is told apart by its first bytes.
            let b = match tls_stream.get_ref().1.alpn_protocol() {
                Some(b"h2") => b.http2_only(),
                Some(b"http/1.1") => b.http1_only(),
                _ => b,
            };
            let io = TokioIo::new(ConnIo::new(
                tls_stream,
                conn.clone(),
                limits.idle_timeout,
                limits.header_timeout,
                limits.send_timeout,
            ));
            let served = watcher.watch(b.serve_connection(io, service).into_owned());
            let ended = conn.clone();
            let _ =
                crate::http::coalesce::FlushAfter::new(served, shared, conn, limits.idle_timeout)
                    .await;
            ended.ended();
        }
    }
}

/// The handler cut its exchange before answering (`req.destroy()`): hyper resets the
/// HTTP/2 stream (`INTERNAL_ERROR`) or closes the HTTP/1.1 connection, with no answer.
#[derive(Debug)]
pub struct Cut;

impl std::fmt::Display for Cut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the handler destroyed the request before answering")
    }
}

impl std::error::Error for Cut {}

/// hyper's service: the answer, with the `Date` header weir adds to every response
/// (hyper's own is off, so that `res.sendDate = false` can leave it out).
async fn handle(
    req: hyper::Request<Incoming>,
    peer: (SocketAddr, Option<SocketAddr>),
    worker: Rc<HttpWorker>,
    conn: Rc<ConnState>,
) -> Result<hyper::Response<crate::http::body::ResponseBody>, Cut> {
    let counted = conn.clone();
    let mut response = answer(req, peer, worker, conn).await.ok_or(Cut)?;
    crate::http::exchange::add_date(&mut response);
    response.body_mut().count_handed(counted);
    Ok(response)
}

/// Registers the exchange with the worker and waits for the handler's response head.
/// If hyper drops this future (the client went away), the guard tells the handler side.
async fn answer(
    req: hyper::Request<Incoming>,
    peer: (SocketAddr, Option<SocketAddr>),
    worker: Rc<HttpWorker>,
    conn: Rc<ConnState>,
) -> Option<hyper::Response<crate::http::body::ResponseBody>> {
    let (parts, body) = req.into_parts();
    if parts.version == hyper::Version::HTTP_11 && !parts.headers.contains_key(hyper::header::HOST)
    {
        // RFC 9112 §3.2, as on plain TCP (see `h1::parse_head`).
        return Some(worker.refuse(&parts, hyper::StatusCode::BAD_REQUEST, peer.0));
    }
    if let Some(status) = crate::http::refusal(&parts, worker.limits.max_headers) {
        let mut refused = worker.refuse(&parts, status, peer.0);
        if parts.method == hyper::Method::CONNECT && parts.version < hyper::Version::HTTP_2 {
            // Over HTTP/1.1 the bytes after CONNECT are meant for the far end: the
            // connection closes rather than read them as requests.
            refused.headers_mut().insert(
                hyper::header::CONNECTION,
                hyper::header::HeaderValue::from_static("close"),
            );
        }
        return Some(refused);
    }
    let body = if http_body::Body::is_end_stream(&body) {
        RequestBody::Empty
    } else {
        RequestBody::Hyper(body)
    };
    let head = parts.method == hyper::Method::HEAD;
    let Some(ex) = worker.begin(parts, None, body, peer, ActiveGuard::new(conn)) else {
        return Some(unavailable(head));
    };
    struct Cancel(Option<(Rc<HttpWorker>, Rc<crate::http::exchange::Exchange>)>);
    impl Drop for Cancel {
        fn drop(&mut self) {
            if let Some((w, ex)) = self.0.take() {
                w.cancelled(&ex);
            }
        }
    }
    let alt_svc = worker.alt_svc.get().cloned();
    let mut cancel = Cancel(Some((worker, ex.clone())));
    let mut response = match ex.response().await {
        Some(r) => r,
        None if ex.was_cut() => {
            cancel.0.take();
            return None;
        }
        // The handler side gave up on the exchange without answering: the request was
        // not served.
        None => unavailable(head),
    };
    cancel.0.take();
    if let Some(v) = alt_svc {
        // A handler's own Alt-Svc wins.
        response
            .headers_mut()
            .entry(hyper::header::ALT_SVC)
            .or_insert(v);
    }
    Some(response)
}

/// The HTTP/2 flow-control window of each stream: 1 MiB.
pub(crate) const H2_STREAM_WINDOW: u32 = 1 << 20;

const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads a new connection's first bytes, enough to tell HTTP/2's preface from an
/// HTTP/1.1 request; `None` when the client sends nothing in time or goes away.
async fn sniff(stream: &tokio::net::TcpStream, limits: &ConnLimits) -> Option<bytes::BytesMut> {
    let mut buf = bytes::BytesMut::with_capacity(16 * 1024);
    let mut deadline = tokio::time::Instant::now() + limits.idle_timeout;
    loop {
        let ready = tokio::time::timeout_at(deadline, stream.readable()).await;
        if !matches!(ready, Ok(Ok(()))) {
            return None;
        }
        let was_empty = buf.is_empty();
        match stream.try_read_buf(&mut buf) {
            Ok(0) => return None,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
        if was_empty {
            // From the first byte, the head timeout.
            deadline = tokio::time::Instant::now() + limits.header_timeout;
        }
        let n = buf.len().min(H2_PREFACE.len());
        if buf[..n] != H2_PREFACE[..n] || buf.len() >= H2_PREFACE.len() {
            return Some(buf);
        }
    }
}

/// Runs hyper's HTTP/2 stream tasks on the worker's own thread: exchanges hold
/// `Rc`s, and nothing of a worker ever moves to another thread.
#[derive(Clone, Copy)]
pub struct LocalExec;

impl<F> hyper::rt::Executor<F> for LocalExec
where
    F: Future + 'static,
{
    fn execute(&self, fut: F) {
        tokio::task::spawn_local(fut);
    }
}

/// A connection's byte stream with its two timers, kept on one `Sleep`:
/// - idle: when no exchange is in flight and no byte moved for a whole `idle` period,
///   the connection is closed (keep-alive timeout); activity is a flag, not a clock
///   read per read or write, so an idle connection closes between `idle` and
///   `2 × idle` after its last byte;
/// - head: from the first byte of a request head, the head must be complete within
///   `head` (slow-loris protection), however slowly its bytes trickle in.
///
/// Either one makes reads fail with `TimedOut`, and hyper closes the connection.
pub struct ConnIo<T> {
    inner: T,
    conn: Rc<ConnState>,
    idle: Duration,
    head: Duration,
    moved: bool,
    timer: Pin<Box<tokio::time::Sleep>>,
    /// Whether the client spoke HTTP/2 (its first bytes were the preface); unknown
    /// until the first read.
    h2: Option<bool>,
    /// Where the bytes written stand in HTTP/2's frames (counted from the first byte:
    /// the server's SETTINGS may go before the client's preface is read).
    frames: FrameWalk,
    /// The client's HTTP/2 frames, checked as they arrive (see [`Inbound`]).
    inbound: Inbound,
    /// The last write waited for room: the client is not reading what the server
    /// has to send (over HTTP/1.1, the rest of a response handed over whole).
    blocked: bool,
    /// Timer periods in a row in which bytes waited for the client and none of them
    /// went, against `send` (the send timeout).
    stalled: u32,
    /// Response bytes went during this timer period: over HTTP/2 DATA payload (a
    /// client's pings, answered, are no progress), otherwise any write.
    sent: bool,
    send: Duration,
}

/// Where an HTTP/2 byte stream stands in its frames: the 9-byte header of the
/// current frame, and how much of its payload is still to come.
#[derive(Default)]
struct FrameWalk {
    header: [u8; 9],
    have: usize,
    len: usize,
    left: usize,
}

impl FrameWalk {
    /// Takes the next bytes of the stream, calling `payload(header, offset, run)` for
    /// each run of a frame's payload (`offset`: where the run starts in it); stops,
    /// `false`, as soon as `payload` does.
    fn walk(
        &mut self,
        mut bytes: &[u8],
        mut payload: impl FnMut(&[u8; 9], usize, &[u8]) -> bool,
    ) -> bool {
        while !bytes.is_empty() {
            if self.left > 0 {
                let n = self.left.min(bytes.len());
                let offset = self.len - self.left;
                self.left -= n;
                if !payload(&self.header, offset, &bytes[..n]) {
                    return false;
                }
                bytes = &bytes[n..];
            } else {
                let n = (9 - self.have).min(bytes.len());
                self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
                self.have += n;
                bytes = &bytes[n..];
                if self.have == 9 {
                    let h = &self.header;
                    self.have = 0;
                    self.len =
                        (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                    self.left = self.len;
                }
            }
        }
        true
    }
}

/// Watches the frames an HTTP/2 client sends:
/// - for a HEADERS frame whose priority depends on its own stream. The h2 crate resets
///   that stream before it decodes the frame's field block, so its HPACK table no
///   longer matches the client's, and later requests on the connection would get the
///   wrong field values (RFC 9113 §4.3 makes an undecoded block a connection error).
///   Such a connection is closed.
/// - for request heads (HEADERS and CONTINUATION frames), from which the head timeout
///   runs: other frames (window updates, pings, settings) are not a request.
#[derive(Default)]
struct Inbound {
    /// Bytes of the client preface still to pass.
    preface: usize,
    frames: FrameWalk,
    /// A HEADERS or CONTINUATION frame arrived since this was last cleared.
    headers: bool,
    /// A field block is open: its HEADERS frame came without END_HEADERS, and the
    /// CONTINUATION that ends it has not come yet.
    block: bool,
    /// The start of a prioritized HEADERS payload: pad length (when padded), then
    /// the stream it depends on.
    peek: [u8; 5],
}

impl Inbound {
    fn after_preface() -> Inbound {
        Inbound {
            preface: H2_PREFACE.len(),
            ..Inbound::default()
        }
    }

    /// Takes the next bytes read; `false` when they hold a self-dependent HEADERS.
    fn take(&mut self, bytes: &[u8]) -> bool {
        let skip = self.preface.min(bytes.len());
        self.preface -= skip;
        let (peek, headers, block) = (&mut self.peek, &mut self.headers, &mut self.block);
        self.frames.walk(&bytes[skip..], |h, offset, run| {
            // HEADERS is type 1, CONTINUATION 9 (a field block fragment is never
            // empty, so its payload shows); END_HEADERS is flag 0x4.
            if h[3] != 1 && h[3] != 9 {
                return true;
            }
            *headers = true;
            *block = h[4] & 0x4 == 0;
            // HEADERS with the PRIORITY flag (0x20); PADDED is 0x8.
            if h[3] != 1 || h[4] & 0x20 == 0 {
                return true;
            }
            let need = 4 + usize::from(h[4] & 0x8 != 0);
            if offset >= need {
                return true;
            }
            let k = (need - offset).min(run.len());
            peek[offset..offset + k].copy_from_slice(&run[..k]);
            if offset + k < need {
                return true;
            }
            let d = &peek[need - 4..need];
            let dependency = u32::from_be_bytes([d[0] & 0x7f, d[1], d[2], d[3]]);
            dependency != u32::from_be_bytes([h[5] & 0x7f, h[6], h[7], h[8]])
        })
    }
}

impl<T> ConnIo<T> {
    pub fn new(
        inner: T,
        conn: Rc<ConnState>,
        idle: Duration,
        head: Duration,
        send: Duration,
    ) -> Self {
        let first = idle.min(head);
        ConnIo {
            inner,
            conn,
            idle,
            head,
            moved: false,
            timer: Box::pin(tokio::time::sleep(first)),
            h2: None,
            frames: FrameWalk::default(),
            inbound: Inbound::default(),
            blocked: false,
            stalled: 0,
            sent: false,
            send,
        }
    }

    /// An exchange is in flight, or bytes wait for the client.
    fn busy(&self) -> bool {
        self.conn.active.get() > 0 || self.waits_for_client()
    }

    /// Bytes wait for the client: writes wait for room, or HTTP/2 holds response
    /// data for the client's window.
    fn waits_for_client(&self) -> bool {
        self.blocked || (self.h2 == Some(true) && self.conn.holds_data())
    }

    /// Counts the DATA payload among bytes written (weir never pads DATA frames).
    fn wrote(&mut self, written: &[u8]) {
        if self.h2 != Some(true) {
            self.sent = true;
        }
        let mut data = 0u64;
        self.frames.walk(written, |h, _, run| {
            if h[3] == 0 {
                data += run.len() as u64;
            }
            true
        });
        if data > 0 {
            self.sent = true;
            self.conn
                .data_written
                .set(self.conn.data_written.get() + data);
        }
    }

    /// Whether a timer expired; otherwise re-arms the shared `Sleep` for the nearer one.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return false;
            }
            let now = tokio::time::Instant::now();
            let busy = self.busy();
            let head_deadline = match self.conn.head_started.get() {
                Some(started) if !busy => {
                    let deadline = tokio::time::Instant::from_std(started + self.head);
                    if deadline <= now {
                        return true;
                    }
                    Some(deadline)
                }
                _ => None,
            };
            if !self.moved && !busy {
                return true;
            }
            // The send timeout, counted in whole timer periods (no clock per write).
            // Reads are no progress there: a client that pings while its window
            // stays shut is still not taking the response.
            if !std::mem::take(&mut self.sent) && self.waits_for_client() {
                self.stalled += 1;
                if self.idle * self.stalled >= self.send {
                    return true;
                }
            } else {
                self.stalled = 0;
            }
            self.moved = false;
            let idle_deadline = now + self.idle;
            let next = head_deadline.map_or(idle_deadline, |h| h.min(idle_deadline));
            self.timer.as_mut().reset(next);
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ConnIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.moved = true;
                    if self.h2.is_none() {
                        let first = &buf.filled()[before..];
                        let n = first.len().min(H2_PREFACE.len());
                        self.h2 = Some(first[..n] == H2_PREFACE[..n]);
                        self.inbound = Inbound::after_preface();
                    }
                    if self.h2 == Some(true) && !self.inbound.take(&buf.filled()[before..]) {
                        return Poll::Ready(Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            "an HTTP/2 HEADERS frame depends on its own stream (its field block would go undecoded)",
                        )));
                    }
                    // Bytes while nothing is in flight: a request head is arriving
                    // (over HTTP/2, only HEADERS frames and those of a field block
                    // still open are one).
                    let head = match self.h2 {
                        Some(true) => {
                            std::mem::take(&mut self.inbound.headers) || self.inbound.block
                        }
                        _ => true,
                    };
                    if head && !self.busy() && self.conn.head_started.get().is_none() {
                        self.conn.head_started.set(Some(std::time::Instant::now()));
                        let deadline = tokio::time::Instant::now() + self.head;
                        if deadline < self.timer.deadline() {
                            self.timer.as_mut().reset(deadline);
                        }
                    }
                }
                Poll::Ready(r)
            }
            Poll::Pending => {
                if self.expired(cx) {
                    return Poll::Ready(Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "connection timeout",
                    )));
                }
                Poll::Pending
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ConnIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        self.blocked = r.is_pending();
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                self.moved = true;
                self.wrote(&data[..n]);
            }
        }
        r
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.blocked = r.is_pending();
        if let Poll::Ready(Ok(n)) = r {
            if n > 0 {
                self.moved = true;
                let mut left = n;
                for b in bufs {
                    let k = left.min(b.len());
                    self.wrote(&b[..k]);
                    left -= k;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        r
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        self.blocked = r.is_pending();
        r
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

pub fn acceptor(cfg: Arc<rustls::ServerConfig>) -> tokio_rustls::TlsAcceptor {
    tokio_rustls::TlsAcceptor::from(cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn request_heads_are_told_from_other_frames_also_when_split_across_reads() {
        let mut inbound = Inbound::after_preface();
        let mut bytes = H2_PREFACE.to_vec();
        bytes.extend(frame(4, 0, 0, &[])); // SETTINGS
        bytes.extend(frame(8, 0, 0, &100u32.to_be_bytes())); // WINDOW_UPDATE
        assert!(inbound.take(&bytes));
        assert!(!std::mem::take(&mut inbound.headers) && !inbound.block);
        // HEADERS without END_HEADERS, a byte at a time: the block stays open.
        for b in frame(1, 0x1, 1, &[0x82, 0x86]) {
            assert!(inbound.take(&[b]));
        }
        assert!(std::mem::take(&mut inbound.headers) && inbound.block);
        // Its CONTINUATION's header alone: still inside the block.
        let continuation = frame(9, 0x4, 1, &[0x84]);
        assert!(inbound.take(&continuation[..9]));
        assert!(inbound.block);
        assert!(inbound.take(&continuation[9..]));
        assert!(std::mem::take(&mut inbound.headers) && !inbound.block);
        // A PING after it is no request head.
        assert!(inbound.take(&frame(6, 0, 0, &[0; 8])));
        assert!(!inbound.headers && !inbound.block);
        // A HEADERS frame that depends on its own stream is caught.
        assert!(!inbound.take(&frame(1, 0x5 | 0x20, 3, &[0, 0, 0, 3, 15, 0x82])));
    }
}
