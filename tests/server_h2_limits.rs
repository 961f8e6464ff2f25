//! The HTTP/2 limits, each shown with a client that breaks it: concurrent streams
//! (`--h2-max-concurrent-streams`: a stream past it is refused), the header list
//! (`--h2-max-header-list-size`: 431), the reset budget against "Rapid Reset"
//! (`--h2-max-pending-resets`: GOAWAY), `--max-connections` over TCP, and what a
//! request body answered before it was read costs (read and dropped up to a point,
//! past it the stream reset). The raw
//! client below writes frames by hand, as a client that ignores the server's
//! SETTINGS would; hyper's client would never break the limits.

mod common;
#[path = "common/server.rs"]
mod server;

use server::{fetch, get, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const SETTINGS: u8 = 4;
const PING: u8 = 6;
const WINDOW_UPDATE: u8 = 8;
const GOAWAY: u8 = 7;
const REFUSED_STREAM: u32 = 7;
const ENHANCE_YOUR_CALM: u32 = 0xb;

struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

impl Frame {
    fn code(&self) -> u32 {
        let at = if self.kind == GOAWAY { 4 } else { 0 };
        u32::from_be_bytes(self.payload[at..at + 4].try_into().unwrap())
    }
}

/// A client that speaks HTTP/2 frame by frame.
struct Raw {
    s: TcpStream,
}

impl Raw {
    fn connect(addr: std::net::SocketAddr) -> Raw {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(PREFACE).unwrap();
        let mut raw = Raw { s };
        raw.frame(SETTINGS, 0, 0, &[]);
        raw
    }

    /// Writes a frame; a server that closed the connection is no error here (what it
    /// said before closing is read next).
    fn frame(&mut self, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
        let len = payload.len() as u32;
        let mut f = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
        f.extend_from_slice(&stream.to_be_bytes());
        f.extend_from_slice(payload);
        let _ = self.s.write_all(&f);
    }

    /// A GET of `path` with no body (END_STREAM | END_HEADERS), its fields encoded as
    /// HPACK literals without indexing.
    fn get(&mut self, stream: u32, path: &str) {
        let mut block = vec![0x82, 0x86]; // :method GET, :scheme http (static table)
        for (index, value) in [(4u8, path), (1u8, "localhost")] {
            // :path and :authority by name index.
            block.push(index);
            block.push(value.len() as u8);
            block.extend_from_slice(value.as_bytes());
        }
        self.frame(HEADERS, 0x5, stream, &block);
    }

    /// A POST of `path` whose body follows (END_HEADERS only), with `fields` as
    /// literals with new names.
    fn post(&mut self, stream: u32, path: &str, fields: &[(&str, &str)]) {
        let mut block = vec![0x83, 0x86]; // :method POST, :scheme http
        for (index, value) in [(4u8, path), (1u8, "localhost")] {
            block.push(index);
            block.push(value.len() as u8);
            block.extend_from_slice(value.as_bytes());
        }
        for (name, value) in fields {
            block.push(0);
            block.push(name.len() as u8);
            block.extend_from_slice(name.as_bytes());
            block.push(value.len() as u8);
            block.extend_from_slice(value.as_bytes());
        }
        self.frame(HEADERS, 0x4, stream, &block);
    }

    fn cancel(&mut self, stream: u32) {
        self.frame(RST_STREAM, 0, stream, &8u32.to_be_bytes());
    }

    /// The next frame, or `None` when the connection closed.
    fn next(&mut self) -> Option<Frame> {
        let mut head = [0u8; 9];
        self.s.read_exact(&mut head).ok()?;
        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]) as usize;
        let mut payload = vec![0u8; len];
        self.s.read_exact(&mut payload).ok()?;
        let stream = u32::from_be_bytes(head[5..9].try_into().unwrap()) & 0x7fff_ffff;
        if head[3] == SETTINGS && head[4] & 1 == 0 {
            self.frame(SETTINGS, 1, 0, &[]); // ack
        }
        Some(Frame {
            kind: head[3],
            flags: head[4],
            stream,
            payload,
        })
    }
}

