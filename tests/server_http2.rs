//! The same handler over HTTP/2: h2c by prior knowledge and h2 over TLS by ALPN;
//! many concurrent streams on one connection; a failure after the head resets the
//! stream; trailers.

mod common;
#[path = "common/server.rs"]
mod server;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use server::{fetch, get, h2c, handler_path, sha256, Server};
use std::sync::Arc;

#[tokio::test]
async fn h2c_by_prior_knowledge() {
    let srv = Server::start(&[&handler_path(), "--workers", "2"]);
    let mut c = h2c(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("http://localhost/headers")).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(v["httpVersion"], "2.0");
    assert_eq!(v["headers"]["host"], "localhost");
    assert_eq!(v["localAddress"], "127.0.0.1");
    assert_eq!(v["localPort"], srv.addr.port());
}

#[tokio::test]
async fn request_trailers_reach_the_handler_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut send = server::h2c_with(srv.addr).await;
    let mut trailers = hyper::HeaderMap::new();
    trailers.insert("x-checksum", hyper::header::HeaderValue::from_static("abc"));
    let frames = futures::stream::iter([
        Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(Bytes::from_static(b"hello"))),
        Ok(hyper::body::Frame::trailers(trailers)),
    ]);
    let req = hyper::Request::post("http://localhost/trailers-in")
        .body(http_body_util::StreamBody::new(frames))
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(
        String::from_utf8_lossy(&body),
        r#"{"trailers":{"x-checksum":"abc"},"raw":["x-checksum","abc"]}"#
    );
}

#[tokio::test]
async fn a_request_body_that_stops_arriving_gets_408_over_h2() {
    use futures::StreamExt;
    let srv = Server::start(&[
        &handler_path(),
        "--workers",
        "1",
        "--body-timeout-ms",
        "600",
    ]);
    // One handler answers on 'end'; the other reads with `for await`, which throws
    // when the read fails (weir's 408 must stand all the same).
    for path in ["/count-on-end", "/count"] {
        let mut send = server::h2c_with(srv.addr).await;
        // Three bytes of the ten announced, then nothing, the stream left open.
        let frames = futures::stream::iter([Ok::<_, std::convert::Infallible>(
            hyper::body::Frame::data(Bytes::from_static(b"abc")),
        )])
        .chain(futures::stream::pending());
        let req = hyper::Request::post(format!("http://localhost{path}"))
            .header("content-length", "10")
            .body(http_body_util::StreamBody::new(frames))
            .unwrap();
        let t = std::time::Instant::now();
        let resp = tokio::time::timeout(std::time::Duration::from_secs(10), send.send_request(req))
            .await
            .expect("an answer before the client gives up")
            .unwrap();
        assert_eq!(resp.status(), 408, "{path}");
        assert!(
            t.elapsed() >= std::time::Duration::from_millis(550),
            "{:?}",
            t.elapsed()
        );
    }
    // The server goes on serving.
    let mut c = h2c(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("http://localhost/hello")).await;
    assert_eq!(status, 200);
}

#[test]
fn an_asterisk_target_is_for_options_only_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let url = format!("http://{}/", srv.addr);
    for (method, want) in [("GET", ":status: 400"), ("OPTIONS", ":status: 404")] {
        let out = std::process::Command::new("nghttp")
            .args([
                "-v",
                "-H",
                &format!(":method: {method}"),
                "-H",
                ":path: *",
                &url,
            ])
            .output()
            .expect("nghttp must be installed (apt-get install nghttp2-client)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(want), "{method} *: {text}");
    }
}

#[test]
fn a_lower_case_method_gets_400_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let url = format!("http://{}/headers", srv.addr);
    for (method, want) in [("get", ":status: 400"), ("PROPFIND", ":status: 200")] {
        let out = std::process::Command::new("nghttp")
            .args(["-v", "-H", &format!(":method: {method}"), &url])
            .output()
            .expect("nghttp must be installed (apt-get install nghttp2-client)");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(want), "{method}: {text}");
    }
}

#[tokio::test]
async fn more_fields_than_max_headers_get_431_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1", "--max-headers", "20"]);
    let mut c = h2c(srv.addr).await;
    // `:authority` counts as HTTP/1.1's `Host` line: 20 fields and it are 21.
    for (n, want) in [(25, 431), (20, 431), (19, 200), (15, 200)] {
        let mut req = get("http://localhost/headers");
        for i in 0..n {
            req.headers_mut().append(
                hyper::header::HeaderName::from_bytes(format!("x-h{i}").as_bytes()).unwrap(),
                hyper::header::HeaderValue::from_static("v"),
            );
        }
        let (status, _, _) = fetch(&mut c, req).await;
        assert_eq!(status, want, "{n} fields");
    }
    // The refusal has its access-log line, with the request's method and path.
    let line = "method=GET path=/headers protocol=\"2.0\" status=431 bytes=32 ";
    assert!(
        srv.log_shows(line, std::time::Duration::from_secs(5)),
        "{}",
        srv.log()
    );
    assert!(srv.log().contains("refused=true"), "{}", srv.log());
}

