//! HTTP/3 over QUIC with a Rust client (quinn + h3) against the real binary: the same
//! handler as over HTTP/1.1 and HTTP/2, large bodies by hash, many streams on one
//! connection, request bodies, a reader that stops, aborts, a failure after the head,
//! Alt-Svc on TCP, `--h3 false`, and graceful shutdown.

mod common;
#[path = "common/h3.rs"]
mod h3c;
#[path = "common/server.rs"]
mod server;

use bytes::Buf;
use h3c::{connect, fetch, request, test_cert};
use server::{handler_path, sha256, Server};
use std::time::{Duration, Instant};

struct Tls {
    _dir: tempfile::TempDir,
    cert: String,
    key: String,
    ca: rustls::pki_types::CertificateDer<'static>,
}

fn tls() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = test_cert(dir.path());
    Tls {
        _dir: dir,
        cert,
        key,
        ca,
    }
}

fn start(t: &Tls, extra: &[&str]) -> Server {
    let mut args = vec![handler_path()];
    args.extend(["--tls-cert", &t.cert, "--tls-key", &t.key].map(String::from));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    Server::start(&args)
}

async fn stats(send: &mut h3c::SendRequest) -> serde_json::Value {
    let (resp, body) = fetch(send, request("GET", "/stats"), b"").await;
    assert_eq!(resp.status(), 200);
    serde_json::from_slice(&body.unwrap()).unwrap()
}

#[tokio::test]
async fn get_and_head_over_h3_with_the_same_handler() {
    let t = tls();
    let srv = start(&t, &["--workers", "2"]);
    assert!(srv.log().contains("HTTP/3"), "{}", srv.log());
    let mut c = connect(srv.addr, &t.ca).await;

    let (resp, body) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), http::Version::HTTP_3);
    assert_eq!(resp.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(resp.headers().contains_key("date"));
    // No Alt-Svc over HTTP/3 itself.
    assert!(!resp.headers().contains_key("alt-svc"));
    assert_eq!(body.unwrap(), b"hello world\n");

    let (resp, body) = fetch(&mut c.send, request("HEAD", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"");

    let (resp, body) = fetch(&mut c.send, request("GET", "/headers?x=1"), b"").await;
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(v["httpVersion"], "3.0");
    assert_eq!(v["method"], "GET");
    assert_eq!(v["url"], "/headers?x=1");
    assert_eq!(v["remoteAddress"], "127.0.0.1");
    assert_eq!(v["localAddress"], "127.0.0.1");
    assert_eq!(v["localPort"], srv.addr.port());

    let (resp, _) = fetch(&mut c.send, request("GET", "/status?code=418"), b"").await;
    assert_eq!(resp.status(), 418);
}

#[tokio::test]
async fn tcp_responses_advertise_h3_on_the_same_port_and_h3_false_turns_it_off() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let out = std::process::Command::new("curl")
        .args([
            "-sk",
            "--http2",
            "-o",
            "/dev/null",
            "-D",
            "-",
            &format!("https://{}/hello", srv.addr),
        ])
        .output()
        .expect("curl must be installed (apt-get install curl)");
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(head.starts_with("http/2 200"), "{head}");
    assert!(
        head.contains(&format!("alt-svc: h3=\":{}\"; ma=86400", srv.addr.port())),
        "{head}"
    );

    let off = start(&t, &["--workers", "1", "--h3", "false"]);
    assert!(!off.log().contains("HTTP/3"), "{}", off.log());
    let out = std::process::Command::new("curl")
        .args([
            "-sk",
            "--http2",
            "-o",
            "/dev/null",
            "-D",
            "-",
            &format!("https://{}/hello", off.addr),
        ])
        .output()
        .unwrap();
    let head = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(head.starts_with("http/2 200"), "{head}");
    assert!(!head.contains("alt-svc"), "{head}");
    let attempt =
        tokio::time::timeout(Duration::from_secs(3), h3c::try_connect(off.addr, &t.ca)).await;
    assert!(!matches!(attempt, Ok(Ok(_))), "no QUIC with --h3 false");
}

