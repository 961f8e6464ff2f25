//! HTTP/3 over QUIC (quinn + h3): the same exchanges, handlers and backpressure as
//! HTTP/1.1 and HTTP/2. Each worker owns one UDP socket (`SO_REUSEPORT`, the same port
//! number as its TCP listener) and one quinn endpoint; requests become [`Exchange`]s
//! and response bodies are sent as QUIC stream credit allows, so a client that stops
//! reading stops the handler. A body that ends with an error resets the stream
//! (`H3_INTERNAL_ERROR`), never a clean short end. Every transport limit is set here
//! explicitly.

use crate::http::body::ResponseBody;
use crate::http::exchange::{
    unavailable, ActiveGuard, ConnState, HttpWorker, NextHead, RequestBody,
};
use bytes::Bytes;
use http_body_util::BodyExt;
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use crate::http::h3_guard;

pub type RecvStream = h3::server::RequestStream<h3_guard::RecvStream, Bytes>;
type SendStream = h3::server::RequestStream<h3_guard::SendStream, Bytes>;

/// QUIC and HTTP/3 settings (CLI flags where a person may want to change them).
#[derive(Clone, Debug)]
pub struct H3Limits {
    /// Bytes a client may send on one stream before the server reads them (request
    /// bodies); also what the server offers for responses' flow control.
    pub stream_window: u64,
    /// Bytes in flight on a whole connection, all streams together.
    pub connection_window: u64,
    /// Requests (bidirectional streams) open at once on one connection.
    pub max_concurrent_streams: u32,
    /// A connection with no packet for this long is closed.
    pub idle_timeout: Duration,
    /// PING interval that keeps a quiet connection (and NAT bindings) alive.
    pub keep_alive: Duration,
    /// Largest UDP payload the endpoint accepts.
    pub max_udp_payload: u16,
    /// Connections in handshake on one worker before new clients must prove their
    /// address with a Retry round trip.
    pub retry_above_handshakes: usize,
    /// Decoded request header section, in bytes.
    pub max_field_section_size: u64,
    /// Connections one worker serves at once (`--max-connections`, shared with TCP's
    /// figure but counted apart); past it new clients are refused.
    pub max_connections: usize,
    /// Time for a request stream to bring its whole head (`--header-timeout-ms`).
    pub header_timeout: Duration,
    /// Requests a client may cancel before they are answered, within
    /// [`CANCEL_WINDOW`] on one connection (`--h3-max-cancels`): each one cost a
    /// handler call, and a client cancelling as fast as it opens ("Rapid Reset")
    /// would keep the worker busy for nothing. Past it the connection is closed.
    pub max_cancels: u32,
}

impl Default for H3Limits {
    fn default() -> Self {
        H3Limits {
            // 8 MiB per stream and 32 MiB per connection: a 100 ms, 1 Gbit/s path has
            // 12.5 MB in flight.
            stream_window: 8 << 20,
            connection_window: 32 << 20,
            max_concurrent_streams: 100,
            idle_timeout: Duration::from_secs(30),
            keep_alive: Duration::from_secs(10),
            max_udp_payload: 1472,
            retry_above_handshakes: 64,
            max_field_section_size: 64 << 10,
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            max_cancels: 200,
        }
    }
}

/// The quinn server configuration: the transport settings above, TLS 1.3 with ALPN
/// `h3`, and no connection migration (the kernel steers a client's datagrams to one
/// worker by address; a migrated client would land on another).
pub fn server_config(
    crypto: Arc<quinn::crypto::rustls::QuicServerConfig>,
    limits: &H3Limits,
) -> Result<quinn::ServerConfig, String> {
    use quinn::VarInt;
    let mut t = quinn::TransportConfig::default();
    t.max_concurrent_bidi_streams(VarInt::from_u32(limits.max_concurrent_streams));
    // HTTP/3's control and QPACK streams: 3 each way, with room for extensions.
    t.max_concurrent_uni_streams(VarInt::from_u32(8));
    t.stream_receive_window(VarInt::from_u64(limits.stream_window).map_err(|e| e.to_string())?);
    t.receive_window(VarInt::from_u64(limits.connection_window).map_err(|e| e.to_string())?);
    t.send_window(limits.connection_window);
    t.max_idle_timeout(Some(
        quinn::IdleTimeout::try_from(limits.idle_timeout).map_err(|e| e.to_string())?,
    ));
    // PINGs well inside the idle timeout, so that a quiet response (a long poll)
    // keeps its connection however short the timeout is set; the connection loop
    // closes connections with no request in flight itself.
    t.keep_alive_interval(Some(limits.keep_alive.min(limits.idle_timeout / 3)));
    // No QUIC DATAGRAM frames (weir's HTTP/3 does not use them): quinn would otherwise
    // offer them and buffer up to 1.25 MB of them per connection for nobody to read.
    t.datagram_receive_buffer_size(None);
    // Left at quinn's defaults: Cubic congestion control, an initial RTT estimate of
    // 333 ms, path MTU discovery from 1200 bytes, a 16 KiB crypto buffer per
    // connection.
    let mut s = quinn::ServerConfig::with_crypto(crypto);
    s.transport_config(Arc::new(t));
    s.migration(false);
    Ok(s)
}