#[tokio::test]
async fn connect_gets_501_over_h2_without_reaching_the_handler() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let connect = hyper::Request::connect("example.com:443")
        .body(server::empty())
        .unwrap();
    let (status, _, _) = fetch(&mut c, connect).await;
    assert_eq!(status, 501);
    // The connection serves on, and the handler never saw the CONNECT.
    let (status, _, body) = fetch(&mut c, get("http://localhost/stats")).await;
    assert_eq!(status, 200);
    let stats: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    // (a CONNECT given to the handler would have finished a 404 before this one)
    assert_eq!(
        (stats["finished"].as_u64(), stats["closed"].as_u64()),
        (Some(0), Some(0)),
        "{stats}"
    );
}

#[tokio::test]
async fn early_hints_are_not_sent_over_h2_and_the_call_says_so() {
    // hyper, which drives HTTP/2, has no way for a server to send a 1xx.
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("http://localhost/early-hints")).await;
    assert_eq!(status, 200);
    assert_eq!(
        String::from_utf8_lossy(&body.unwrap()),
        r#"{"sent":false,"threw":"ERR_INVALID_ARG_VALUE","after":false}"#
    );
}

#[tokio::test]
async fn a_response_with_too_many_fields_is_refused_with_500_and_the_worker_serves_on() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    // Past 10 000 fields a response is refused; HTTP/2's header map would abort the
    // process at about 24 000.
    let (status, _, _) = fetch(&mut c, get("http://localhost/fields?n=30000&len=1")).await;
    assert_eq!(status, 500);
    let (status, _, body) = fetch(&mut c, get("http://localhost/fields?n=100&len=1")).await;
    assert_eq!(status, 200);
    assert_eq!(&body.unwrap()[..], b"fields\n");
    // Over HTTP/1.1 too.
    let mut c = server::h1(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("/fields?n=10002&len=1")).await;
    assert_eq!(status, 500);
    let (status, _, _) = fetch(&mut c, get("/hello")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn raw_headers_over_h2_are_the_fields_by_name_then_the_authority_as_host() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let req = hyper::Request::get("http://example.test:81/headers")
        .header("x-b", "2")
        .header("x-a", " 1\t")
        .header("x-b", "3")
        .header(
            "x-latin",
            hyper::header::HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        )
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, _, body) = fetch(&mut c, req).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    // HTTP/2 names are lower case, repeats of a name together (the header map's
    // order); Node shows `:authority` as a last `host`.
    assert_eq!(
        v["rawHeaders"],
        serde_json::json!([
            "x-b",
            "2",
            "x-b",
            "3",
            "x-a",
            "1",
            "x-latin",
            "caf\u{e9}",
            "host",
            "example.test:81"
        ])
    );
    assert_eq!(v["headers"]["x-b"], "2, 3");
    assert_eq!(v["headers"]["host"], "example.test:81");
}

#[tokio::test]
async fn many_concurrent_streams_on_one_connection() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let c = h2c(srv.addr).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let mut c = c.clone();
        tasks.push(tokio::spawn(async move {
            let n = 100_000 + i;
            let (status, _, body) =
                fetch(&mut c, get(&format!("http://localhost/stream?bytes={n}"))).await;
            assert_eq!(status, 200);
            assert_eq!(body.unwrap().len(), n);
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn request_and_response_bodies_stream_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let data: Vec<u8> = (0..5_000_000u32).map(|i| (i % 253) as u8).collect();
    let req = hyper::Request::post("http://localhost/echo")
        .body(Full::new(Bytes::from(data.clone())))
        .unwrap();
    let (status, _, body) = fetch(&mut c, req).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&body.unwrap()), sha256(&data));
}

#[tokio::test]
async fn a_failure_after_the_head_resets_the_stream() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("http://localhost/fail-after-head")).await;
    assert_eq!(status, 200);
    let err = body.expect_err("a reset stream, not a clean end");
    assert!(
        err.to_lowercase().contains("reset")
            || err.contains("stream error")
            || err.contains("INTERNAL_ERROR"),
        "{err}"
    );
    // The connection itself is still usable.
    let (status, _, _) = fetch(&mut c, get("http://localhost/hello")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn trailers_reach_the_client_over_h2() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h2c(srv.addr).await;
    let resp = server::SendLike::send(&mut c, get("http://localhost/trailers"))
        .await
        .unwrap();
    let collected = resp.into_body().collect().await.unwrap();
    let trailers = collected.trailers().cloned().expect("trailers");
    assert_eq!(trailers["x-checksum"], "abc123");
    assert_eq!(collected.to_bytes(), "body with trailers");
}