/// 1 GiB of pseudo-random bytes on disk, served by the built-in file handler, checked
/// by SHA-256 as it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_gib_file_arrives_intact_over_h3() {
    use sha2::Digest;
    use std::io::Write;
    let t = tls();
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("big.bin");
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    let mut h = sha2::Sha256::new();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        for w in block.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            w.copy_from_slice(&x.to_le_bytes());
        }
        h.update(&block);
        f.write_all(&block).unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let expected = format!("{:x}", h.finalize());

    let srv = Server::start(&[
        "--root",
        &root.path().display().to_string(),
        "--tls-cert",
        &t.cert,
        "--tls-key",
        &t.key,
        "--workers",
        "1",
    ]);
    let mut c = connect(srv.addr, &t.ca).await;
    let started = Instant::now();
    let mut stream = c
        .send
        .send_request(request("GET", "/big.bin"))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    let resp = stream.recv_response().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-length"],
        (1u64 << 30).to_string().as_str()
    );
    let (n, hash) = h3c::hash_body(&mut stream).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "1 GiB over HTTP/3 in {secs:.1} s ({:.0} MB/s); server RSS {} MiB",
        1073.7 / secs,
        srv.rss_kib() / 1024
    );
    assert_eq!(n, 1 << 30);
    assert_eq!(hash, expected);
    // The file is never held in memory.
    assert!(
        srv.rss_kib() < 200 * 1024,
        "server RSS {} KiB",
        srv.rss_kib()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_streams_on_one_connection() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let c = connect(srv.addr, &t.ca).await;
    let mut tasks = Vec::new();
    for i in 0..100u64 {
        let mut send = c.send.clone();
        tasks.push(tokio::spawn(async move {
            let bytes = 100_000 + i * 1000;
            let (resp, body) = fetch(
                &mut send,
                request("GET", &format!("/stream?bytes={bytes}")),
                b"",
            )
            .await;
            assert_eq!(resp.status(), 200);
            assert_eq!(body.unwrap().len() as u64, bytes);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_bodies_stream_in_both_directions() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let data: Vec<u8> = (0..8u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    // A native pipe (req -> res) and a pipe through JavaScript.
    for path in ["/echo", "/echo-js"] {
        let mut req = request("POST", path);
        req.headers_mut()
            .insert("content-length", data.len().to_string().parse().unwrap());
        let (resp, body) = fetch(&mut c.send, req, &data).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(sha256(&body.unwrap()), sha256(&data), "{path}");
    }
    // Without a declared length, and read with for await.
    let (resp, body) = fetch(&mut c.send, request("POST", "/count"), &data[..3_000_001]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"3000001");
    // An empty body.
    let (resp, body) = fetch(&mut c.send, request("POST", "/count"), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"0");
    let s = stats(&mut c.send).await;
    assert_eq!(
        s["echoJsChunks"][0], 0,
        "the native pipe moved the bytes without JavaScript: {s}"
    );
    assert_eq!(s["echoErrors"], 0, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_stops_the_handler_and_memory_stays_flat() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let total: u64 = 1 << 30;
    let mut stream = c
        .send
        .send_request(request("GET", &format!("/stream?bytes={total}")))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    let resp = stream.recv_response().await.unwrap();
    assert_eq!(resp.status(), 200);
    // Read 1 MiB, then nothing for two seconds.
    let mut got = 0u64;
    while got < 1 << 20 {
        let chunk = stream.recv_data().await.unwrap().unwrap();
        got += chunk.remaining() as u64;
    }
    let before = srv.rss_kib();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let during = srv.rss_kib();
    eprintln!(
        "server RSS with a stalled reader: {} MiB, then {} MiB",
        before / 1024,
        during / 1024
    );
    // The flow-control windows (8 MiB stream, 32 MiB connection) and the response
    // buffers bound what can pile up; a handler that kept writing would add 1 GiB.
    assert!(
        during < before + 64 * 1024,
        "RSS grew from {before} to {during} KiB"
    );
    // Other requests on the same connection still go through.
    let (resp, body) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"hello world\n");
    // Reading again finishes the whole body.
    while let Some(chunk) = stream.recv_data().await.unwrap() {
        got += chunk.remaining() as u64;
    }
    assert_eq!(got, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_aborted_downloads_release_everything() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let baseline = stats(&mut c.send).await;
    let rss_before = srv.rss_kib();
    let n = 1000;
    for batch in 0..n / 50 {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let mut send = c.send.clone();
            tasks.push(tokio::spawn(async move {
                let mut stream = send
                    .send_request(request("GET", "/stream?bytes=50000000"))
                    .await
                    .unwrap();
                stream.finish().await.unwrap();
                let resp = stream.recv_response().await.unwrap();
                assert_eq!(resp.status(), 200);
                let first = stream.recv_data().await.unwrap();
                assert!(first.is_some());
                // Abort: dropping the stream unread sends STOP_SENDING.
                drop(stream);
            }));
        }
        for task in tasks {
            task.await.unwrap_or_else(|e| panic!("batch {batch}: {e}"));
        }
    }
    // Every aborted response is closed on the handler side, unfinished.
    let deadline = Instant::now() + Duration::from_secs(20);
    let s = loop {
        let s = stats(&mut c.send).await;
        let aborted = s["aborted"].as_u64().unwrap() - baseline["aborted"].as_u64().unwrap();
        if aborted >= n || Instant::now() > deadline {
            break s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let aborted = s["aborted"].as_u64().unwrap() - baseline["aborted"].as_u64().unwrap();
    assert_eq!(aborted, n, "{s}");
    let rss_after = srv.rss_kib();
    eprintln!(
        "RSS before {} MiB, after 1000 aborts {} MiB",
        rss_before / 1024,
        rss_after / 1024
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} to {rss_after} KiB"
    );
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_body_at_odds_with_its_content_length_gets_400_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    for (declared, sent) in [("10", &b"abcde"[..]), ("3", &b"abcdef"[..])] {
        let mut req = request("POST", "/count");
        req.headers_mut()
            .insert("content-length", http::HeaderValue::from_static(declared));
        let (resp, _) = fetch(&mut c.send, req, sent).await;
        assert_eq!(
            resp.status(),
            400,
            "{declared} declared, {} sent",
            sent.len()
        );
    }
    // As declared, it is counted.
    let mut req = request("POST", "/count");
    req.headers_mut()
        .insert("content-length", http::HeaderValue::from_static("5"));
    let (resp, body) = fetch(&mut c.send, req, b"abcde").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"5");
}

#[tokio::test]
async fn more_fields_than_max_headers_get_431_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--max-headers", "20"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let with = |n: usize, name: &str| {
        let mut req = request("GET", "/headers");
        for i in 0..n {
            req.headers_mut().append(
                http::HeaderName::from_bytes(format!("{name}{i}").as_bytes()).unwrap(),
                http::HeaderValue::from_static("v"),
            );
        }
        req
    };
    let (resp, _) = fetch(&mut c.send, with(25, "x-h"), b"").await;
    assert_eq!(resp.status(), 431);
    let (resp, _) = fetch(&mut c.send, with(15, "x-h"), b"").await;
    assert_eq!(resp.status(), 200);
    // `:authority` counts as HTTP/1.1's `Host` line: 20 fields and it are 21.
    let (resp, _) = fetch(&mut c.send, with(20, "x-h"), b"").await;
    assert_eq!(resp.status(), 431);
    let (resp, _) = fetch(&mut c.send, with(19, "x-h"), b"").await;
    assert_eq!(resp.status(), 200);
    // Cookies sent one per field count as one field, as the one line of HTTP/1.1.
    let mut req = request("GET", "/headers");
    for i in 0..40 {
        req.headers_mut().append(
            http::header::COOKIE,
            http::HeaderValue::from_str(&format!("c{i}=v")).unwrap(),
        );
    }
    let (resp, _) = fetch(&mut c.send, req, b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn connection_specific_fields_get_400_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    for (name, value) in [
        ("transfer-encoding", "chunked"),
        ("connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("te", "gzip"),
        ("content-length", "1, 1"),
    ] {
        let mut req = request("GET", "/headers");
        req.headers_mut().insert(
            http::HeaderName::from_static(name),
            http::HeaderValue::from_static(value),
        );
        let (resp, _) = fetch(&mut c.send, req, b"").await;
        assert_eq!(resp.status(), 400, "{name}: {value}");
    }
    // `te: trailers` is the one TE allowed.
    let mut req = request("GET", "/headers");
    req.headers_mut()
        .insert("te", http::HeaderValue::from_static("trailers"));
    let (resp, _) = fetch(&mut c.send, req, b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn max_connections_holds_for_quic_too() {
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--max-connections", "1"]);
    let mut first = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut first.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    let second = tokio::time::timeout(Duration::from_secs(5), h3c::try_connect(srv.addr, &t.ca))
        .await
        .expect("the refusal comes at once");
    assert!(
        second.is_err(),
        "a second connection was accepted past --max-connections 1"
    );
    // Once the first closes, a new one is served.
    first.conn.close(quinn::VarInt::from_u32(0x100), b"");
    drop(first);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut again = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut again.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_connection_without_requests_is_closed_after_the_idle_timeout() {
    // weir's keep-alive PINGs keep a connection with a request in flight; one with
    // none is closed all the same.
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--h3-idle-timeout-ms", "700"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    let started = Instant::now();
    let why = tokio::time::timeout(Duration::from_secs(10), c.conn.closed())
        .await
        .expect("the idle connection was not closed");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "closed after {:?}: {why}",
        started.elapsed()
    );
    // A request that outlasts the idle timeout keeps its connection.
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, body) = fetch(&mut c.send, request("GET", "/slow?ms=1500"), b"").await;
    assert_eq!(resp.status(), 200);
    assert!(body.is_ok());
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_gets_408_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--body-timeout-ms", "600"]);
    let mut c = connect(srv.addr, &t.ca).await;
    // One handler answers on 'end'; the other reads with `for await`, which throws
    // when the read fails (weir's 408 must stand all the same, not become a 503).
    for path in ["/count-on-end", "/count"] {
        let mut req = request("POST", path);
        req.headers_mut()
            .insert("content-length", http::HeaderValue::from_static("10"));
        let mut stream = c.send.send_request(req).await.unwrap();
        stream
            .send_data(bytes::Bytes::from_static(b"abc"))
            .await
            .unwrap();
        // The stream stays open, with seven bytes owed.
        let started = Instant::now();
        let resp = tokio::time::timeout(Duration::from_secs(10), stream.recv_response())
            .await
            .expect("an answer before the client gives up")
            .unwrap();
        assert_eq!(resp.status(), 408, "{path}");
        assert!(
            started.elapsed() >= Duration::from_millis(550),
            "{:?}",
            started.elapsed()
        );
    }
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_body_read_on_after_its_response_outlasts_the_idle_timeout_with_its_trailers() {
    // The handler answers at once and reads on; the body comes over 1.5 s, past
    // --h3-idle-timeout-ms, then its trailers: all of it reaches the handler.
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--h3-idle-timeout-ms", "700"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("POST", "/respond-then-read?tag=h3"))
        .await
        .unwrap();
    stream
        .send_data(bytes::Bytes::from_static(b"0123456789"))
        .await
        .unwrap();
    assert_eq!(stream.recv_response().await.unwrap().status(), 200);
    assert_eq!(&h3c::read_body(&mut stream).await.unwrap()[..], b"ok\n");
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream
            .send_data(bytes::Bytes::from_static(b"0123456789"))
            .await
            .unwrap();
    }
    let mut trailers = http::HeaderMap::new();
    trailers.insert("x-sum", http::HeaderValue::from_static("abc"));
    stream.send_trailers(trailers).await.unwrap();
    stream.finish().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let seen = stats(&mut c.send).await["reqEvents"]["h3"].clone();
        if seen == serde_json::json!(["data", "end 110 x-sum abc", "close"]) {
            break;
        }
        assert!(Instant::now() < deadline, "{seen}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_body_that_has_come_in_small_pieces_is_read_in_large_chunks() {
    // QUIC gives a body a packet at a time; what has come by the time the handler
    // reads is joined (up to 64 KiB), as HTTP/1.1 reads it, rather than one 'data'
    // event per piece.
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("POST", "/chunk-count?wait=300"))
        .await
        .unwrap();
    for _ in 0..200 {
        stream
            .send_data(bytes::Bytes::from(vec![b'p'; 1000]))
            .await
            .unwrap();
    }
    stream.finish().await.unwrap();
    assert_eq!(stream.recv_response().await.unwrap().status(), 200);
    let body = String::from_utf8(h3c::read_body(&mut stream).await.unwrap().to_vec()).unwrap();
    let (bytes, chunks) = body.split_once(' ').unwrap();
    assert_eq!(bytes, "200000");
    let chunks: u32 = chunks.parse().unwrap();
    assert!(chunks <= 10, "{chunks} chunks");
}

#[tokio::test]
async fn response_trailers_come_and_the_stream_ends_over_h3() {
    // A response with trailers: the body, the trailers, then the end of the stream
    // (before, the stream was left open after the trailers and the client waited).
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("GET", "/trailers"))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    assert_eq!(stream.recv_response().await.unwrap().status(), 200);
    let body = h3c::read_body(&mut stream).await.unwrap();
    assert_eq!(&body[..], b"body with trailers");
    let within = Duration::from_secs(3);
    let trailers = tokio::time::timeout(within, stream.recv_trailers())
        .await
        .expect("the trailers in time")
        .unwrap()
        .expect("trailers");
    assert_eq!(trailers["x-checksum"], "abc123");
    let end = match tokio::time::timeout(within, stream.recv_data()).await {
        Ok(Ok(None)) => "end".to_string(),
        Ok(Ok(Some(_))) => "more data".to_string(),
        Ok(Err(e)) => format!("error {e}"),
        Err(_) => "no end in time".to_string(),
    };
    assert_eq!(end, "end", "after the trailers");
    assert!(
        srv.wait_for_log(within, |l| l.contains("path=/trailers ")
            && l.contains("completed=true")),
        "{}",
        srv.log()
    );
}

#[tokio::test]
async fn connection_specific_response_fields_are_not_sent_over_h3() {
    // A handler's `Connection`, `Keep-Alive` and `Proxy-Connection` are HTTP/1.1's;
    // an HTTP/3 client must take a response carrying them as malformed (RFC 9114
    // §4.2), so they are dropped, as over HTTP/2.
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, body) = fetch(&mut c.send, request("GET", "/connection-fields"), b"").await;
    assert_eq!(resp.status(), 200);
    for name in ["connection", "keep-alive", "proxy-connection"] {
        assert!(
            !resp.headers().contains_key(name),
            "{name}: {:?}",
            resp.headers()
        );
    }
    assert_eq!(body.unwrap(), b"conn");
}

#[tokio::test]
async fn request_trailers_reach_the_handler_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("POST", "/trailers-in"))
        .await
        .unwrap();
    stream
        .send_data(bytes::Bytes::from_static(b"hello"))
        .await
        .unwrap();
    let mut trailers = http::HeaderMap::new();
    trailers.insert("x-checksum", http::HeaderValue::from_static("abc"));
    stream.send_trailers(trailers).await.unwrap();
    stream.finish().await.unwrap();
    assert_eq!(stream.recv_response().await.unwrap().status(), 200);
    let body = h3c::read_body(&mut stream).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"trailers":{"x-checksum":"abc"},"raw":["x-checksum","abc"]}"#
    );
}