/// A quinn endpoint on `socket`, driven by the worker's own tokio runtime.
pub fn endpoint(
    socket: std::net::UdpSocket,
    config: quinn::ServerConfig,
    limits: &H3Limits,
) -> std::io::Result<quinn::Endpoint> {
    let mut ec = quinn::EndpointConfig::default();
    ec.max_udp_payload_size(limits.max_udp_payload)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string()))?;
    quinn::Endpoint::new(ec, Some(config), socket, Arc::new(quinn::TokioRuntime))
}

/// Accepts QUIC connections until `shutdown`, then sends GOAWAY on each and lets their
/// in-flight requests finish.
pub async fn serve(
    endpoint: quinn::Endpoint,
    worker: Rc<HttpWorker>,
    limits: Rc<H3Limits>,
    mut shutdown: watch::Receiver<bool>,
) {
    let port = endpoint.local_addr().map_or(0, |a| a.port());
    let handshaking = Rc::new(Cell::new(0usize));
    let open = Rc::new(Cell::new(0usize));
    let all_closed = Rc::new(tokio::sync::Notify::new());
    loop {
        let incoming = tokio::select! {
            i = endpoint.accept() => match i {
                Some(i) => i,
                None => break,
            },
            _ = shutdown.wait_for(|s| *s) => break,
        };
        // Under handshake load, make unvalidated clients prove their address first;
        // quinn itself never sends more than 3x what it received before validation.
        if !incoming.remote_address_validated()
            && handshaking.get() >= limits.retry_above_handshakes
            && incoming.may_retry()
        {
            let _ = incoming.retry();
            continue;
        }
        // Past the connection limit a client is refused at once (a CONNECTION_CLOSE
        // with CONNECTION_REFUSED), as a full TCP listener stops accepting.
        if open.get() >= limits.max_connections {
            tracing::debug!(remote = %incoming.remote_address(), "QUIC connection refused: --max-connections reached");
            incoming.refuse();
            continue;
        }
        handshaking.set(handshaking.get() + 1);
        open.set(open.get() + 1);
        let (w, l, s, h, o, n) = (
            worker.clone(),
            limits.clone(),
            shutdown.clone(),
            handshaking.clone(),
            open.clone(),
            all_closed.clone(),
        );
        tokio::task::spawn_local(async move {
            connection(incoming, port, w, l, s, h).await;
            o.set(o.get() - 1);
            if o.get() == 0 {
                n.notify_waiters();
            }
        });
    }
    endpoint.set_server_config(None);
    while open.get() > 0 {
        all_closed.notified().await;
    }
    endpoint.close(quinn::VarInt::from_u32(0), b"shutdown");
}

/// The window over which cancelled requests are counted against `--h3-max-cancels`.
const CANCEL_WINDOW: Duration = Duration::from_secs(10);

/// `H3_EXCESSIVE_LOAD` (RFC 9114 §8.1).
const H3_EXCESSIVE_LOAD: u32 = 0x107;

/// The longest frames a client may send ([`h3_guard`]): a HEADERS frame up to twice
/// the decoded limit (QPACK seldom makes a section longer than it decodes to; one
/// between the two gets its `431`), any other frame but DATA 16 KiB (SETTINGS and
/// GOAWAY take a few bytes; reserved types carry nothing HTTP/3 reads).
fn frame_caps(limits: &H3Limits) -> h3_guard::Caps {
    h3_guard::Caps {
        headers: limits.max_field_section_size.saturating_mul(2),
        other: 16 << 10,
    }
}