#[tokio::test]
async fn a_forbidden_trailer_throws_rather_than_reset_the_stream_over_h2() {
    // `content-length` in HTTP/2 trailers makes clients reset the stream; the
    // connection-specific fields are malformed there: `addTrailers` refuses them all.
    let srv = Server::handler(&[]);
    let mut c = h2c(srv.addr).await;
    for name in ["content-length", "connection", "te", "upgrade"] {
        let uri = format!("http://localhost/trailers?forbidden={name}");
        let resp = server::SendLike::send(&mut c, get(&uri)).await.unwrap();
        let collected = resp.into_body().collect().await.expect(name);
        let trailers = collected.trailers().cloned().expect("trailers");
        assert_eq!(
            trailers["x-refused"], "ERR_HTTP_FORBIDDEN_TRAILER",
            "{name}"
        );
        assert_eq!(trailers["x-checksum"], "abc123");
        assert_eq!(trailers.len(), 2, "{trailers:?}");
        assert_eq!(collected.to_bytes(), "body with trailers");
    }
}

#[tokio::test]
async fn a_bodiless_status_sends_no_data_and_a_short_body_is_cut_on_both_protocols() {
    let srv = Server::handler(&[]);
    let mut c2 = h2c(srv.addr).await;
    let mut c1 = server::h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c2, get("http://localhost/bodiless-written")).await;
    assert_eq!((status.as_u16(), body), (204, Ok(bytes::Bytes::new())));
    let (status, _, body) = fetch(&mut c1, get("/bodiless-written")).await;
    assert_eq!((status.as_u16(), body), (204, Ok(bytes::Bytes::new())));
    // Over HTTP/2 the stream is reset (before or after its head went); written, or
    // given whole in one end().
    for path in ["/short-body", "/short-whole"] {
        let whole =
            match server::SendLike::send(&mut c2, get(&format!("http://localhost{path}"))).await {
                Ok(resp) => resp.into_body().collect().await.is_ok(),
                Err(_) => false,
            };
        assert!(!whole, "{path}: a short body taken for whole");
        let mut c1 = server::h1(srv.addr).await;
        let whole = match server::SendLike::send(&mut c1, get(path)).await {
            Ok(resp) => resp.into_body().collect().await.is_ok(),
            Err(_) => false,
        };
        assert!(!whole, "{path}: a short body taken for whole");
        for protocol in ["1.1", "2.0"] {
            let line = format!("path={path} protocol=\"{protocol}\" status=200");
            assert!(
                srv.wait_for_log(std::time::Duration::from_secs(5), |log| log
                    .lines()
                    .any(|l| l.contains(&line) && l.contains("completed=false"))),
                "{}",
                srv.log()
            );
        }
    }
}

/// Reads at least `at_least` bytes of `resp`'s body, then drops it (over HTTP/2 the
/// stream is reset, `CANCEL`).
async fn read_then_leave(resp: hyper::Response<hyper::body::Incoming>, at_least: usize) {
    let mut body = resp.into_body();
    let mut got = 0;
    while got < at_least {
        let frame = body.frame().await.expect("more body").expect("body bytes");
        got += frame.data_ref().map_or(0, |d| d.len());
    }
}

/// The access-log line of `path` once it is written, and its `bytes=`; waits without
/// blocking the runtime, whose tasks drive the client's connections.
async fn logged(srv: &Server, path: &str) -> (String, u64) {
    let line = log_line(srv, &format!("path={path} ")).await;
    let bytes = server::logged_bytes(&line);
    (line, bytes)
}

