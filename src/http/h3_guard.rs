//! A watch over the HTTP/3 frames a client sends, between quinn and the `h3` crate.
//!
//! `h3` holds every frame other than DATA whole in memory before it looks at it, and
//! reads on while it does, so QUIC flow control never stops a client that announces a
//! 1 GiB HEADERS frame (or a frame of a reserved type) and keeps sending it: the
//! server's memory grows with the bytes sent. The stream wrappers here read the frame
//! headers as the bytes pass and refuse, as soon as its header arrives, a HEADERS
//! frame longer than [`Caps::headers`] or another non-DATA frame longer than
//! [`Caps::other`]: the stream is stopped with `H3_EXCESSIVE_LOAD` and `h3` sees it
//! end with that error. DATA payloads pass by reference, never copied.
//!
//! They also drop empty DATA frames, which RFC 9114 §7.2.1 allows and which `h3` 0.0.8
//! takes for the end of the body (a request body would reach the handler cut short,
//! then the connection would close).
//!
//! Request streams are quinn's own rather than `h3_quinn`'s, so that the server can
//! learn when a client cancels a request (STOP_SENDING) while its handler has not
//! answered or has nothing to send: see [`Stops`].

use bytes::{Buf, Bytes};
use h3::quic::{self, ConnectionErrorIncoming, StreamErrorIncoming, StreamId, WriteBuf};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

/// `H3_EXCESSIVE_LOAD` (RFC 9114 §8.1).
const H3_EXCESSIVE_LOAD: u64 = 0x107;
const DATA: u64 = 0x0;
const HEADERS: u64 = 0x1;

/// The longest frames a client may send.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    /// A HEADERS frame (a request head or its trailers), encoded.
    pub headers: u64,
    /// Any other frame but DATA: SETTINGS, GOAWAY, reserved types.
    pub other: u64,
}

/// Where a stream's bytes are in its frames.
#[derive(Debug)]
struct Frames {
    caps: Caps,
    /// Payload bytes of the current frame still to pass; `None` while in a header.
    left: Option<u64>,
    /// A frame header split between reads: its bytes so far.
    partial: Vec<u8>,
    /// Pieces ready for `h3`.
    out: VecDeque<Bytes>,
    refused: bool,
    /// What the stream carries, as far as it is known yet.
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// Frames from the first byte: a request stream.
    Frames,
    /// A unidirectional stream before its type (a varint) has arrived whole.
    UniType,
    /// A unidirectional stream of another type than control (QPACK, reserved types):
    /// no frames, passed as it is (`h3` reads or drops it).
    Raw,
}

/// A QUIC variable-length integer at the start of `b`: its value and length, or `None`
/// when `b` ends first.
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    if b.len() < len {
        return None;
    }
    let mut v = u64::from(first & 0x3f);
    for &x in &b[1..len] {
        v = (v << 8) | u64::from(x);
    }
    Some((v, len))
}

/// A frame header (type and length) at the start of `b`: type, length and bytes used.
fn frame_header(b: &[u8]) -> Option<(u64, u64, usize)> {
    let (ty, n) = varint(b)?;
    let (len, m) = varint(&b[n..])?;
    Some((ty, len, n + m))
}

enum Verdict {
    Pass,
    Drop,
    Refuse,
}

impl Frames {
    fn new(caps: Caps) -> Frames {
        Frames {
            caps,
            left: Some(0),
            partial: Vec::new(),
            out: VecDeque::new(),
            refused: false,
            kind: Kind::Frames,
        }
    }

    /// For a unidirectional stream: its type comes first, and only a control stream
    /// (type 0) carries frames.
    fn uni(caps: Caps) -> Frames {
        Frames {
            kind: Kind::UniType,
            ..Frames::new(caps)
        }
    }

    fn judge(&self, ty: u64, len: u64) -> Verdict {
        match ty {
            DATA if len == 0 => Verdict::Drop,
            DATA => Verdict::Pass,
            HEADERS if len > self.caps.headers => Verdict::Refuse,
            HEADERS => Verdict::Pass,
            _ if len > self.caps.other => Verdict::Refuse,
            _ => Verdict::Pass,
        }
    }