async fn connection(
    incoming: quinn::Incoming,
    port: u16,
    worker: Rc<HttpWorker>,
    limits: Rc<H3Limits>,
    mut shutdown: watch::Receiver<bool>,
    handshaking: Rc<Cell<usize>>,
) {
    let remote = incoming.remote_address();
    let established = match incoming.accept() {
        Ok(connecting) => connecting.await,
        Err(e) => Err(e),
    };
    handshaking.set(handshaking.get() - 1);
    let conn = match established {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!(%remote, "QUIC handshake failed: {e}");
            return;
        }
    };
    let quic = conn.clone();
    let stops = h3_guard::Stops::default();
    let built = h3::server::builder()
        .max_field_section_size(limits.max_field_section_size)
        .build(h3_guard::Connection::new(
            conn,
            frame_caps(&limits),
            stops.clone(),
        ))
        .await;
    let mut h3 = match built {
        Ok(h) => h,
        Err(e) => {
            tracing::debug!(%remote, "HTTP/3 set-up failed: {e}");
            return;
        }
    };
    let state = Rc::new(ConnState::default());
    // Request tasks still running: answering, or sending what they answered.
    let tasks = Rc::new(Cell::new(0usize));
    let task_done = Rc::new(tokio::sync::Notify::new());
    let mut going_away = false;
    // Until the client's GOAWAY (or weir's) and the end of the requests before it.
    let mut accepting = true;
    // Requests the client cancelled before they were answered, in this window.
    let cancels = Rc::new(Cell::new(0u32));
    let mut window = tokio::time::Instant::now();
    let idle = tokio::time::sleep(limits.idle_timeout);
    tokio::pin!(idle);
    loop {
        tokio::select! {
            accepted = h3.accept(), if accepting => match accepted {
                Ok(Some(resolver)) => {
                    let local = quic.local_ip().map(|ip| SocketAddr::new(ip, port));
                    let task = TaskGuard::new(&tasks, &task_done);
                    let req = request(resolver, worker.clone(), (remote, local), state.clone(), quic.clone(), (limits.header_timeout, limits.idle_timeout), (stops.clone(), cancels.clone()));
                    tokio::task::spawn_local(async move {
                        req.await;
                        drop(task);
                    });
                }
                // No more requests will come, after the client's GOAWAY (or weir's);
                // the loop ends once their tasks have (see `request`).
                Ok(None) => {
                    accepting = false;
                    going_away = true;
                }
                Err(e) => {
                    if !e.is_h3_no_error() {
                        tracing::debug!(%remote, "HTTP/3 connection closed: {e}");
                    }
                    return;
                }
            },
            _ = shutdown.wait_for(|s| *s), if !going_away => {
                going_away = true;
                // GOAWAY: no new requests; the ones in flight finish.
                goaway(&mut h3).await;
            }
            _ = task_done.notified(), if tasks.get() > 0 => {}
            // No request for --h3-idle-timeout-ms: the connection closes, as an idle
            // keep-alive connection does over TCP (weir's PINGs, which keep a long
            // response's connection open, would otherwise keep it for good).
            _ = &mut idle, if tasks.get() == 0 && !going_away => {
                tracing::debug!(%remote, "HTTP/3 connection idle: closing");
                going_away = true;
                goaway(&mut h3).await;
            }
        }
        idle.as_mut()
            .reset(tokio::time::Instant::now() + limits.idle_timeout);
        if window.elapsed() >= CANCEL_WINDOW {
            window = tokio::time::Instant::now();
            cancels.set(0);
        }
        if cancels.get() > limits.max_cancels {
            tracing::warn!(%remote, "HTTP/3 connection closed: more than --h3-max-cancels ({}) requests cancelled within {} s", limits.max_cancels, CANCEL_WINDOW.as_secs());
            quic.close(
                quinn::VarInt::from_u32(H3_EXCESSIVE_LOAD),
                b"too many cancelled requests",
            );
            return;
        }
        if going_away && tasks.get() == 0 {
            break;
        }
    }
    // Dropping `h3` closes the connection at once, abandoning stream data the client
    // has not acknowledged: no request task is left by now, and each lasted until its
    // response was acknowledged (see `request`).
    drop(h3);
}

