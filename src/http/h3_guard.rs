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

use bytes::Bytes;
use h3::quic::{self, ConnectionErrorIncoming, StreamErrorIncoming, StreamId, WriteBuf};
use std::collections::VecDeque;
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
                other => return Poll::Ready(other),
            }
        }
    }
}

/// An `h3_quinn` connection whose incoming streams are watched.
pub struct Connection {
    inner: h3_quinn::Connection,
    caps: Caps,
}

impl Connection {
    pub fn new(inner: h3_quinn::Connection, caps: Caps) -> Connection {
        Connection { inner, caps }
    }
}

pub struct RecvStream {
    inner: h3_quinn::RecvStream,
    frames: Frames,
}

pub struct BidiStream {
    inner: h3_quinn::BidiStream<Bytes>,
    frames: Frames,
}

pub struct OpenStreams {
    inner: h3_quinn::OpenStreams,
    caps: Caps,
}

type SendStream = h3_quinn::SendStream<Bytes>;

impl quic::Connection<Bytes> for Connection {
    type RecvStream = RecvStream;
    type OpenStreams = OpenStreams;

    fn poll_accept_recv(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<RecvStream, ConnectionErrorIncoming>> {
        let caps = self.caps;
        quic::Connection::<Bytes>::poll_accept_recv(&mut self.inner, cx).map_ok(|inner| {
            RecvStream {
                inner,
                frames: Frames::new(caps),
            }
        })
    }

    fn poll_accept_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<BidiStream, ConnectionErrorIncoming>> {
        let caps = self.caps;
        quic::Connection::<Bytes>::poll_accept_bidi(&mut self.inner, cx).map_ok(|inner| {
            BidiStream {
                inner,
                frames: Frames::new(caps),
            }
        })
    }

    fn opener(&self) -> OpenStreams {
        OpenStreams {
            inner: quic::Connection::<Bytes>::opener(&self.inner),
            caps: self.caps,
        }
    }
}

/// Streams the server opens carry no client frames: they are watched all the same,
/// as the types require, and pass as they are.
fn open_bidi(
    inner: &mut impl quic::OpenStreams<Bytes, BidiStream = h3_quinn::BidiStream<Bytes>>,
    caps: Caps,
    cx: &mut Context<'_>,
) -> Poll<Result<BidiStream, StreamErrorIncoming>> {
    inner.poll_open_bidi(cx).map_ok(|inner| BidiStream {
        inner,
        frames: Frames::new(caps),
    })
}

impl quic::OpenStreams<Bytes> for Connection {
    type BidiStream = BidiStream;
    type SendStream = SendStream;

    fn poll_open_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<BidiStream, StreamErrorIncoming>> {
        open_bidi(&mut self.inner, self.caps, cx)
    }

    fn poll_open_send(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<SendStream, StreamErrorIncoming>> {
        quic::OpenStreams::<Bytes>::poll_open_send(&mut self.inner, cx)
    }

    fn close(&mut self, code: h3::error::Code, reason: &[u8]) {
        quic::OpenStreams::<Bytes>::close(&mut self.inner, code, reason)
    }
}

impl quic::OpenStreams<Bytes> for OpenStreams {
    type BidiStream = BidiStream;
    type SendStream = SendStream;

    fn poll_open_bidi(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<BidiStream, StreamErrorIncoming>> {
        open_bidi(&mut self.inner, self.caps, cx)
    }

    fn poll_open_send(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<SendStream, StreamErrorIncoming>> {
        quic::OpenStreams::<Bytes>::poll_open_send(&mut self.inner, cx)
    }

    fn close(&mut self, code: h3::error::Code, reason: &[u8]) {
        quic::OpenStreams::<Bytes>::close(&mut self.inner, code, reason)
    }
}

impl quic::RecvStream for RecvStream {
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

impl quic::RecvStream for BidiStream {
    type Buf = Bytes;

    fn poll_data(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<Bytes>, StreamErrorIncoming>> {
        self.frames.poll_next(&mut self.inner, cx)
    }

    fn stop_sending(&mut self, error_code: u64) {
        quic::RecvStream::stop_sending(&mut self.inner, error_code)
    }

    fn recv_id(&self) -> StreamId {
        quic::RecvStream::recv_id(&self.inner)
    }
}

impl quic::SendStream<Bytes> for BidiStream {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_ready(cx)
    }

    fn send_data<T: Into<WriteBuf<Bytes>>>(&mut self, data: T) -> Result<(), StreamErrorIncoming> {
        self.inner.send_data(data)
    }

    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StreamErrorIncoming>> {
        self.inner.poll_finish(cx)
    }

    fn reset(&mut self, reset_code: u64) {
        self.inner.reset(reset_code)
    }

    fn send_id(&self) -> StreamId {
        self.inner.send_id()
    }
}

impl quic::BidiStream<Bytes> for BidiStream {
    type SendStream = SendStream;
    type RecvStream = RecvStream;

    fn split(self) -> (SendStream, RecvStream) {
        let (send, recv) = self.inner.split();
        (
            send,
            RecvStream {
                inner: recv,
                frames: self.frames,
            },
        )
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
                seen.extend_from_slice(&b);
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