    /// Takes the bytes of one read, queueing what `h3` is to see; `false` when a frame
    /// was refused.
    fn take(&mut self, chunk: Bytes) -> bool {
        let mut pos = 0;
        // Start of the bytes of `chunk` to pass on as they are.
        let mut kept = 0;
        if self.kind == Kind::UniType {
            while varint(&self.partial).is_none() && pos < chunk.len() {
                self.partial.push(chunk[pos]);
                pos += 1;
            }
            let Some((ty, _)) = varint(&self.partial) else {
                return true;
            };
            self.out
                .push_back(Bytes::from(std::mem::take(&mut self.partial)));
            self.kind = if ty == 0 { Kind::Frames } else { Kind::Raw };
            kept = pos;
        }
        if self.kind == Kind::Raw {
            self.flush(&chunk, kept, chunk.len());
            return true;
        }
        while pos < chunk.len() {
            match self.left {
                Some(left) if left > 0 => {
                    let n = left.min((chunk.len() - pos) as u64);
                    pos += n as usize;
                    self.left = Some(left - n);
                }
                _ if self.partial.is_empty() => {
                    // A frame header starting in this chunk.
                    match frame_header(&chunk[pos..]) {
                        Some((ty, len, n)) => match self.judge(ty, len) {
                            Verdict::Pass => {
                                pos += n;
                                self.left = Some(len);
                            }
                            Verdict::Drop => {
                                self.flush(&chunk, kept, pos);
                                pos += n;
                                kept = pos;
                                self.left = Some(0);
                            }
                            Verdict::Refuse => return self.refuse(),
                        },
                        None => {
                            self.flush(&chunk, kept, pos);
                            self.partial.extend_from_slice(&chunk[pos..]);
                            self.left = None;
                            pos = chunk.len();
                            kept = pos;
                        }
                    }
                }
                _ => {
                    // The rest of a header begun in an earlier chunk, a byte at a time
                    // (at most 16 bytes in all).
                    self.partial.push(chunk[pos]);
                    pos += 1;
                    kept = pos;
                    if let Some((ty, len, _)) = frame_header(&self.partial) {
                        let header = std::mem::take(&mut self.partial);
                        match self.judge(ty, len) {
                            Verdict::Pass => self.out.push_back(Bytes::from(header)),
                            Verdict::Drop => {}
                            Verdict::Refuse => return self.refuse(),
                        }
                        self.left = Some(len);
                    }
                }
            }
        }
        self.flush(&chunk, kept, pos);
        true
    }

    fn flush(&mut self, chunk: &Bytes, from: usize, to: usize) {
        if to > from {
            self.out.push_back(chunk.slice(from..to));
        }
    }

    fn refuse(&mut self) -> bool {
        self.refused = true;
        self.out.clear();
        false
    }

    /// The next piece for `h3`, reading from `inner` as needed.
    fn poll_next<R: quic::RecvStream<Buf = Bytes>>(
        &mut self,
        inner: &mut R,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        loop {
            if self.refused {
                return Poll::Ready(Err(StreamErrorIncoming::StreamTerminated {
                    error_code: H3_EXCESSIVE_LOAD,
                }));
            }
            if let Some(piece) = self.out.pop_front() {
                return Poll::Ready(Ok(Some(piece)));
            }
            match std::task::ready!(inner.poll_data(cx)) {
                Ok(Some(chunk)) => {
                    if !self.take(chunk) {
                        inner.stop_sending(H3_EXCESSIVE_LOAD);
                    }
                }
                // A frame header the stream ended inside: `h3` is to see it cut,
                // not a clean end.
                Ok(None) if !self.partial.is_empty() => {
                    let cut = std::mem::take(&mut self.partial);
                    return Poll::Ready(Ok(Some(Bytes::from(cut))));
                }
                other => return Poll::Ready(other),
            }
        }
    }
}