#[test]
fn a_stream_past_the_concurrent_limit_is_refused() {
    let srv = Server::handler(&["--h2-max-concurrent-streams", "2"]);
    let mut c = Raw::connect(srv.addr);
    // The server's SETTINGS say 2 (identifier 3: SETTINGS_MAX_CONCURRENT_STREAMS).
    let settings = c.next().expect("the server's SETTINGS");
    assert_eq!(settings.kind, SETTINGS);
    let said: Vec<(u16, u32)> = settings
        .payload
        .chunks(6)
        .map(|p| {
            (
                u16::from_be_bytes([p[0], p[1]]),
                u32::from_be_bytes(p[2..6].try_into().unwrap()),
            )
        })
        .collect();
    assert!(said.contains(&(3, 2)), "{said:?}");
    // Three slow requests at once, as a client ignoring that would send them.
    for stream in [1, 3, 5] {
        c.get(stream, "/slow?ms=400");
    }
    let (mut answered, mut refused) = (Vec::new(), Vec::new());
    while answered.len() + refused.len() < 3 {
        let f = c.next().expect("the connection stays open");
        match f.kind {
            HEADERS => answered.push(f.stream),
            RST_STREAM => refused.push((f.stream, f.code())),
            GOAWAY => panic!(
                "GOAWAY {:#x}: one stream too many is a stream error",
                f.code()
            ),
            _ => {}
        }
    }
    answered.sort();
    assert_eq!(answered, [1, 3]);
    assert_eq!(refused, [(5, REFUSED_STREAM)]);
    // The connection goes on: the two answers end, and a new stream is served.
    let mut ended = 0;
    while ended < 2 {
        let f = c.next().expect("the bodies");
        if f.kind == DATA && f.payload.ends_with(b"slow done\n") {
            ended += 1;
        }
    }
    c.get(7, "/hello");
    loop {
        let f = c.next().expect("an answer on stream 7");
        if f.kind == HEADERS {
            assert_eq!(f.stream, 7);
            break;
        }
    }
}

#[tokio::test]
async fn a_header_list_past_its_limit_gets_431() {
    let srv = Server::handler(&["--h2-max-header-list-size", "4096"]);
    let mut c = server::h2c(srv.addr).await;
    let req = |value: &str| {
        hyper::Request::get("/hello")
            .header("x-big", value)
            .body(server::empty())
            .unwrap()
    };
    let (status, _, _) = fetch(&mut c, req(&"x".repeat(8000))).await;
    assert_eq!(status, 431);
    // The connection serves on, and a list under the limit passes.
    let (status, _, body) = fetch(&mut c, req(&"y".repeat(1000))).await;
    assert_eq!(
        (status.as_u16(), body.unwrap()),
        (200, "hello world\n".into())
    );
}

#[test]
fn streams_reset_as_fast_as_they_are_opened_end_the_connection() {
    let srv = Server::handler(&["--h2-max-pending-resets", "5"]);
    let mut c = Raw::connect(srv.addr);
    // 100 requests, each cancelled at once, without waiting for anything.
    for i in 0..100 {
        c.get(1 + 2 * i, "/slow?ms=5000");
        c.cancel(1 + 2 * i);
    }
    let goaway = loop {
        match c.next() {
            Some(f) if f.kind == GOAWAY => break f,
            Some(_) => {}
            None => panic!("the connection closed without GOAWAY"),
        }
    };
    assert_eq!(goaway.code(), ENHANCE_YOUR_CALM);
    // Other connections are served.
    let mut other = Raw::connect(srv.addr);
    other.get(1, "/hello");
    loop {
        let f = other.next().expect("an answer");
        if f.kind == HEADERS {
            break;
        }
    }
}

#[tokio::test]
async fn connections_past_max_connections_wait_for_a_free_slot() {
    let srv = Server::handler(&["--max-connections", "2"]);
    let addr = srv.addr;
    let request = b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n";
    let answer = |s: &mut TcpStream| -> Option<String> {
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(n) if n > 0 => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
            _ => None,
        }
    };
    let mut first = TcpStream::connect(addr).unwrap();
    let mut second = TcpStream::connect(addr).unwrap();
    for s in [&mut first, &mut second] {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(request).unwrap();
        assert!(answer(s).unwrap().starts_with("HTTP/1.1 200"));
    }
    // The third is accepted by the kernel but not served while two are open.
    let mut third = TcpStream::connect(addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    third.write_all(request).unwrap();
    assert_eq!(answer(&mut third), None, "a third connection was served");
    // One closes: the third gets its answer.
    drop(first);
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let got = answer(&mut third).expect("served once a slot is free");
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    drop(second);
    let (status, _, _) = fetch(&mut server::h1(addr).await, get("/hello")).await;
    assert_eq!(status, 200);
}