#[tokio::test]
async fn connect_gets_501_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let connect_req = http::Request::builder()
        .method("CONNECT")
        .uri("example.com:443")
        .body(())
        .unwrap();
    let (resp, _) = fetch(&mut c.send, connect_req, b"").await;
    assert_eq!(resp.status(), 501);
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_lower_case_method_gets_400_over_h3() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut c.send, request("get", "/hello"), b"").await;
    assert_eq!(resp.status(), 400);
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn early_hints_go_as_a_103_head_before_the_response() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("GET", "/early-hints"))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    // h3's client gives each HEADERS frame as a response head.
    let hints = stream.recv_response().await.unwrap();
    assert_eq!(hints.status(), 103);
    assert_eq!(
        hints.headers()["link"],
        "</a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script"
    );
    assert_eq!(hints.headers()["x-hint"], "one");
    let resp = stream.recv_response().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = h3c::read_body(&mut stream).await.unwrap();
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"sent":true,"threw":"ERR_INVALID_ARG_VALUE","after":false}"#
    );
}

#[tokio::test]
async fn a_whole_body_the_client_stops_is_logged_as_not_completed() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("GET", "/whole?bytes=50000000"))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    assert_eq!(stream.recv_response().await.unwrap().status(), 200);
    assert!(stream.recv_data().await.unwrap().is_some());
    // Dropping the stream unread sends STOP_SENDING: the server's last write fails.
    drop(stream);
    let deadline = Instant::now() + Duration::from_secs(20);
    let line = loop {
        let log = srv.log();
        if let Some(l) = log.lines().find(|l| l.contains("/whole?bytes=50000000")) {
            break l.to_owned();
        }
        assert!(Instant::now() < deadline, "no access log line:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(line.contains("completed=false"), "{line}");
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_failure_after_the_head_resets_the_stream() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, body) = fetch(&mut c.send, request("GET", "/fail-after-head"), b"").await;
    assert_eq!(resp.status(), 200);
    let err = body.expect_err("a reset stream, not a clean end");
    assert!(
        err.contains("H3_INTERNAL_ERROR") || err.to_lowercase().contains("reset"),
        "{err}"
    );
    // The connection is still usable.
    let (resp, body) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"hello world\n");
    // A failure before the head is a 500, as over TCP.
    let (resp, _) = fetch(&mut c.send, request("GET", "/throw"), b"").await;
    assert_eq!(resp.status(), 500);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_in_flight_streams_finish() {
    let t = tls();
    let mut srv = start(&t, &["--workers", "1"]);
    let mut c = connect(srv.addr, &t.ca).await;
    let mut stream = c
        .send
        .send_request(request("GET", "/slow?ms=1500"))
        .await
        .unwrap();
    stream.finish().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = srv.pid() as i32;
    // SAFETY: kill with a valid pid and signal.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let resp = stream.recv_response().await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = h3c::read_body(&mut stream).await.unwrap();
    assert_eq!(body, b"slow done\n");
    // GOAWAY: the server takes no new request on this connection.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = match c.send.send_request(request("GET", "/hello")).await {
        Err(_) => true,
        Ok(mut s) => {
            let _ = s.finish().await;
            s.recv_response().await.is_err()
        }
    };
    assert!(refused, "a request after GOAWAY was served");
    assert_eq!(srv.terminate(Duration::from_secs(10)), Some(0));
}