/// Where a request stream's "stopped" signal waits for the request task: quinn's
/// `SendStream::stopped`, which yields `Some(code)` when the client sends
/// STOP_SENDING (it cancelled the request) and `None` once everything sent was
/// acknowledged. Taken by stream id with [`Stops::take`].
pub type Stopped = Pin<Box<dyn Future<Output = Option<u64>>>>;

#[derive(Clone, Default)]
pub struct Stops(Rc<RefCell<HashMap<u64, Stopped>>>);

impl Stops {
    /// The signal of request stream `id`, once.
    pub fn take(&self, id: u64) -> Option<Stopped> {
        self.0.borrow_mut().remove(&id)
    }
}

/// A QUIC connection for `h3` whose incoming streams are watched. Request streams are
/// quinn's own (so that their STOP_SENDING can be awaited, see [`Stops`]); the
/// control and QPACK streams, and those the server opens, go through `h3_quinn`.
pub struct Connection {
    quic: quinn::Connection,
    inner: h3_quinn::Connection,
    caps: Caps,
    accepting: Option<Pin<Box<dyn Future<Output = AcceptedBi>>>>,
    stops: Stops,
}

type AcceptedBi = Result<(quinn::SendStream, quinn::RecvStream), quinn::ConnectionError>;

impl Connection {
    pub fn new(quic: quinn::Connection, caps: Caps, stops: Stops) -> Connection {
        Connection {
            inner: h3_quinn::Connection::new(quic.clone()),
            quic,
            caps,
            accepting: None,
            stops,
        }
    }
}

// quinn's errors as h3 reads them: the mapping of h3_quinn's converters, which that
// crate keeps private (its streams, which would use them, are not used here).
fn connection_error(e: quinn::ConnectionError) -> ConnectionErrorIncoming {
    match e {
        quinn::ConnectionError::ApplicationClosed(close) => {
            ConnectionErrorIncoming::ApplicationClose {
                error_code: close.error_code.into_inner(),
            }
        }
        quinn::ConnectionError::TimedOut => ConnectionErrorIncoming::Timeout,
        e => ConnectionErrorIncoming::Undefined(Arc::new(e)),
    }
}

fn read_error(e: quinn::ReadError) -> StreamErrorIncoming {
    match e {
        quinn::ReadError::Reset(code) => StreamErrorIncoming::StreamTerminated {
            error_code: code.into_inner(),
        },
        quinn::ReadError::ConnectionLost(e) => StreamErrorIncoming::ConnectionErrorIncoming {
            connection_error: connection_error(e),
        },
        e => StreamErrorIncoming::Unknown(Box::new(e)),
    }
}

fn write_error(e: quinn::WriteError) -> StreamErrorIncoming {
    match e {
        quinn::WriteError::Stopped(code) => StreamErrorIncoming::StreamTerminated {
            error_code: code.into_inner(),
        },
        quinn::WriteError::ConnectionLost(e) => StreamErrorIncoming::ConnectionErrorIncoming {
            connection_error: connection_error(e),
        },
        e => StreamErrorIncoming::Unknown(Box::new(e)),
    }
}

/// The receiving half of a request stream.
pub struct RecvStream {
    stream: quinn::RecvStream,
    id: StreamId,
    frames: Frames,
}

/// Sends STOP_SENDING with `code` (once: a stream stopped already stays as it was).
fn stop(stream: &mut quinn::RecvStream, code: u64) {
    let _ = stream.stop(quinn::VarInt::from_u64(code).unwrap_or(quinn::VarInt::MAX));
}

impl RecvStream {
    fn new(stream: quinn::RecvStream, caps: Caps) -> RecvStream {
        RecvStream {
            id: quic_id(stream.id()),
            stream,
            frames: Frames::new(caps),
        }
    }
}

/// Reads chunks from quinn, as they come, without a copy. Each poll makes quinn's
/// read future afresh (it is cancel-safe, and its waker stays registered): the stream
/// is never lent to a read in flight, so that a STOP_SENDING with the server's code
/// can go at any time, also as the stream is dropped mid-read (quinn's drop would
/// say code 0, which HTTP/3 does not define).
struct Chunks<'a> {
    stream: &'a mut quinn::RecvStream,
    id: StreamId,
}

