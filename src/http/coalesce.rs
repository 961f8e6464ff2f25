//! Write coalescing for the connections hyper drives (HTTP/2, and anything over TLS).
//!
//! hyper's HTTP/2 writes each DATA frame (16 KiB, the frame size clients allow) with a
//! system call of its own and flushes after each, and over TLS each record is a write
//! too: a 64 KiB response was four `writev`s, each a trip through the TCP stack and a
//! wake-up of the reader. [`CoalescingTcp`] takes those writes into one buffer instead,
//! and [`FlushAfter`] sends the buffer when the connection's future has done all it
//! could in one poll: the bytes of every frame produced in that poll leave in as few
//! system calls as the socket allows, and none waits past the end of the poll.
//! Until [`Shared::defer`] is set (the TLS handshake, which waits on its own flushes),
//! a flush sends everything at once.
//!
//! Gathering must not cost a copy of the body: a frame's payload that is a body's
//! bytes (a file read, a JavaScript buffer, which hyper holds as `Bytes`) is found
//! again by its address (`crate::io::held`) and kept by reference, and the buffer goes
//! out with `writev`; only frame headers and other small or foreign bytes are copied.
//! Copying 2 MiB segments over HTTP/2 cost a fifth of the server's CPU.

use crate::http::exchange::ConnState;
use crate::http::LINGER_BYTES;
use bytes::{Buf, Bytes, BytesMut};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Bytes held before a write waits for the socket to take some. Larger gathers cost the
/// kernel less per byte: with 64 KiB responses over HTTP/2, 256 KiB gave 0.3 `writev`s
/// per response and 1 MiB 0.1, and the system time per response fell by a quarter
/// (`load-tests/RESULTS.md`).
const HIGH_WATER: usize = 1024 * 1024;
/// A write this large, arriving with nothing held, goes straight to the socket.
const DIRECT: usize = 64 * 1024;
/// A slice this large that is a body's bytes still held elsewhere is kept by
/// reference instead of copied (smaller ones cost less to copy).
const SHARE_MIN: usize = crate::io::held::MIN;
/// Slices given to one `writev` (a frame is two: its copied header and its payload by
/// reference), enough for `HIGH_WATER` of 16 KiB frames; the kernel takes up to 1024.
const MAX_IOVS: usize = 256;

/// The socket and the bytes waiting for it, shared by the connection's IO and the
/// future that drives the connection.
pub struct Shared {
    stream: TcpStream,
    out: RefCell<Out>,
    defer: Cell<bool>,
}

/// The bytes held, in order: small writes copied into `tail`, body bytes by reference.
struct Out {
    queue: VecDeque<Bytes>,
    tail: BytesMut,
    len: usize,
}

/// What `tail` allocates at a time: the copied pieces sealed off it share one
/// allocation (a 9-byte frame header each would otherwise be one of its own).
const TAIL_BLOCK: usize = 16 * 1024;