#[tokio::test]
async fn a_second_server_cannot_take_the_udp_port() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    // The TCP port is taken too, so bind only UDP by hand on a fresh port and ask
    // weir for it.
    drop(srv);
    // The TCP port of that number may be some other socket's (tests run side by
    // side): then another port is tried.
    for _ in 0..10 {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
            continue;
        }
        let out = common::weir()
            .args([
                "serve",
                &handler_path(),
                "--tls-cert",
                &t.cert,
                "--tls-key",
                &t.key,
            ])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        if !err.contains("/udp") && err.contains("Address already in use") {
            continue; // the TCP port was taken meanwhile
        }
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("/udp for HTTP/3") && err.contains("--h3 false"),
            "{err}"
        );
        return;
    }
    panic!("no port free for TCP whose UDP port could be held");
}

/// Raw QUIC: a request stream carrying `bytes`, then how the server closed the
/// connection.
async fn send_raw(
    addr: std::net::SocketAddr,
    ca: &rustls::pki_types::CertificateDer<'static>,
    bytes: &[u8],
) -> quinn::ConnectionError {
    let c = connect(addr, ca).await;
    let (mut send, _recv) = c.conn.open_bi().await.unwrap();
    send.write_all(bytes).await.unwrap();
    send.finish().unwrap();
    tokio::time::timeout(Duration::from_secs(5), c.conn.closed())
        .await
        .expect("the server closes the connection")
}