impl quic::RecvStream for Chunks<'_> {
    type Buf = Bytes;

    fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        let read = std::pin::pin!(self.stream.read_chunk(usize::MAX, true));
        let chunk = std::task::ready!(read.poll(cx));
        Poll::Ready(chunk.map(|c| c.map(|c| c.bytes)).map_err(read_error))
    }

    fn stop_sending(&mut self, error_code: u64) {
        stop(self.stream, error_code)
    }

    fn recv_id(&self) -> StreamId {
        self.id
    }
}

impl quic::RecvStream for RecvStream {
    type Buf = Bytes;

    fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        let mut chunks = Chunks {
            stream: &mut self.stream,
            id: self.id,
        };
        self.frames.poll_next(&mut chunks, cx)
    }

    fn stop_sending(&mut self, error_code: u64) {
        stop(&mut self.stream, error_code)
    }

    fn recv_id(&self) -> StreamId {
        self.id
    }
}

/// The sending half of a request stream.
pub struct SendStream {
    stream: quinn::SendStream,
    id: StreamId,
    writing: Option<WriteBuf<Bytes>>,
    stops: Stops,
}

impl Drop for SendStream {
    fn drop(&mut self) {
        // Not taken (the request never became one): no one will ask.
        self.stops.take(self.id.into_inner());
    }
}

impl quic::SendStream<Bytes> for SendStream {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        if let Some(data) = self.writing.as_mut() {
            while data.has_remaining() {
                let n = std::task::ready!(Pin::new(&mut self.stream).poll_write(cx, data.chunk()))
                    .map_err(write_error)?;
                data.advance(n);
            }
        }
        self.writing = None;
        Poll::Ready(Ok(()))
    }

    fn send_data<T: Into<WriteBuf<Bytes>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        if self.writing.is_some() {
            return Err(StreamErrorIncoming::ConnectionErrorIncoming {
                connection_error: ConnectionErrorIncoming::InternalError(
                    "send_data before the previous write was done".into(),
                ),
            });
        }
        self.writing = Some(data.into());
        Ok(())
    }

    fn poll_finish(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        Poll::Ready(
            self.stream
                .finish()
                .map_err(|e| StreamErrorIncoming::Unknown(Box::new(e))),
        )
    }

    fn reset(&mut self, reset_code: u64) {
        let _ = self
            .stream
            .reset(quinn::VarInt::from_u64(reset_code).unwrap_or(quinn::VarInt::MAX));
    }

    fn send_id(&self) -> StreamId {
        self.id
    }
}

pub struct BidiStream {
    send: SendStream,
    recv: RecvStream,
}

fn quic_id(id: quinn::StreamId) -> StreamId {
    StreamId::try_from(u64::from(id)).expect("a QUIC stream id is a valid h3 stream id")
}

impl quic::Connection<Bytes> for Connection {
    type RecvStream = UniStream;
    type OpenStreams = OpenStreams;

    fn poll_accept_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<UniStream, ConnectionErrorIncoming>> {
        let caps = self.caps;
        quic::Connection::<Bytes>::poll_accept_recv(&mut self.inner, cx).map_ok(|inner| UniStream {
            inner,
            frames: Frames::uni(caps),
        })
    }

    fn poll_accept_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<BidiStream, ConnectionErrorIncoming>> {
        let accepting = self.accepting.get_or_insert_with(|| {
            let quic = self.quic.clone();
            Box::pin(async move { quic.accept_bi().await })
        });
        let accepted = std::task::ready!(accepting.as_mut().poll(cx));
        self.accepting = None;
        let (send, recv) = accepted.map_err(connection_error)?;
        let id = quic_id(send.id());
        let stopped = send.stopped();
        self.stops.0.borrow_mut().insert(
            id.into_inner(),
            Box::pin(async move { stopped.await.ok().flatten().map(quinn::VarInt::into_inner) }),
        );
        Poll::Ready(Ok(BidiStream {
            send: SendStream {
                stream: send,
                id,
                writing: None,
                stops: self.stops.clone(),
            },
            recv: RecvStream::new(recv, self.caps),
        }))
    }