async fn request(
    resolver: h3::server::RequestResolver<h3_guard::Connection, Bytes>,
    worker: Rc<HttpWorker>,
    (remote, local): (SocketAddr, Option<SocketAddr>),
    state: Rc<ConnState>,
    quic: quinn::Connection,
    (header_timeout, delivery_timeout): (Duration, Duration),
    (stops, cancels): (h3_guard::Stops, Rc<Cell<u32>>),
) {
    // A head that does not arrive whole within --header-timeout-ms: the stream is
    // dropped (the client sees it end without a response), as a slow head closes a
    // TCP connection.
    let (req, stream) = match tokio::time::timeout(header_timeout, resolver.resolve_request()).await
    {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::debug!(%remote, "bad HTTP/3 request: {e}");
            return;
        }
        Err(_) => {
            tracing::debug!(%remote, "HTTP/3 request head not complete within --header-timeout-ms");
            return;
        }
    };
    let (mut send, recv) = stream.split();
    let mut stopped = stops.take(send.send_id().into_inner());
    let (parts, ()) = req.into_parts();
    let declared = declared_length(&parts.headers);
    let refused = match declared {
        Err(()) => Some(http::StatusCode::BAD_REQUEST),
        Ok(_) => crate::http::refusal(&parts, worker.limits.max_headers),
    };
    if let Some(status) = refused {
        let refusal = worker.refuse(&parts, status, remote);
        send_response(&mut send, refusal, &mut stopped).await;
        // What the client may still send of the request is not wanted (dropped
        // unasked, quinn's stream would say code 0, which HTTP/3 does not define).
        H3Body::new(recv, declared.unwrap_or(None)).stop_unread();
        return;
    }
    let body = RequestBody::H3(Box::new(H3Body::new(recv, declared.unwrap_or(None))));
    let is_head = parts.method == http::Method::HEAD;
    let exchange = worker.begin(parts, None, body, (remote, local), ActiveGuard::new(state));
    let response = match &exchange {
        Some(ex) => {
            let mut head = ex.heads();
            loop {
                tokio::select! {
                    r = &mut head => match r {
                        // Cut by the handler before answering: the stream is reset.
                        NextHead::Final(None) if ex.was_cut() => {
                            send.stop_stream(h3::error::Code::H3_REQUEST_CANCELLED);
                            return;
                        }
                        NextHead::Final(r) => break r.unwrap_or_else(|| unavailable(is_head)),
                        // Only weir's HTTP/1.1 driver lets an answer go from the
                        // handler's call: never met here.
                        NextHead::Written(_) => {
                            send.stop_stream(h3::error::Code::H3_INTERNAL_ERROR);
                            return;
                        }
                        // An interim response (`103 Early Hints`) goes as a HEADERS
                        // frame of its own; a stream that cannot take it fails the
                        // response too, as the first write would.
                        NextHead::Interim(mut interim) => {
                            drop_connection_fields(interim.headers_mut());
                            if send.send_response(interim).await.is_err() {
                                drop(head);
                                worker.cancelled(ex);
                                return;
                            }
                        }
                    },
                    // The connection is gone (closed by the client, lost, timed out)
                    // before the handler answered: the handler side learns it now, as
                    // over HTTP/2.
                    _ = quic.closed() => {
                        drop(head);
                        worker.cancelled(ex);
                        return;
                    }
                    // The client cancelled the request (STOP_SENDING): likewise, and
                    // the stream is reset, which frees its place among the
                    // connection's concurrent streams.
                    _ = client_stopped(&mut stopped) => {
                        drop(head);
                        worker.cancelled(ex);
                        cancels.set(cancels.get() + 1);
                        return;
                    }
                }
            }
        }
        None => unavailable(is_head),
    };
    send_response(&mut send, response, &mut stopped).await;
    // The task (and the connection's count of them) lasts until the client has
    // acknowledged the whole response, up to --h3-idle-timeout-ms: a connection closed
    // on shutdown or when idle then abandons no response still on its way.
    if let Some(signal) = stopped {
        let _ = tokio::time::timeout(delivery_timeout, signal).await;
    }
    // A body the handler reads on after its response keeps the task, and so the
    // connection, until it is over: an idle or shutting-down connection would cut it.
    if let Some(ex) = exchange {
        ex.read_on_done().await;
    }
}

/// Counts a request task in its connection's `tasks` while it lives, and wakes the
/// connection when it ends (however it ends).
struct TaskGuard {
    tasks: Rc<Cell<usize>>,
    done: Rc<tokio::sync::Notify>,
}

impl TaskGuard {
    fn new(tasks: &Rc<Cell<usize>>, done: &Rc<tokio::sync::Notify>) -> TaskGuard {
        tasks.set(tasks.get() + 1);
        TaskGuard {
            tasks: tasks.clone(),
            done: done.clone(),
        }
    }
}

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.tasks.set(self.tasks.get() - 1);
        self.done.notify_waiters();
    }
}