/// The first log line holding `needle`, once it is written (waits without blocking
/// the runtime).
async fn log_line(srv: &Server, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let log = srv.log();
        if let Some(line) = log.lines().find(|l| l.contains(needle)) {
            return line.to_string();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no line with {needle}:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// An HTTP/1.1 connection over TLS (ALPN `http/1.1`).
async fn tls_h1(
    addr: std::net::SocketAddr,
    ca: rustls::pki_types::CertificateDer<'static>,
) -> hyper::client::conn::http1::SendRequest<http_body_util::Full<Bytes>> {
    let tls = tls_connect(addr, ca, &[b"http/1.1"]).await;
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    send
}

/// An HTTP/2 connection over TLS (ALPN `h2`).
async fn tls_h2(
    addr: std::net::SocketAddr,
    ca: rustls::pki_types::CertificateDer<'static>,
) -> hyper::client::conn::http2::SendRequest<http_body_util::Full<Bytes>> {
    let tls = tls_connect(addr, ca, &[b"h2"]).await;
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    send
}

#[tokio::test]
async fn the_access_log_counts_what_a_client_leaving_over_h2_let_through_not_the_whole_body() {
    // A client that reads about 1 MB of a 32 MB body and resets the stream: the log's
    // `bytes` are what went within the client's window (hyper's client: 2 MiB per
    // stream) and the stream's send buffer, not the whole body; for a body given
    // whole, and for one written after a first write.
    let srv = Server::handler(&[]);
    let total = 32_000_000u64;
    for path in ["/whole", "/write-then-whole"] {
        let path = format!("{path}?bytes={total}");
        let mut c = h2c(srv.addr).await;
        let resp = server::SendLike::send(&mut c, get(&format!("http://localhost{path}")))
            .await
            .expect("a response head");
        assert_eq!(resp.status(), 200);
        read_then_leave(resp, 1_000_000).await;
        let (line, bytes) = logged(&srv, &path).await;
        assert!(line.contains("completed=false"), "{line}");
        assert!(
            (1_000_000..6_000_000).contains(&bytes),
            "{path}: bytes={bytes} of {total}"
        );
    }
}

#[tokio::test]
async fn a_response_cut_after_a_large_write_resets_its_stream_at_once_over_h2() {
    // The client takes 100 KB of a 32 MB write and holds back; the handler cuts the
    // response 200 ms in. The stream is reset then (the access line comes at once),
    // not once the client reads on; the client, reading on, finds the reset after
    // a part of the body, never its end.
    let srv = Server::handler(&[]);
    let path = "/big-then-destroy?bytes=32000000&ms=200";
    let mut c = h2c(srv.addr).await;
    let resp = server::SendLike::send(&mut c, get(&format!("http://localhost{path}")))
        .await
        .expect("a response head");
    let mut body = resp.into_body();
    let mut got = 0;
    while got < 100_000 {
        let frame = body.frame().await.expect("more body").expect("body bytes");
        got += frame.data_ref().map_or(0, |d| d.len());
    }
    let started = std::time::Instant::now();
    let (line, bytes) = logged(&srv, path).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "logged after {:?}",
        started.elapsed()
    );
    // (A chunk of a body still being written counts whole once hyper has it.)
    assert!(line.contains("completed=false"), "{line}");
    assert_eq!(bytes, 32_000_000, "{line}");
    let (rest, failed) = server::drain(&mut body).await;
    got += rest;
    assert!(failed && got < 32_000_000, "a cut body read whole: {got}");
}

#[tokio::test]
async fn a_whole_body_still_going_out_at_the_shutdown_timeout_is_logged_as_not_completed() {
    // A client that never reads a 32 MB body given whole: at the shutdown timeout
    // the response is logged, with what was handed out and `completed=false`, and
    // the server exits 0.
    let mut srv = Server::handler(&["--shutdown-timeout", "1"]);
    let path = "/whole?bytes=32000000";
    let mut c = h2c(srv.addr).await;
    let resp = server::SendLike::send(&mut c, get(&format!("http://localhost{path}")))
        .await
        .expect("a response head");
    assert_eq!(resp.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // (Blocking the test's runtime is fine: the client is not to read.)
    let code = srv.terminate(std::time::Duration::from_secs(10));
    assert_eq!(code, Some(0), "{}", srv.log());
    let (line, bytes) = logged(&srv, path).await;
    assert!(line.contains("completed=false"), "{line}");
    assert!(bytes < 8_000_000, "{line}");
    assert!(
        srv.log()
            .contains("1 response(s) still going out; closing their connections"),
        "{}",
        srv.log()
    );
    drop(resp);
}

#[tokio::test]
async fn shutdown_ends_within_its_timeout_of_the_signal_even_for_an_answer_given_late() {
    // SIGTERM with a handler still working; it answers 1.5 s later with a body the
    // client never reads. The response gets what is left of the 2 s from the signal,
    // not 2 s more after the handler answered: the server exits 0 about 2 s after
    // the signal, the response logged as not completed.
    let mut srv = Server::handler(&["--shutdown-timeout", "2"]);
    let path = "/slow?ms=1500&bytes=32000000";
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .initial_stream_window_size(65535)
            .initial_connection_window_size(65535)
            .handshake::<_, http_body_util::Full<Bytes>>(TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = tokio::spawn(async move {
        send.ready().await.unwrap();
        let resp = send
            .send_request(get(&format!("http://localhost{path}")))
            .await;
        // Held unread until the test ends.
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(resp);
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let signalled = std::time::Instant::now();
    let code = srv.terminate(std::time::Duration::from_secs(10));
    let took = signalled.elapsed();
    assert_eq!(code, Some(0), "{}", srv.log());
    assert!(
        took < std::time::Duration::from_millis(2900),
        "exited {took:?} after the signal\n{}",
        srv.log()
    );
    let (line, _) = logged(&srv, path).await;
    assert!(line.contains("completed=false"), "{line}");
    req.abort();
}

#[tokio::test]
async fn many_responses_still_going_out_at_the_shutdown_timeout_are_each_logged_with_what_went() {
    // 5 connections x 100 streams, each a 200 000-byte body given whole, to a client
    // whose windows (64 KiB per connection) let almost nothing go and which reads
    // nothing: at the shutdown timeout every response is logged, not completed, and
    // none with its whole body counted (the connections and their streams are
    // dropped before the log is written).
    let mut srv = Server::handler(&["--shutdown-timeout", "1"]);
    let mut held = Vec::new();
    let heads = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for c in 0..5 {
        let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
        let (send, conn) =
            hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
                .initial_stream_window_size(65535)
                .initial_connection_window_size(65535)
                .handshake::<_, http_body_util::Full<Bytes>>(TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(conn);
        for i in 0..100 {
            let mut send = send.clone();
            let uri = format!("http://localhost/whole?bytes=200000&c={c}&i={i}");
            let heads = heads.clone();
            held.push(tokio::spawn(async move {
                send.ready().await.unwrap();
                let resp = send.send_request(get(&uri)).await;
                heads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                // Held unread until the test ends.
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                drop(resp);
            }));
        }
    }
    // Every answer has started (its head came; nothing is logged before the end).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while heads.load(std::sync::atomic::Ordering::SeqCst) < 500 {
        assert!(std::time::Instant::now() < deadline, "{}", srv.log());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let code = srv.terminate(std::time::Duration::from_secs(10));
    assert_eq!(code, Some(0));
    let log = srv.log();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("path=/whole")).collect();
    assert_eq!(lines.len(), 500, "{log}");
    for l in lines {
        assert!(l.contains("completed=false"), "{l}");
        assert!(server::logged_bytes(l) < 200_000, "{l}");
    }
    for h in held {
        h.abort();
    }
}

#[tokio::test]
async fn spaces_around_a_field_value_are_not_sent_over_h2() {
    // Spaces and tabs around a value are not part of it; an HTTP/2 client must refuse
    // a field that keeps them (RFC 9113 §8.2.1), in the head and in trailers.
    let srv = Server::handler(&[]);
    let mut c = h2c(srv.addr).await;
    let resp = server::SendLike::send(&mut c, get("http://localhost/padded-field"))
        .await
        .expect("a response head");
    assert_eq!(resp.headers()["x-padded"], "padded");
    let collected = resp.into_body().collect().await.expect("the whole body");
    assert_eq!(collected.trailers().unwrap()["x-sum"], "sum");
    assert_eq!(collected.to_bytes(), Bytes::from_static(b"body"));
}

#[tokio::test]
async fn a_head_response_given_trailers_ends_complete_without_them() {
    // A handler that adds trailers to its answer to HEAD: no body, so no trailer
    // section (Node sends none either), and the response is logged complete over
    // HTTP/2 and HTTP/1.1 on TLS (hyper never asks a HEAD body for its trailers).
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let mut c2 = tls_h2(srv.addr, ca.clone()).await;
    let resp = server::SendLike::send(&mut c2, server::head("https://localhost/trailers"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let collected = resp.into_body().collect().await.unwrap();
    assert!(collected.trailers().is_none(), "{:?}", collected.trailers());
    assert!(collected.to_bytes().is_empty());
    let mut send = tls_h1(srv.addr, ca).await;
    // (hyper's HTTP/1.1 client reads no body for HEAD: the log line is the check.)
    let (status, _, body) = fetch(&mut send, server::head("/trailers")).await;
    assert_eq!((status.as_u16(), body), (200, Ok(Bytes::new())));
    for protocol in ["2.0", "1.1"] {
        let line =
            format!("method=HEAD path=/trailers protocol=\"{protocol}\" status=200 bytes=0 ");
        let l = log_line(&srv, &line).await;
        assert!(l.contains("completed=true"), "{l}");
    }
}

#[tokio::test]
async fn a_response_ended_after_hyper_has_its_bytes_completes_over_tls() {
    // Over HTTP/1.1 on TLS, hyper lets go of a body once it has the bytes its
    // Content-Length announced, while the handler has yet to end it: the response
    // still completes when the handler ends it (before, it was taken for a client
    // that left: 'close' without 'finish', completed=false). A HEAD answer written
    // and ended late completes too.
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let mut send = tls_h1(srv.addr, ca).await;
    let (status, _, body) = fetch(&mut send, get("/late-end?cl")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, Ok(Bytes::from_static(b"abcd")))
    );
    let (status, _, _) = fetch(&mut send, server::head("/late-end")).await;
    assert_eq!(status, 200);
    // The connection goes on to the next request.
    let (status, _, body) = fetch(&mut send, get("/hello")).await;
    assert_eq!((status.as_u16(), body.is_ok()), (200, true));
    for (method, path) in [("GET", "/late-end?cl"), ("HEAD", "/late-end")] {
        let line = format!("method={method} path={path} protocol=\"1.1\" status=200 ");
        let l = log_line(&srv, &line).await;
        assert!(l.contains("completed=true"), "{l}");
    }
}

#[tokio::test]
async fn a_response_ended_after_its_length_went_completes_over_h2_and_a_closing_tls_connection() {
    // Over HTTP/2 hyper ends the stream once the Content-Length went; over TLS
    // HTTP/1.1 with `Connection: close` it closes the connection then. Either way the
    // handler's end, 50 ms later, completes the response.
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let mut c2 = tls_h2(srv.addr, ca.clone()).await;
    let (status, _, body) = fetch(&mut c2, get("https://localhost/late-end?cl&h2")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, Ok(Bytes::from_static(b"abcd")))
    );
    let mut send = tls_h1(srv.addr, ca).await;
    let mut req = get("/late-end?cl&close");
    req.headers_mut().insert(
        "connection",
        hyper::header::HeaderValue::from_static("close"),
    );
    let (status, _, body) = fetch(&mut send, req).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, Ok(Bytes::from_static(b"abcd")))
    );
    for path in ["/late-end?cl&h2", "/late-end?cl&close"] {
        let (line, bytes) = logged(&srv, path).await;
        assert!(line.contains("completed=true") && bytes == 4, "{line}");
    }
}

#[tokio::test]
async fn a_tls_response_never_ended_after_its_length_went_closes_with_its_connection() {
    // Its Content-Length written, never ended: when the client closes the connection
    // the response closes as left by its client (as Node's closes with its socket).
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let tls = tls_connect(srv.addr, ca, &[b"http/1.1"]).await;
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    let conn = tokio::spawn(conn);
    let (status, _, body) = fetch(&mut send, get("/late-end?cl&never")).await;
    assert_eq!(
        (status.as_u16(), body),
        (200, Ok(Bytes::from_static(b"abcd")))
    );
    drop(send);
    conn.abort();
    let (line, _) = logged(&srv, "/late-end?cl&never").await;
    assert!(line.contains("completed=false"), "{line}");
}

#[tokio::test]
async fn the_access_log_counts_what_a_client_leaving_over_tls_took_not_the_whole_body() {
    // The same over HTTP/1.1 on TLS: the log counts what reached the connection (the
    // client's share and what the socket buffers held), not the whole body.
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let total = 32_000_000u64;
    for path in ["/whole", "/write-then-whole"] {
        let path = format!("{path}?bytes={total}");
        let tls = tls_connect(srv.addr, ca.clone(), &[b"http/1.1"]).await;
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .unwrap();
        let conn = tokio::spawn(conn);
        let resp = server::SendLike::send(&mut send, get(&path))
            .await
            .expect("a response head");
        assert_eq!(resp.status(), 200);
        read_then_leave(resp, 1_000_000).await;
        drop(send);
        conn.abort();
        let (line, bytes) = logged(&srv, &path).await;
        assert!(line.contains("completed=false"), "{line}");
        assert!(
            (1_000_000..total).contains(&bytes),
            "{path}: bytes={bytes} of {total}"
        );
    }
}

#[tokio::test]
async fn a_content_length_that_is_not_one_is_dropped_on_every_protocol() {
    // Over HTTP/1.1 weir's writer used the first valid value; over HTTP/2 the field
    // went out as given, and clients failed the stream.
    let srv = Server::handler(&[]);
    let mut c2 = h2c(srv.addr).await;
    let mut c1 = server::h1(srv.addr).await;
    for (query, want) in [
        ("v=abc", None),
        ("v=-1", None),
        ("v=5,5", None),
        ("v=%205%20", Some(5)),
        ("v=5&v=6", Some(5)),
        ("v=x&v=5", Some(5)),
        ("v=abc&stream", None),
        ("v=%205&stream", Some(5)),
    ] {
        let path = format!("/content-length?{query}");
        for (protocol, resp) in [
            (
                "2",
                server::SendLike::send(&mut c2, get(&format!("http://localhost{path}"))).await,
            ),
            ("1.1", server::SendLike::send(&mut c1, get(&path)).await),
        ] {
            let resp = resp.unwrap_or_else(|e| panic!("{path} over {protocol}: {e}"));
            let lengths: Vec<_> = resp
                .headers()
                .get_all("content-length")
                .iter()
                .map(|v| v.to_str().unwrap().trim().parse::<u64>().unwrap())
                .collect();
            let body = resp.into_body().collect().await;
            let body = body.unwrap_or_else(|e| panic!("{path} over {protocol}: {e}"));
            assert_eq!(body.to_bytes(), "hello", "{path} over {protocol}");
            // Where the handler's field is dropped, a whole body's own length is said
            // (a written one's may be, where it ended before the head went).
            let whole = !query.ends_with("stream");
            match want.or(whole.then_some(5)) {
                Some(n) => assert_eq!(lengths, [n], "{path} over {protocol}"),
                None => assert!(matches!(lengths[..], [] | [5]), "{path} over {protocol}"),
            }
        }
    }
    // The length JavaScript checks the body against is the one sent: of `[4, 5]`, 4,
    // which 'hello' overruns (before a body of 5 went out under a length of 4).
    let (status, _, _) = fetch(&mut c2, get("http://localhost/content-length?v=4&v=5")).await;
    assert_eq!(status, 500);
    let (status, _, _) = fetch(&mut c1, get("/content-length?v=4&v=5")).await;
    assert_eq!(status, 500);
}

fn test_cert(
    dir: &std::path::Path,
) -> (String, String, rustls::pki_types::CertificateDer<'static>) {
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    (
        cert_path.display().to_string(),
        key_path.display().to_string(),
        cert.cert.der().clone(),
    )
}

async fn tls_connect(
    addr: std::net::SocketAddr,
    ca: rustls::pki_types::CertificateDer<'static>,
    alpn: &[&[u8]],
) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    try_tls_connect(addr, ca, alpn).await.unwrap()
}

/// The test handler over TLS (one worker), with a certificate made in `dir`, and the
/// certificate to trust.
fn tls_server(dir: &std::path::Path) -> (Server, rustls::pki_types::CertificateDer<'static>) {
    tls_server_with(dir, &[])
}

/// [`tls_server`] with more options.
fn tls_server_with(
    dir: &std::path::Path,
    more: &[&str],
) -> (Server, rustls::pki_types::CertificateDer<'static>) {
    let (cert, key, ca) = test_cert(dir);
    let mut args = vec![
        handler_path(),
        "--workers".into(),
        "1".into(),
        "--tls-cert".into(),
        cert,
        "--tls-key".into(),
        key,
    ];
    args.extend(more.iter().map(|a| a.to_string()));
    let srv = Server::start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    (srv, ca)
}

/// A TLS handshake with `localhost` trusting `ca` and offering `alpn`.
async fn try_tls_connect(
    addr: std::net::SocketAddr,
    ca: rustls::pki_types::CertificateDer<'static>,
    alpn: &[&[u8]],
) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    connector
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
}

#[tokio::test]
async fn h2_over_tls_by_alpn_and_http1_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());

    let tls = tls_connect(srv.addr, ca.clone(), &[b"h2", b"http/1.1"]).await;
    assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let (mut send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(tls),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let (status, _, body) = fetch(&mut send, get("https://localhost/headers")).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(v["httpVersion"], "2.0");

    let mut send = tls_h1(srv.addr, ca).await;
    let (status, _, body) = fetch(&mut send, get("/stream?bytes=2000000")).await;
    assert_eq!(status, 200);
    assert_eq!(body.unwrap().len(), 2_000_000);
}