    fn opener(&self) -> OpenStreams {
        OpenStreams {
            inner: quic::Connection::<Bytes>::opener(&self.inner),
        }
    }
}

/// A unidirectional stream from the client (control, QPACK, or one to ignore).
pub struct UniStream {
    inner: h3_quinn::RecvStream,
    frames: Frames,
}

impl quic::RecvStream for UniStream {
    type Buf = Bytes;

    fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        self.frames.poll_next(&mut self.inner, cx)
    }

    fn stop_sending(&mut self, error_code: u64) {
        self.inner.stop_sending(error_code)
    }

    fn recv_id(&self) -> StreamId {
        self.inner.recv_id()
    }
}

/// Streams the server opens: its unidirectional control and QPACK streams. An HTTP/3
/// server opens no bidirectional stream.
pub struct OpenStreams {
    inner: h3_quinn::OpenStreams,
}

fn no_bidi() -> StreamErrorIncoming {
    StreamErrorIncoming::Unknown(Box::new(std::io::Error::other(
        "an HTTP/3 server opens no bidirectional streams",
    )))
}

/// Both openers (the connection, and the handle `h3` takes from it) hand over
/// `h3_quinn`'s unidirectional streams and refuse bidirectional ones.
macro_rules! open_streams {
    ($opener:ty) => {
        impl quic::OpenStreams<Bytes> for $opener {
            type BidiStream = BidiStream;
            type SendStream = h3_quinn::SendStream<Bytes>;

            fn poll_open_bidi(
                &mut self,
                _cx: &mut Context<'_>,
            ) -> Poll<Result<BidiStream, StreamErrorIncoming>> {
                Poll::Ready(Err(no_bidi()))
            }

            fn poll_open_send(
                &mut self,
                cx: &mut Context<'_>,
            ) -> Poll<Result<Self::SendStream, StreamErrorIncoming>> {
                quic::OpenStreams::<Bytes>::poll_open_send(&mut self.inner, cx)
            }

            fn close(&mut self, code: h3::error::Code, reason: &[u8]) {
                quic::OpenStreams::<Bytes>::close(&mut self.inner, code, reason)
            }
        }
    };
}

open_streams!(Connection);
open_streams!(OpenStreams);

impl quic::RecvStream for BidiStream {
    type Buf = Bytes;

    fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        self.recv.poll_data(cx)
    }

    fn stop_sending(&mut self, error_code: u64) {
        self.recv.stop_sending(error_code)
    }

    fn recv_id(&self) -> StreamId {
        self.recv.recv_id()
    }
}

impl quic::SendStream<Bytes> for BidiStream {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.send.poll_ready(cx)
    }

    fn send_data<T: Into<WriteBuf<Bytes>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        self.send.send_data(data)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.send.poll_finish(cx)
    }

    fn reset(&mut self, reset_code: u64) {
        self.send.reset(reset_code)
    }

    fn send_id(&self) -> StreamId {
        self.send.send_id()
    }
}

impl quic::BidiStream<Bytes> for BidiStream {
    type SendStream = SendStream;
    type RecvStream = RecvStream;

    fn split(self) -> (SendStream, RecvStream) {
        (self.send, self.recv)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        headers: 100,
        other: 10,
    };

    /// Feeds `bytes` in pieces of `step` and returns what `h3` would read, or `None`
    /// when a frame was refused.
    fn pass(bytes: &[u8], step: usize) -> Option<Vec<u8>> {
        let mut f = Frames::new(CAPS);
        let mut seen = Vec::new();
        for piece in bytes.chunks(step) {
            if !f.take(Bytes::copy_from_slice(piece)) {
                return None;
            }
            while let Some(b) = f.out.pop_front() {
                seen.extend_from_slice(b.chunk());
            }
        }
        Some(seen)
    }