#[test]
fn a_headers_frame_depending_on_itself_closes_the_connection_rather_than_desync_hpack() {
    // Stream 1 adds `x-user: alice` to the HPACK table. Stream 3's HEADERS carries a
    // priority that depends on stream 3 itself and adds `x-user: bob`: the h2 crate
    // resets that stream without decoding its block, so its table would keep `alice`
    // where the client's has `bob`, and stream 5's indexed `x-user` (62) would reach
    // the handler as `alice`. The connection is closed instead.
    let srv = Server::handler(&[]);
    let mut c = Raw::connect(srv.addr);
    let block = |user: &str| {
        let mut b = vec![0x82, 0x86, 0x84, 0x41, 9]; // GET, http, /, :authority
        b.extend_from_slice(b"localhost");
        b.extend_from_slice(&[0x40, 6]); // literal with incremental indexing, new name
        b.extend_from_slice(b"x-user");
        b.push(user.len() as u8);
        b.extend_from_slice(user.as_bytes());
        b
    };
    c.frame(HEADERS, 0x5, 1, &block("alice"));
    let mut prioritized = 3u32.to_be_bytes().to_vec();
    prioritized.push(15); // weight
    prioritized.extend_from_slice(&block("bob"));
    c.frame(HEADERS, 0x5 | 0x20, 3, &prioritized);
    // 0xbe: the newest dynamic entry (62), `x-user: bob` in the client's table.
    c.frame(HEADERS, 0x5, 5, &[0x82, 0x86, 0x84, 0xbe]);
    let mut answered = Vec::new();
    while let Some(f) = c.next() {
        if f.kind == HEADERS {
            answered.push(f.stream);
        }
    }
    assert!(
        !answered.contains(&5),
        "stream 5 was answered: {answered:?}"
    );
    // The worker goes on serving other connections.
    let mut c = Raw::connect(srv.addr);
    c.get(1, "/hello");
    let mut ok = false;
    while let Some(f) = c.next() {
        if f.kind == HEADERS && f.stream == 1 {
            ok = true;
            break;
        }
    }
    assert!(ok);
}

#[test]
fn a_malformed_request_resets_its_stream_and_a_field_with_forbidden_characters_the_connection() {
    const PROTOCOL_ERROR: u32 = 1;
    // A literal field without indexing, new name (HPACK 0x00).
    let with = |name: &str, value: &str| {
        let mut b = vec![0x82, 0x86, 0x84, 0x41, 9]; // GET, http, /, :authority
        b.extend_from_slice(b"localhost");
        b.push(0);
        b.push(name.len() as u8);
        b.extend_from_slice(name.as_bytes());
        b.push(value.len() as u8);
        b.extend_from_slice(value.as_bytes());
        b
    };
    let srv = Server::handler(&[]);
    // Stream errors: the stream is reset, the next one on the connection served.
    for (name, value) in [("connection", "keep-alive"), ("te", "gzip")] {
        let mut c = Raw::connect(srv.addr);
        c.frame(HEADERS, 0x5, 1, &with(name, value));
        c.get(3, "/hello");
        let (mut reset, mut answered) = (None, false);
        while let Some(f) = c.next() {
            match (f.kind, f.stream) {
                (RST_STREAM, 1) => reset = Some(f.code()),
                (HEADERS, 3) => {
                    answered = true;
                    break;
                }
                (GOAWAY, _) => panic!("{name}: GOAWAY {}", f.code()),
                _ => {}
            }
        }
        assert_eq!(reset, Some(PROTOCOL_ERROR), "{name}");
        assert!(answered, "{name}");
    }
    // A name with an upper-case letter: the connection goes, with GOAWAY.
    let mut c = Raw::connect(srv.addr);
    c.frame(HEADERS, 0x5, 1, &with("X-Upper", "a"));
    let mut goaway = None;
    while let Some(f) = c.next() {
        assert_ne!(f.kind, HEADERS, "answered");
        if f.kind == GOAWAY {
            goaway = Some(f.code());
        }
    }
    assert_eq!(goaway, Some(PROTOCOL_ERROR));
}