#[tokio::test]
async fn a_self_signed_certificate_is_made_at_start_up() {
    let srv = Server::start(&[&handler_path(), "--workers", "1", "--tls-self-signed"]);
    assert!(srv.log().contains("listening on https://"), "{}", srv.log());
    // A client that does not verify the certificate talks h2 to it.
    let out = std::process::Command::new("curl")
        .args([
            "-sk",
            "--http2",
            "-w",
            " %{http_version}",
            &format!("https://{}/hello", srv.addr),
        ])
        .output()
        .expect("curl must be installed (apt-get install curl)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello world\n 2");
}

#[tokio::test]
async fn responses_carry_a_date_unless_send_date_is_false() {
    let srv = Server::handler(&[]);
    let mut c = h2c(srv.addr).await;
    let (status, headers, _) = fetch(&mut c, get("http://localhost/hello")).await;
    assert_eq!(status, 200);
    let date = headers["date"].to_str().unwrap().to_owned();
    assert!(httpdate::parse_http_date(&date).is_ok(), "{date}");
    let (status, headers, body) = fetch(&mut c, get("http://localhost/no-date")).await;
    assert_eq!(
        (status.as_u16(), body.unwrap()),
        (200, Bytes::from("no date\n"))
    );
    assert!(headers.get("date").is_none(), "{headers:?}");
}