/// Sends GOAWAY, giving up after a second: it waits for credit on the control
/// stream, which a client may never give (the connection then closes all the same).
async fn goaway(h3: &mut h3::server::Connection<h3_guard::Connection, Bytes>) {
    let _ = tokio::time::timeout(Duration::from_secs(1), h3.shutdown(0)).await;
}

/// Resolves with the code of a STOP_SENDING from the client; never otherwise.
async fn client_stopped(stopped: &mut Option<h3_guard::Stopped>) -> u64 {
    if let Some(signal) = stopped {
        let code = signal.await;
        // Resolved: it is not to be polled again.
        *stopped = None;
        if let Some(code) = code {
            return code;
        }
    }
    std::future::pending().await
}

/// The request's declared body length, or `Err` when its fields make it malformed
/// under RFC 9114 §4.2 and §4.1.2, checks the `h3` crate leaves to the server:
/// connection-specific fields (HTTP/3 has no connection-level framing for them to
/// describe; a `Transfer-Encoding: chunked` would have the handler read chunk framing
/// as body bytes), `TE` other than `trailers`, and a `Content-Length` that is not one
/// number. Such a request gets `400` (§4.1.2 lets a server answer before it resets
/// the stream).
fn declared_length(headers: &http::HeaderMap) -> Result<Option<u64>, ()> {
    use http::header;
    if CONNECTION_FIELDS.iter().any(|n| headers.contains_key(n)) {
        return Err(());
    }
    if headers
        .get_all(header::TE)
        .iter()
        .any(|v| !v.as_bytes().eq_ignore_ascii_case(b"trailers"))
    {
        return Err(());
    }
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    match (lengths.next(), lengths.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => {
            let v = v.as_bytes();
            if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
                return Err(());
            }
            Ok(Some(v.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0'))))
        }
        (Some(_), Some(_)) => Err(()),
    }
}

/// Fields that describe an HTTP/1.1 connection, which HTTP/3 messages must not carry
/// (RFC 9114 §4.2).
const CONNECTION_FIELDS: [http::HeaderName; 5] = [
    http::header::CONNECTION,
    http::header::TRANSFER_ENCODING,
    http::header::UPGRADE,
    http::HeaderName::from_static("keep-alive"),
    http::HeaderName::from_static("proxy-connection"),
];

/// A response's connection-specific fields, and `TE`, which a handler may set (Node's
/// HTTP/1.1 API) and an HTTP/3 client would take for a malformed response (RFC 9114
/// §4.2: "MUST NOT generate"), are dropped, as hyper drops them over HTTP/2.
fn drop_connection_fields(headers: &mut http::HeaderMap) {
    for name in CONNECTION_FIELDS.iter().chain([&http::header::TE]) {
        headers.remove(name);
    }
}

/// Sends the head, then the body as QUIC credit allows; a body error resets the stream.
/// A write that fails marks the body as not delivered (its sender, and the access log,
/// must not take it for complete).
async fn send_response(
    send: &mut SendStream,
    mut response: http::Response<ResponseBody>,
    stopped: &mut Option<h3_guard::Stopped>,
) {
    crate::http::exchange::add_date(&mut response);
    drop_connection_fields(response.headers_mut());
    let (parts, mut body) = response.into_parts();
    if send
        .send_response(http::Response::from_parts(parts, ()))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let next = tokio::select! {
            next = body.frame() => next,
            // The client cancelled while the handler had nothing to send (a long
            // poll): the response ends now, not at its next write.
            _ = client_stopped(stopped) => {
                body.fail();
                return;
            }
        };
        match next {
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => {
                    if send.send_data(data).await.is_err() {
                        body.fail();
                        return;
                    }
                }
                Err(frame) => {
                    if let Ok(trailers) = frame.into_trailers() {
                        // The trailers end the response: the stream ends after them.
                        if send.send_trailers(trailers).await.is_err()
                            || send.finish().await.is_err()
                        {
                            body.fail();
                        }
                        return;
                    }
                }
            },
            Some(Err(_)) => {
                send.stop_stream(h3::error::Code::H3_INTERNAL_ERROR);
                return;
            }
            None => {
                if send.finish().await.is_err() {
                    body.fail();
                }
                return;
            }
        }
    }
}

/// An HTTP/3 request body, held to its `Content-Length` (RFC 9114 §4.1.2: a body
/// longer or shorter than declared makes the request malformed; the `h3` crate does
/// not check).
pub struct H3Body {
    pub stream: RecvStream,
    declared: Option<u64>,
    received: u64,
    /// Read to its end, or stopped.
    done: bool,
    /// What the read that joined the last chunk found after it (the end, or an
    /// error): the next read gives it.
    ahead: Option<std::io::Result<Option<Bytes>>>,
}