    fn frame(ty: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![ty];
        // Two-byte varint lengths, to test split headers.
        f.extend_from_slice(&[0x40 | (payload.len() >> 8) as u8, payload.len() as u8]);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn frames_within_the_caps_pass_unchanged_however_they_are_split() {
        let mut s = frame(0x1, &[7; 100]);
        s.extend(frame(0x0, &[1; 3000]));
        s.extend(frame(0x21, &[2; 10]));
        s.extend(frame(0x0, b"end"));
        for step in [1, 2, 3, 7, 64, 1000, s.len()] {
            assert_eq!(pass(&s, step).as_deref(), Some(&s[..]), "step {step}");
        }
    }

    #[test]
    fn empty_data_frames_are_dropped() {
        let mut s = frame(0x1, &[7; 5]);
        s.extend(frame(0x0, b"ab"));
        s.extend([0x00, 0x00]);
        s.extend(frame(0x0, b""));
        s.extend(frame(0x0, b"cd"));
        let mut want = frame(0x1, &[7; 5]);
        want.extend(frame(0x0, b"ab"));
        want.extend(frame(0x0, b"cd"));
        for step in [1, 2, 3, 5, s.len()] {
            assert_eq!(pass(&s, step).as_deref(), Some(&want[..]), "step {step}");
        }
    }

    /// [`pass`] for a unidirectional stream.
    fn pass_uni(bytes: &[u8], step: usize) -> Option<Vec<u8>> {
        let mut f = Frames::uni(CAPS);
        let mut seen = Vec::new();
        for piece in bytes.chunks(step) {
            if !f.take(Bytes::copy_from_slice(piece)) {
                return None;
            }
            while let Some(b) = f.out.pop_front() {
                seen.extend_from_slice(b.chunk());
            }
        }
        Some(seen)
    }

    #[test]
    fn a_unidirectional_stream_type_is_no_frame() {
        // A control stream: its type, then SETTINGS with values whose bytes would read
        // as frames (`00 00`) if the type were taken for one.
        let mut control = vec![0x00];
        control.extend(frame(
            0x4,
            &[0x06, 0x80, 0x01, 0x00, 0x00, 0x01, 0x44, 0x00],
        ));
        control.extend(frame(0x21, &[1, 2, 3]));
        // QPACK streams and reserved types carry no frames: anything passes.
        let mut qpack = vec![0x02];
        qpack.extend([0x3f, 0xe1, 0x1f, 0x00, 0x00, 0xff, 0xff, 0xff]);
        // A two-byte stream type (reserved, 0x21 + 0x1f * N).
        let mut reserved = vec![0x40, 0x40];
        reserved.extend([0x01, 0xc0, 0, 0, 0, 0x40, 0, 0, 0]);
        for s in [&control, &qpack, &reserved] {
            for step in [1, 2, 3, s.len()] {
                assert_eq!(pass_uni(s, step).as_deref(), Some(&s[..]), "step {step}");
            }
        }
        // A control stream's frames are watched like a request stream's.
        let mut big = vec![0x00];
        big.extend(&frame(0x21, &[0; 11])[..3]);
        assert_eq!(pass_uni(&big, 1), None);
    }

    #[test]
    fn long_frames_are_refused_at_their_header() {
        // Only the header is needed to refuse: the payload never has to arrive.
        assert_eq!(pass(&frame(0x1, &[0; 101])[..3], 1), None);
        assert_eq!(pass(&frame(0x21, &[0; 11])[..3], 3), None);
        assert_eq!(pass(&frame(0x4, &[0; 11])[..3], 2), None);
        // An eight-byte length of a gigabyte.
        assert_eq!(pass(&[0x01, 0xc0, 0, 0, 0, 0x40, 0, 0, 0], 4), None);
        // DATA frames of any length pass.
        let big = frame(0x0, &[0; 5000]);
        assert_eq!(pass(&big, 999).as_deref(), Some(&big[..]));
    }
}