#[tokio::test]
async fn an_expectation_other_than_100_continue_gets_417() {
    let srv = Server::handler(&[]);
    let mut c = h2c(srv.addr).await;
    let req = hyper::Request::get("http://localhost/hello")
        .header("expect", "something-else")
        .body(server::empty())
        .unwrap();
    let (status, _, _) = fetch(&mut c, req).await;
    assert_eq!(status, 417);
    let (status, _, _) = fetch(&mut c, get("http://localhost/hello")).await;
    assert_eq!(status, 200);
}

/// A client that leaves in the middle of its upload, while the handler reads slowly:
/// the body's reader gets an error, never an end that would pass the part that came
/// for the whole upload. Over HTTP/1.1 (the connection closed) and h2c (the stream
/// reset).
#[tokio::test]
async fn an_upload_cut_short_fails_its_slow_reader_instead_of_ending() {
    use futures::StreamExt;
    use std::io::Write;
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let chunk = vec![b'u'; 256 << 10];
    // HTTP/1.1: 1 MiB of the 8 MiB announced, then the connection closes.
    {
        let mut s = std::net::TcpStream::connect(srv.addr).unwrap();
        s.write_all(
            b"POST /slow-read?tag=h1 HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n",
        )
        .unwrap();
        for _ in 0..4 {
            s.write_all(&chunk).unwrap();
        }
    }
    // h2c: the same, then the stream is reset (the client drops the request).
    {
        let mut send = server::h2c_with(srv.addr).await;
        let frames = futures::stream::iter((0..4).map(move |_| {
            Ok::<_, std::convert::Infallible>(hyper::body::Frame::data(Bytes::from(chunk.clone())))
        }))
        .chain(futures::stream::pending());
        let req = hyper::Request::post("http://localhost/slow-read?tag=h2")
            .header("content-length", "8388608")
            .body(http_body_util::StreamBody::new(frames))
            .unwrap();
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(300),
            send.send_request(req),
        )
        .await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, _, body) = fetch(&mut server::h1(srv.addr).await, get("/stats")).await;
        let stats: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
        let (a, b) = (&stats["slowRead"]["h1"], &stats["slowRead"]["h2"]);
        let done = |v: &serde_json::Value| v.as_str().is_some_and(|s| s != "reading");
        if done(a) && done(b) {
            for (proto, v) in [("HTTP/1.1", a), ("h2c", b)] {
                let v = v.as_str().unwrap();
                assert!(v.starts_with("error ECONNRESET"), "{proto}: {v}");
            }
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{stats}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_tls_client_offering_no_protocol_weir_speaks_gets_the_alert_not_a_bare_close() {
    // RFC 7301 §3.2: `no_application_protocol`. The alert used to stay in the
    // connection's write buffer, and the client saw only the close.
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let err = try_tls_connect(srv.addr, ca, &[b"h2c"])
        .await
        .expect_err("no protocol in common");
    let alert = err
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
        .cloned();
    assert_eq!(
        alert,
        Some(rustls::Error::AlertReceived(
            rustls::AlertDescription::NoApplicationProtocol
        )),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_http1_client_over_tls_that_pauses_reading_gets_every_byte_after_the_idle_timeout() {
    // hyper writes a body handed over whole from its own buffer after the exchange
    // ended; a client that stops reading for longer than the idle timeout used to
    // lose what was left (4 MB of 16 MiB). Writes waiting for the client keep the
    // connection from counting as idle.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server_with(dir.path(), &["--idle-timeout-ms", "300"]);
    let mut tls = tls_connect(srv.addr, ca, &[b"http/1.1"]).await;
    let total = 16 << 20;
    tls.write_all(format!("GET /whole?bytes={total} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    while got.len() < 100_000 {
        let n = tls.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed early");
        got.extend_from_slice(&buf[..n]);
    }
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut body = got.len() - head_end;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    while body < total {
        let n = tls.read(&mut buf).await.expect("the rest of the body");
        assert!(n > 0, "the connection closed after {body} of {total} bytes");
        body += n;
    }
    assert_eq!(body, total);
}

#[tokio::test]
async fn over_tls_the_protocol_alpn_settled_is_the_one_spoken() {
    // RFC 9113 §3.2: after ALPN `h2`, bytes that are not the HTTP/2 preface are a
    // connection error; an HTTP/1.1 request is not served. (Over plain TCP, and over
    // TLS without ALPN, the first bytes tell the protocol.)
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server(dir.path());
    let mut tls = tls_connect(srv.addr, ca.clone(), &[b"h2"]).await;
    tls.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), tls.read_to_end(&mut got))
        .await
        .expect("the server closes the connection");
    assert!(
        !got.starts_with(b"HTTP/1.1"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    // After `http/1.1`, HTTP/1.1 is served.
    let mut tls = tls_connect(srv.addr, ca, &[b"http/1.1"]).await;
    tls.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    let _ = tls.read_to_end(&mut got).await;
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
}

#[tokio::test]
async fn a_body_read_on_after_its_response_ends_over_http1_on_tls() {
    // hyper drives HTTP/1.1 over TLS; once its response has gone it waits for the next
    // request head still holding the body open. A body with a Content-Length ends all
    // the same when its last byte has come (the handler sees 'end', not 'aborted' at
    // --body-timeout-ms).
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let (srv, ca) = tls_server_with(dir.path(), &["--body-timeout-ms", "3000"]);
    let mut tls = tls_connect(srv.addr, ca.clone(), &[b"http/1.1"]).await;
    let body = vec![b'x'; 200_000];
    let mut req =
        b"POST /respond-then-read?tag=tls HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n"
            .to_vec();
    req.extend_from_slice(&body);
    tls.write_all(&req).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = tls.read(&mut buf).await.unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    let started = std::time::Instant::now();
    loop {
        let mut c = tls_connect(srv.addr, ca.clone(), &[b"http/1.1"]).await;
        c.write_all(b"GET /stats HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).await.unwrap();
        let at = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let stats: serde_json::Value = serde_json::from_slice(&got[at..]).unwrap();
        let seen = &stats["reqEvents"]["tls"];
        if seen
            .as_array()
            .is_some_and(|a| a.last() == Some(&"close".into()))
        {
            assert_eq!(*seen, serde_json::json!(["data", "end 200000", "close"]));
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{seen}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