/// Pieces of a request body that have come are joined until one read gives at least
/// this much ([`H3Body::next_chunk`]; as much as weir's HTTP/1.1 driver reads at once),
/// one piece over at most.
const JOIN_BYTES: usize = 64 * 1024;

/// A body dropped before its end, without a word from the exchange (the handler
/// destroyed its request, the client left, the response was cut): its client is told
/// to stop sending with `H3_REQUEST_CANCELLED`, not quinn's code 0.
impl Drop for H3Body {
    fn drop(&mut self) {
        self.stop(h3::error::Code::H3_REQUEST_CANCELLED);
    }
}

impl H3Body {
    fn new(stream: RecvStream, declared: Option<u64>) -> H3Body {
        H3Body {
            stream,
            declared,
            received: 0,
            done: false,
            ahead: None,
        }
    }

    /// Asks the client to stop sending a body the response went without
    /// (`STOP_SENDING` with `H3_NO_ERROR`, RFC 9114 §4.1).
    pub fn stop_unread(&mut self) {
        self.stop(h3::error::Code::H3_NO_ERROR);
    }

    fn stop(&mut self, code: h3::error::Code) {
        if !self.done && self.declared.is_none_or(|d| self.received < d) && !self.ended() {
            self.stream.stop_sending(code);
        }
        self.done = true;
    }

    /// Whether the end of the body has arrived with nothing unread before it (a GET's,
    /// as a rule): the client sends no more, and needs no STOP_SENDING. Only for a
    /// body given up on: a piece that has come is taken, and dropped.
    fn ended(&mut self) -> bool {
        matches!(self.ahead, Some(Ok(None)))
            || matches!(
                futures::FutureExt::now_or_never(self.stream.recv_data()),
                Some(Ok(None))
            )
    }

    /// The next chunk of the body; `None` at its end. A reset stream is a
    /// `ConnectionReset` error, a body at odds with its `Content-Length` an
    /// `InvalidData` one.
    pub async fn next_chunk(&mut self) -> std::io::Result<Option<Bytes>> {
        let chunk = match self.ahead.take() {
            Some(found) => found?,
            None => self.recv().await?,
        };
        let chunk = chunk.map(|first| self.join_ready(first));
        self.received += chunk.as_ref().map_or(0, |c| c.len() as u64);
        self.done |= chunk.is_none();
        if let Some(declared) = self.declared {
            let wrong = match chunk {
                Some(_) => self.received > declared,
                None => self.received != declared,
            };
            if wrong {
                self.stop(h3::error::Code::H3_MESSAGE_ERROR);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "the request body does not match its Content-Length of {declared} bytes"
                    ),
                ));
            }
        }
        Ok(chunk)
    }

    /// The next piece of the body as QUIC gives it (a packet's worth, as a rule).
    async fn recv(&mut self) -> std::io::Result<Option<Bytes>> {
        use bytes::Buf;
        match self.stream.recv_data().await {
            Ok(Some(mut buf)) => Ok(Some(buf.copy_to_bytes(buf.remaining()))),
            Ok(None) => Ok(None),
            Err(e) => Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionReset,
                e.to_string(),
            )),
        }
    }

    /// `first` joined with the pieces that have come after it, to [`JOIN_BYTES`]:
    /// each piece (about 1.2 KB, one packet) would be a `'data'` event of its own,
    /// where HTTP/1.1 and HTTP/2 give up to 64 and 16 KiB. The end or an error met on
    /// the way is kept for the next read.
    fn join_ready(&mut self, first: Bytes) -> Bytes {
        let mut joined: Option<bytes::BytesMut> = None;
        while joined.as_ref().map_or(first.len(), |j| j.len()) < JOIN_BYTES {
            match futures::FutureExt::now_or_never(self.recv()) {
                Some(Ok(Some(more))) => joined
                    .get_or_insert_with(|| {
                        // Room to grow without a copy for a few more pieces, not a
                        // whole JOIN_BYTES for a body that has two.
                        let mut j = bytes::BytesMut::with_capacity(2 * (first.len() + more.len()));
                        j.extend_from_slice(&first);
                        j
                    })
                    .extend_from_slice(&more),
                Some(found) => {
                    self.ahead = Some(found);
                    break;
                }
                None => break,
            }
        }
        joined.map_or(first, |j| j.freeze())
    }
}