#[test]
fn frames_that_are_not_a_request_do_not_start_the_head_timeout() {
    // A client that acknowledges the data it got (WINDOW_UPDATE) after its response
    // keeps an idle connection, closed by the idle timeout, not the head timeout.
    let srv = Server::handler(&["--header-timeout-ms", "400", "--idle-timeout-ms", "2500"]);
    let mut c = Raw::connect(srv.addr);
    let answered = |c: &mut Raw, stream: u32| loop {
        match c.next() {
            Some(f) if f.kind == HEADERS && f.stream == stream => return true,
            Some(_) => {}
            None => return false,
        }
    };
    c.get(1, "/hello");
    assert!(answered(&mut c, 1));
    // Its body, then a moment for the exchange to end.
    while c.next().is_some_and(|f| !(f.kind == DATA && f.stream == 1)) {}
    std::thread::sleep(Duration::from_millis(100));
    c.frame(WINDOW_UPDATE, 0, 0, &100u32.to_be_bytes());
    std::thread::sleep(Duration::from_millis(1200));
    c.get(3, "/hello");
    assert!(answered(&mut c, 3), "closed at the head timeout");
    while c.next().is_some_and(|f| !(f.kind == DATA && f.stream == 3)) {}
    std::thread::sleep(Duration::from_millis(100));
    // A request head begun and never finished still meets the head timeout.
    let t = Instant::now();
    c.frame(HEADERS, 0x1, 5, &[0x82, 0x86]); // END_STREAM, no END_HEADERS
    while c.next().is_some() {}
    assert!(
        t.elapsed() < Duration::from_millis(2000),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_client_that_pings_but_never_opens_its_window_meets_the_send_timeout() {
    // Pings are traffic, but no byte of the response goes: the connection closes at
    // --send-timeout-ms (give or take two idle periods), as for a silent client.
    let srv = Server::handler(&["--send-timeout-ms", "1000", "--idle-timeout-ms", "300"]);
    let mut c = Raw::connect(srv.addr);
    c.frame(SETTINGS, 0, 0, &[0, 4, 0, 0, 0, 0]); // INITIAL_WINDOW_SIZE 0
    c.get(1, "/whole?bytes=100000");
    let mut pings = c.s.try_clone().unwrap();
    let pinger = std::thread::spawn(move || {
        for _ in 0..40 {
            std::thread::sleep(Duration::from_millis(150));
            let mut f = vec![0, 0, 8, PING, 0, 0, 0, 0, 0];
            f.extend_from_slice(&[7; 8]);
            if pings.write_all(&f).is_err() {
                break;
            }
        }
    });
    let t = Instant::now();
    let (mut answered, mut data) = (false, 0usize);
    while let Some(f) = c.next() {
        answered |= f.kind == HEADERS && f.stream == 1;
        if f.kind == DATA {
            data += f.payload.len();
        }
    }
    assert!(answered);
    assert_eq!(data, 0);
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    pinger.join().unwrap();
}

/// Reads frames until `stream`'s response has ended (END_STREAM on its HEADERS or
/// DATA): its body. A reset of it before then fails the test.
fn whole_response(c: &mut Raw, stream: u32) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let f = c.next().expect("the connection stays open");
        if f.stream != stream {
            continue;
        }
        assert_ne!(
            f.kind,
            RST_STREAM,
            "reset ({}) before its response",
            f.code()
        );
        if f.kind == DATA {
            body.extend_from_slice(&f.payload);
        }
        if matches!(f.kind, HEADERS | DATA) && f.flags & 1 != 0 {
            return body;
        }
    }
}