#[tokio::test]
async fn malformed_frames_and_qpack_errors_close_the_connection_with_their_codes() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let code = |e: quinn::ConnectionError| match e {
        quinn::ConnectionError::ApplicationClosed(a) => a.error_code.into_inner(),
        other => panic!("expected an application close, got {other:?}"),
    };
    // A SETTINGS frame on a request stream: H3_FRAME_UNEXPECTED (0x105).
    assert_eq!(code(send_raw(srv.addr, &t.ca, &[0x04, 0x00]).await), 0x105);
    // A HEADERS frame whose field section is not valid QPACK:
    // QPACK_DECOMPRESSION_FAILED (0x200).
    assert_eq!(
        code(send_raw(srv.addr, &t.ca, &[0x01, 0x04, 0xff, 0xff, 0xff, 0xff]).await),
        0x200
    );
    // A frame whose length runs past the end of the stream: H3_FRAME_ERROR (0x106).
    assert_eq!(
        code(send_raw(srv.addr, &t.ca, &[0x01, 0x20, 0x00]).await),
        0x106
    );
    // The server is still up.
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_client_cancelling_past_its_budget_loses_the_connection() {
    // Rapid Reset: each cancelled request cost a handler call.
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--h3-max-cancels", "3"]);
    let mut c = connect(srv.addr, &t.ca).await;
    for _ in 0..4 {
        let mut stream = c.send.send_request(request("GET", "/hang")).await.unwrap();
        stream.finish().await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        stream.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
    }
    let why = tokio::time::timeout(Duration::from_secs(5), c.conn.closed())
        .await
        .expect("the connection was not closed");
    match why {
        quinn::ConnectionError::ApplicationClosed(close) => {
            assert_eq!(close.error_code.into_inner(), 0x107, "{close:?}")
        }
        other => panic!("closed otherwise: {other}"),
    }
    // Another connection is served.
    let mut c = connect(srv.addr, &t.ca).await;
    let (resp, _) = fetch(&mut c.send, request("GET", "/hello"), b"").await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_client_cancels_releases_its_handler_and_its_stream() {
    // Two streams at once; three hanging requests are cancelled in turn (as a player
    // that seeks cancels its pending requests): each frees its place, and the handler
    // hears of it at once.
    let t = tls();
    let srv = start(&t, &["--workers", "1", "--h3-max-concurrent-streams", "2"]);
    let mut watcher = connect(srv.addr, &t.ca).await;
    let before = stats(&mut watcher.send).await["aborted"].as_u64().unwrap();
    let mut c = connect(srv.addr, &t.ca).await;
    for i in 1..=3u64 {
        let mut stream = c.send.send_request(request("GET", "/hang")).await.unwrap();
        stream.finish().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        stream.stop_sending(h3::error::Code::H3_REQUEST_CANCELLED);
        let deadline = Instant::now() + Duration::from_secs(2);
        while stats(&mut watcher.send).await["aborted"].as_u64().unwrap() < before + i {
            assert!(
                Instant::now() < deadline,
                "cancel {i} did not reach the handler"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let (resp, body) = tokio::time::timeout(
        Duration::from_secs(5),
        fetch(&mut c.send, request("GET", "/hello"), b""),
    )
    .await
    .expect("a stream was free for a new request");
    assert_eq!(resp.status(), 200);
    assert_eq!(body.unwrap(), b"hello world\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_closes_its_connection_before_the_answer_releases_the_handler() {
    let t = tls();
    let srv = start(&t, &["--workers", "1"]);
    let mut watcher = connect(srv.addr, &t.ca).await;
    let before = stats(&mut watcher.send).await["aborted"].as_u64().unwrap();
    let c = connect(srv.addr, &t.ca).await;
    let mut send = c.send.clone();
    let mut stream = send.send_request(request("GET", "/hang")).await.unwrap();
    stream.finish().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.conn.close(quinn::VarInt::from_u32(0x100), b"gone");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let aborted = stats(&mut watcher.send).await["aborted"].as_u64().unwrap();
        if aborted == before + 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the handler's response was never closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