impl Out {
    fn new() -> Out {
        Out {
            queue: VecDeque::new(),
            tail: BytesMut::with_capacity(TAIL_BLOCK),
            len: 0,
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn copy(&mut self, b: &[u8]) {
        self.tail.extend_from_slice(b);
        self.len += b.len();
    }

    /// Holds `b`: by reference if it is a body's bytes still held elsewhere (a file
    /// read, a JavaScript buffer; see `crate::io::held`), else copied.
    fn hold(&mut self, b: &[u8]) {
        if b.len() >= SHARE_MIN {
            if let Some(shared) = crate::io::held::share(b) {
                self.push(shared);
                return;
            }
        }
        self.copy(b);
    }

    fn push(&mut self, b: Bytes) {
        self.seal();
        self.len += b.len();
        self.queue.push_back(b);
    }

    /// Moves the copied bytes into the queue (sharing `tail`'s allocation, which the
    /// next copies fill, or reuse from its start once everything sealed off it is
    /// sent).
    fn seal(&mut self) {
        if !self.tail.is_empty() {
            let sealed = self.tail.split().freeze();
            self.queue.push_back(sealed);
        }
    }

    /// Forgets the first `n` bytes (sent).
    fn advance(&mut self, mut n: usize) {
        self.len -= n;
        while n > 0 {
            let front = self.queue.front_mut().expect("sent bytes were held");
            if front.len() <= n {
                n -= front.len();
                self.queue.pop_front();
            } else {
                front.advance(n);
                n = 0;
            }
        }
    }
}

impl Shared {
    /// Flushes from now on wait for the end of the connection's poll.
    pub fn defer(&self) {
        self.defer.set(true);
    }

    /// Sends what the socket takes; `Ready` once nothing is held (or on an error),
    /// `Pending` with the waker registered while the socket is full.
    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut out = self.out.borrow_mut();
            if out.is_empty() {
                return Poll::Ready(Ok(()));
            }
            out.seal();
            let written = {
                let mut iovs = [io::IoSlice::new(&[]); MAX_IOVS];
                let n = iovs
                    .iter_mut()
                    .zip(&out.queue)
                    .map(|(iov, b)| *iov = io::IoSlice::new(b))
                    .count();
                self.stream.try_write_vectored(&iovs[..n])
            };
            match written {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => out.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    drop(out);
                    // Registers the waker; a socket that became writable meanwhile
                    // is tried again.
                    match self.stream.poll_write_ready(cx) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

/// A TCP connection whose writes are gathered (see the module's documentation). Bytes
/// already read from it (`prefix`) are read again first.
pub struct CoalescingTcp {
    shared: Rc<Shared>,
    prefix: Bytes,
}

impl CoalescingTcp {
    pub fn new(stream: TcpStream, prefix: Bytes) -> (CoalescingTcp, Rc<Shared>) {
        let shared = Rc::new(Shared {
            stream,
            out: RefCell::new(Out::new()),
            defer: Cell::new(false),
        });
        (
            CoalescingTcp {
                shared: shared.clone(),
                prefix,
            },
            shared,
        )
    }

    fn poll_room(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.shared.out.borrow().len < HIGH_WATER {
            return Poll::Ready(Ok(()));
        }
        match self.shared.poll_drain(cx) {
            Poll::Ready(r) => Poll::Ready(r),
            // Partly drained below the mark: room enough.
            Poll::Pending if self.shared.out.borrow().len < HIGH_WATER => Poll::Ready(Ok(())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncRead for CoalescingTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if !self.prefix.is_empty() {
            let n = self.prefix.len().min(buf.remaining());
            buf.put_slice(&self.prefix[..n]);
            self.prefix.advance(n);
            return Poll::Ready(Ok(()));
        }
        loop {
            std::task::ready!(self.shared.stream.poll_read_ready(cx))?;
            // SAFETY: the kernel only writes bytes into the unfilled part, and only the
            // `n` it reports are marked initialized.
            let unfilled = unsafe {
                &mut *(buf.unfilled_mut() as *mut [std::mem::MaybeUninit<u8>] as *mut [u8])
            };
            let room = unfilled.len();
            match self.shared.stream.try_read(unfilled) {
                Ok(n) => {
                    if n > 0 && n < room {
                        crate::http::read_drained(&self.shared.stream);
                    }
                    // SAFETY: the kernel wrote `n` bytes there.
                    unsafe { buf.assume_init(n) };
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }
}

impl AsyncWrite for CoalescingTcp {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let [one] = bufs {
            if one.len() >= DIRECT && self.shared.out.borrow().is_empty() {
                // Large and alone (a TLS record run, say): sent now, no copy.
                loop {
                    match self.shared.stream.try_write(one) {
                        Ok(n) => return Poll::Ready(Ok(n)),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                            std::task::ready!(self.shared.stream.poll_write_ready(cx))?;
                        }
                        Err(e) => return Poll::Ready(Err(e)),
                    }
                }
            }
        }
        std::task::ready!(self.poll_room(cx))?;
        let mut out = self.shared.out.borrow_mut();
        let mut n = 0;
        for b in bufs {
            out.hold(b);
            n += b.len();
        }
        Poll::Ready(Ok(n))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.shared.defer.get() {
            // The end of the connection's poll sends it (see `FlushAfter`); only a
            // full buffer is sent now.
            return match self.poll_room(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                _ => Poll::Ready(Ok(())),
            };
        }
        self.shared.poll_drain(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.shared.poll_drain(cx))?;
        // The sending side only, as tokio's own `poll_shutdown`; a peer already gone
        // is no error here.
        let _ = socket2::SockRef::from(&self.shared.stream).shutdown(std::net::Shutdown::Write);
        Poll::Ready(Ok(()))
    }
}

/// Drives a connection's future, then sends what its poll left in the buffer. When the
/// connection is done, its last bytes go out before this completes, for at most
/// `linger` (a client that stops reading then loses them, as it would have anyway).
///
/// Then, when a response ended less than `linger` ago (or one is still in flight), a
/// lingering close, as nginx's: the sending side is shut and what the client still
/// sends (HTTP/2 WINDOW_UPDATE frames while it reads the last response, a request that
/// crossed a GOAWAY) is read and dropped until it closes too, for at most `linger`
/// again and [`LINGER_BYTES`]. Closing with such bytes unread would make the kernel
/// reset the connection, and a reset discards what the client has not read yet: the
/// tail of the last response. A connection idle that long closes at once.
pub struct FlushAfter<F: Future> {
    fut: Pin<Box<F>>,
    shared: Rc<Shared>,
    conn: Rc<ConnState>,
    done: Option<F::Output>,
    linger: std::time::Duration,
    deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    lingering: bool,
    dropped: usize,
}

impl<F: Future> FlushAfter<F> {
    pub fn new(
        fut: F,
        shared: Rc<Shared>,
        conn: Rc<ConnState>,
        linger: std::time::Duration,
    ) -> Self {
        shared.defer();
        FlushAfter {
            fut: Box::pin(fut),
            shared,
            conn,
            done: None,
            linger,
            deadline: None,
            lingering: false,
            dropped: 0,
        }
    }

    /// Whether the client may still be reading a response: one is in flight, or one
    /// ended less than `linger` ago.
    fn response_recent(&self) -> bool {
        let last = self.conn.last_done.get();
        self.conn.active.get() > 0
            || (!last.is_zero()
                && crate::http::date::coarse_monotonic().saturating_sub(last) < self.linger)
    }

    /// Reads and drops what the client sends until it closes; `Ready` then, on an
    /// error, or past [`LINGER_BYTES`]. Yields after 16 reads, so that a client
    /// sending without pause does not hold the worker.
    fn poll_client_closed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let mut sink = [0u8; 16 * 1024];
        for _ in 0..16 {
            match self.shared.stream.try_read(&mut sink) {
                Ok(0) => return Poll::Ready(()),
                Ok(n) => {
                    self.dropped += n;
                    if self.dropped >= LINGER_BYTES {
                        return Poll::Ready(());
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if self.shared.stream.poll_read_ready(cx).is_pending() {
                        return Poll::Pending;
                    }
                }
                Err(_) => return Poll::Ready(()),
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<F: Future> Future for FlushAfter<F>
where
    F::Output: Unpin,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.done.is_none() {
            if let Poll::Ready(out) = self.fut.as_mut().poll(cx) {
                self.done = Some(out);
            }
        }
        let linger = self.linger;
        if !self.lingering {
            let drained = self.shared.poll_drain(cx);
            if self.done.is_none() {
                // A write error surfaces in the connection's own next write.
                return Poll::Pending;
            }
            if drained.is_pending() {
                let deadline = self
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(linger)));
                if deadline.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            }
            if !self.response_recent() {
                return Poll::Ready(self.done.take().expect("checked"));
            }
            self.lingering = true;
            let _ = socket2::SockRef::from(&self.shared.stream).shutdown(std::net::Shutdown::Write);
            self.deadline = Some(Box::pin(tokio::time::sleep(linger)));
        }
        if self.poll_client_closed(cx).is_ready() {
            return Poll::Ready(self.done.take().expect("checked"));
        }
        match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => Poll::Ready(self.done.take().expect("checked")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::file::{FileReader, IoMode};
    use std::io::Read;
    use tokio::io::AsyncWriteExt;

    async fn pair() -> (TcpStream, std::net::TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (server, client)
    }

    /// A connection with an exchange in flight, as when its last response is sent.
    fn busy() -> Rc<ConnState> {
        let conn = Rc::new(ConnState::watching_done());
        conn.active.set(1);
        conn
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
            .collect()
    }

    #[tokio::test]
    async fn frames_written_in_one_poll_leave_together_when_the_poll_ends() {
        let (server, mut client) = pair().await;
        client.set_nonblocking(true).unwrap();
        let (mut tcp, shared) = CoalescingTcp::new(server, Bytes::new());
        let frames: Vec<Vec<u8>> = (0..4).map(|i| pattern(16 * 1024 + 9, i)).collect();
        let expected: Vec<u8> = frames.concat();
        let peek = std::net::TcpStream::try_clone(&client).unwrap();
        let conn = async move {
            for f in &frames {
                tcp.write_all(f).await.unwrap();
                tcp.flush().await.unwrap();
            }
            // Nothing has reached the peer yet: the flushes were deferred.
            let mut probe = [0u8; 1];
            let early = (&peek).read(&mut probe);
            assert!(
                matches!(&early, Err(e) if e.kind() == io::ErrorKind::WouldBlock),
                "bytes left before the end of the poll: {early:?}"
            );
        };
        FlushAfter::new(conn, shared, busy(), std::time::Duration::from_secs(5)).await;
        client.set_nonblocking(false).unwrap();
        let mut got = vec![0u8; expected.len()];
        client.read_exact(&mut got).unwrap();
        assert!(got == expected, "the bytes differ");
    }

    /// Bytes the client sent that the connection never read (an HTTP/2 WINDOW_UPDATE
    /// after the last request) would make the kernel reset the connection at close,
    /// and a reset discards what the client has not read yet: the lingering close
    /// reads them, and the response arrives whole however late it is read.
    #[tokio::test]
    async fn the_last_response_survives_bytes_the_connection_never_read() {
        let (server, client) = pair().await;
        let (mut tcp, shared) = CoalescingTcp::new(server, Bytes::new());
        let body = pattern(8 << 20, 5);
        let expected = body.clone();
        let reader = std::thread::spawn(move || {
            let mut client = client;
            std::io::Write::write_all(&mut client, &[0u8; 1024]).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
            let mut got = Vec::new();
            let r = client.read_to_end(&mut got);
            (r.map(|_| ()), got)
        });
        let conn = async move {
            tcp.write_all(&body).await.unwrap();
            tcp.flush().await.unwrap();
        };
        FlushAfter::new(conn, shared, busy(), std::time::Duration::from_secs(5)).await;
        let (r, got) = reader.join().unwrap();
        assert!(
            r.is_ok(),
            "{r:?} after {} of {} bytes",
            got.len(),
            expected.len()
        );
        assert!(got == expected, "the bytes differ");
    }

    #[tokio::test]
    async fn a_peer_that_stops_reading_bounds_what_is_held() {
        let (server, client) = pair().await;
        let (mut tcp, shared) = CoalescingTcp::new(server, Bytes::new());
        shared.defer();
        let chunk = pattern(16 * 1024, 7);
        let mut written = 0usize;
        // Write until a write has to wait: the socket buffers and ours are full.
        loop {
            let w = tokio::time::timeout(std::time::Duration::from_millis(200), tcp.write(&chunk))
                .await;
            match w {
                Ok(Ok(n)) => written += n,
                Ok(Err(e)) => panic!("{e}"),
                Err(_) => break,
            }
            assert!(written < 256 << 20, "writes never waited");
        }
        let held = shared.out.borrow().len;
        assert!(held <= HIGH_WATER + chunk.len(), "{held} bytes held");
        drop(client);
    }

    /// Frames as HTTP/2 writes them: a 9-byte header (copied) and `payload` bytes of a
    /// file read (held), the read's own `Bytes` dropped as soon as the write returns;
    /// the peer starts reading late and in small pieces, so the socket fills and
    /// `writev`s end inside queued pieces.
    async fn frames_by_reference_arrive_in_order(payload_len: usize, mode: IoMode) {
        let data = pattern(1 << 20, 3);
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut tmp, &data).unwrap();
        let reader = FileReader::new(mode, 256 * 1024, 4);
        let file = reader.open(tmp.path()).await.unwrap();
        let (server, mut client) = pair().await;
        // Small socket buffers: most `writev`s are cut short, inside a piece. Not
        // smaller than 128 KiB on the receiving side: a window under one loopback
        // segment (64 KiB) leaves the sender waiting on 200 ms window probes, and the
        // megabyte then takes longer than `FlushAfter` lingers.
        server.set_nodelay(true).unwrap();
        socket2::SockRef::from(&server)
            .set_send_buffer_size(16 * 1024)
            .unwrap();
        socket2::SockRef::from(&client)
            .set_recv_buffer_size(128 * 1024)
            .unwrap();
        let (mut tcp, shared) = CoalescingTcp::new(server, Bytes::new());
        let mut expected = Vec::new();
        let mut frames = Vec::new();
        for (i, at) in (0..data.len()).step_by(payload_len).enumerate() {
            let header = pattern(9, i as u8);
            expected.extend_from_slice(&header);
            expected.extend_from_slice(&data[at..at + payload_len]);
            frames.push((header, at));
        }
        let want = expected.len();
        let receiver = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let mut got = Vec::with_capacity(want);
            let mut piece = [0u8; 7000];
            while got.len() < want {
                let n = client.read(&mut piece).unwrap();
                assert!(n > 0, "the connection ended early");
                got.extend_from_slice(&piece[..n]);
            }
            got
        });
        let conn = async {
            let mut held_while_queued = false;
            for (header, at) in frames {
                let chunk_at = at - at % (256 * 1024);
                let read = reader
                    .read_at(&file, chunk_at as u64, 256 * 1024)
                    .await
                    .unwrap();
                let payload = read.slice(at - chunk_at..at - chunk_at + payload_len);
                drop(read);
                let iovs = [io::IoSlice::new(&header), io::IoSlice::new(&payload)];
                // Taken whole: a write waits at the high-water mark rather than take
                // part of its slices.
                let n = tcp.write_vectored(&iovs).await.unwrap();
                assert_eq!(n, header.len() + payload.len(), "a write was taken in part");
                drop(payload);
                // The read's buffer is now held by the connection alone.
                held_while_queued |= !shared.out.borrow().is_empty()
                    && reader.stats().idle_buffers < reader.stats().pool_size;
                tcp.flush().await.unwrap();
            }
            assert!(held_while_queued, "file data was copied, not held");
        };
        FlushAfter::new(
            conn,
            shared.clone(),
            busy(),
            std::time::Duration::from_secs(5),
        )
        .await;
        let got = tokio::task::spawn_blocking(move || receiver.join().unwrap())
            .await
            .unwrap();
        assert!(got == expected, "the bytes differ");
        drop((tcp, shared));
        assert_eq!(
            reader.stats().idle_buffers,
            reader.stats().pool_size,
            "a buffer was never given back"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn file_data_is_held_by_reference_and_leaves_in_order_with_the_copies() {
        // 16 KiB frames (HTTP/2's usual size), pread reads.
        frames_by_reference_arrive_in_order(16 * 1024, IoMode::Threads).await;
    }

    #[tokio::test(flavor = "current_thread")]
    async fn more_pieces_than_one_writev_takes_leave_in_order() {
        // 4 KiB frames: 512 pieces at the high-water mark, twice what one `writev`
        // is given; io_uring reads where the kernel allows them.
        frames_by_reference_arrive_in_order(4 * 1024, IoMode::Uring).await;
    }

    #[tokio::test]
    async fn prefixed_bytes_are_read_first() {
        use tokio::io::AsyncReadExt;
        let (server, mut client) = pair().await;
        std::io::Write::write_all(&mut client, b" world").unwrap();
        let (mut tcp, _shared) = CoalescingTcp::new(server, Bytes::from_static(b"hello"));
        let mut got = vec![0u8; 11];
        tcp.read_exact(&mut got).await.unwrap();
        assert_eq!(got, b"hello world");
    }
}