#[test]
fn a_body_answered_before_it_was_read_is_read_to_its_end_rather_than_reset() {
    // RFC 9113 §8.1 lets a server that answered before reading a body reset the
    // stream with NO_ERROR; clients still sending then may drop the answer (curl 7.88
    // does). A short body is read and dropped, and its stream ends cleanly.
    let srv = Server::handler(&[]);
    let mut c = Raw::connect(srv.addr);
    // /hello answers without reading; /throw fails before its head (weir's 500).
    for (stream, path) in [(1, "/hello"), (3, "/throw")] {
        c.post(stream, path, &[("content-length", "5")]);
        whole_response(&mut c, stream);
        std::thread::sleep(Duration::from_millis(100));
        c.frame(DATA, 1, stream, b"hello");
    }
    c.get(5, "/hello");
    loop {
        let f = c.next().expect("the connection stays open");
        assert_ne!(
            (f.kind, f.stream < 5),
            (RST_STREAM, true),
            "stream {} reset ({})",
            f.stream,
            f.code()
        );
        if f.kind == HEADERS && f.stream == 5 {
            break;
        }
    }
}

/// Reads frames until `stream` is reset: its error code and when.
fn reset_of(c: &mut Raw, stream: u32) -> (u32, Instant) {
    loop {
        let f = c.next().expect("the connection stays open");
        if f.kind == RST_STREAM && f.stream == stream {
            return (f.code(), Instant::now());
        }
    }
}

#[test]
fn a_body_answered_before_it_was_read_is_reset_if_long_or_slow() {
    const NO_ERROR: u32 = 0;
    let srv = Server::handler(&[]);
    let mut c = Raw::connect(srv.addr);
    // Declared longer than the stream window (1 MiB): reset as soon as answered.
    c.post(1, "/hello", &[("content-length", "2000000")]);
    whole_response(&mut c, 1);
    let answered = Instant::now();
    let (code, at) = reset_of(&mut c, 1);
    assert_eq!(code, NO_ERROR);
    assert!(
        at - answered < Duration::from_secs(1),
        "{:?}",
        at - answered
    );
    // Of no declared length, never ending: reset 5 s after the answer.
    c.post(3, "/hello", &[]);
    c.frame(DATA, 0, 3, b"part");
    whole_response(&mut c, 3);
    let answered = Instant::now();
    let (code, at) = reset_of(&mut c, 3);
    assert_eq!(code, NO_ERROR);
    let late = at - answered;
    assert!(
        late > Duration::from_secs(4) && late < Duration::from_secs(8),
        "{late:?}"
    );
    // Of no declared length, going on past 1 MiB: reset once it passes.
    c.post(5, "/hello", &[]);
    whole_response(&mut c, 5);
    let chunk = [b'u'; 16 << 10];
    for _ in 0..64 {
        c.frame(DATA, 0, 5, &chunk);
    }
    // The window the server opens again as it reads and drops: more bytes.
    loop {
        let f = c.next().expect("the connection stays open");
        assert_ne!((f.kind, f.stream), (RST_STREAM, 5), "reset within 1 MiB");
        if (f.kind, f.stream) == (WINDOW_UPDATE, 5) {
            break;
        }
    }
    let sent = Instant::now();
    c.frame(DATA, 0, 5, &chunk);
    let (code, at) = reset_of(&mut c, 5);
    assert_eq!(code, NO_ERROR);
    assert!(at - sent < Duration::from_secs(2), "{:?}", at - sent);
}

#[test]
fn a_body_still_being_read_when_the_response_ends_is_read_on_as_in_node() {
    // The handler answers at once and reads the body on (Node delivers it): what
    // comes after the response reaches it, to its end.
    let srv = Server::handler(&[]);
    let mut c = Raw::connect(srv.addr);
    c.post(
        1,
        "/respond-then-read?tag=h2",
        &[("content-length", "100000")],
    );
    c.frame(DATA, 0, 1, b"0123456789");
    whole_response(&mut c, 1);
    std::thread::sleep(Duration::from_millis(100));
    let chunk = [b'x'; 16_384];
    let mut left = 99_990;
    while left > 0 {
        let n = left.min(chunk.len());
        left -= n;
        c.frame(DATA, if left == 0 { 1 } else { 0 }, 1, &chunk[..n]);
    }
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut stream = 3;
    loop {
        c.get(stream, "/stats");
        let stats: serde_json::Value =
            serde_json::from_slice(&whole_response(&mut c, stream)).unwrap();
        let seen = &stats["reqEvents"]["h2"];
        if *seen == serde_json::json!(["data", "end 100000", "close"]) {
            break;
        }
        assert!(Instant::now() < deadline, "{seen}");
        std::thread::sleep(Duration::from_millis(50));
        stream += 2;
    }
}
