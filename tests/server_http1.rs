//! `weir serve` over HTTP/1.1 with a JS handler: status codes and headers, streamed
//! request and response bodies checked by SHA-256, handler errors before and after the
//! head, and backpressure to a client that stops reading.

mod common;
#[path = "common/server.rs"]
mod server;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use server::{fetch, get, h1, handler_path, sha256, Server};
use std::time::Duration;

#[tokio::test]
async fn a_handler_answers_with_status_headers_and_body() {
    let srv = Server::start(&[&handler_path(), "--workers", "2"]);
    let mut c = h1(srv.addr).await;
    let (status, headers, body) = fetch(&mut c, get("/hello")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(headers["x-powered-by"], "weir tests");
    assert_eq!(headers["content-length"], "12");
    assert_eq!(body.unwrap(), "hello world\n");
    // Keep-alive: a second request on the same connection.
    let (status, _, body) = fetch(&mut c, get("/nope")).await;
    assert_eq!(
        (status.as_u16(), body.unwrap()),
        (404, Bytes::from("not found\n"))
    );
}

#[tokio::test]
async fn req_is_node_shaped_with_lower_case_headers() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let req = hyper::Request::get("/headers?x=1")
        .header("host", "example.test")
        .header("X-Custom", "one")
        .header("x-custom", "two")
        .header("Cookie", "a=1")
        .header("cookie", "b=2")
        .body(server::empty())
        .unwrap();
    let (status, _, body) = fetch(&mut c, req).await;
    assert_eq!(status, 200);
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(v["method"], "GET");
    assert_eq!(v["url"], "/headers?x=1");
    assert_eq!(v["httpVersion"], "1.1");
    assert_eq!(v["headers"]["host"], "example.test");
    assert_eq!(v["headers"]["x-custom"], "one, two");
    assert_eq!(v["headers"]["cookie"], "a=1; b=2");
    assert_eq!(v["remoteAddress"], "127.0.0.1");
    assert_eq!(v["isReadable"], true);
    assert_eq!(v["isWritable"], true);
}

#[tokio::test]
async fn a_streamed_request_body_comes_back_intact() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut c = h1(srv.addr).await;
    let req = hyper::Request::post("/echo")
        .header("host", "localhost")
        .body(Full::new(Bytes::from(data.clone())))
        .unwrap();
    let (status, _, body) = fetch(&mut c, req).await;
    assert_eq!(status, 200);
    assert_eq!(sha256(&body.unwrap()), sha256(&data));
}

#[tokio::test]
async fn a_large_streamed_response_arrives_whole() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let n = 50 * 1024 * 1024 + 123;
    let (status, headers, body) = fetch(&mut c, get(&format!("/stream?bytes={n}"))).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], n.to_string());
    let body = body.unwrap();
    assert_eq!(body.len(), n);
    assert_eq!(sha256(&body), sha256(&vec![b'w'; n]));
    // Without a Content-Length the body is chunked and still whole.
    let (_, headers, body) = fetch(&mut c, get("/chunked?bytes=1000000")).await;
    assert_eq!(headers["transfer-encoding"], "chunked");
    assert_eq!(body.unwrap().len(), 1_000_000);
}

#[tokio::test]
async fn status_codes_and_messages() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("/status?code=201")).await;
    assert_eq!(status, 201);
    let (status, _, _) = fetch(&mut c, get("/status?code=599")).await;
    assert_eq!(status, 599);
}

#[tokio::test]
async fn a_handler_that_throws_or_rejects_before_the_head_gets_500_and_the_worker_goes_on() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("/throw")).await;
    assert_eq!(status, 500);
    assert_eq!(body.unwrap(), "Internal Server Error\n");
    let (status, _, _) = fetch(&mut c, get("/reject")).await;
    assert_eq!(status, 500);
    let (status, _, _) = fetch(&mut c, get("/hello")).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = srv.log();
    assert!(log.contains("GET /throw HTTP/1.1 from 127.0.0.1"), "{log}");
    assert!(log.contains("Error: thrown before the head"), "{log}");
    assert!(log.contains("handler.mjs:"), "the stack is logged: {log}");
}

#[tokio::test]
async fn a_failure_after_the_head_cuts_the_response_instead_of_ending_it() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("/fail-after-head")).await;
    assert_eq!(status, 200);
    assert!(
        body.is_err(),
        "a cut body must be an error for the client, got {body:?}"
    );
}

#[tokio::test]
async fn a_client_that_stops_reading_stops_the_handler_and_memory_stays_flat() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let before = srv.rss_kib();
    let mut c = h1(srv.addr).await;
    // 1 GiB response; read the head and a little, then stop reading for a while.
    let resp = server::SendLike::send(&mut c, get("/stream?bytes=1073741824"))
        .await
        .unwrap();
    let mut body = resp.into_body();
    let mut got = 0usize;
    while got < 1 << 20 {
        if let Some(Ok(f)) = body.frame().await {
            got += f.into_data().map(|d| d.len()).unwrap_or(0);
        }
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stalled = srv.rss_kib();
    assert!(
        stalled < before + 64 * 1024,
        "RSS grew from {before} KiB to {stalled} KiB while the client was not reading"
    );
    // Resume: everything still arrives.
    let mut total = got;
    while let Some(frame) = body.frame().await {
        total += frame.unwrap().into_data().map(|d| d.len()).unwrap_or(0);
    }
    assert_eq!(total, 1 << 30);
    let after = srv.rss_kib();
    assert!(
        after < before + 64 * 1024,
        "RSS {before} KiB -> {after} KiB after 1 GiB"
    );
}

#[tokio::test]
async fn many_client_aborts_release_everything() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    // Warm up, then measure.
    for _ in 0..50 {
        abort_one(srv.addr).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = srv.rss_kib();
    for _ in 0..1000 {
        abort_one(srv.addr).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut c = h1(srv.addr).await;
    let (_, _, body) = fetch(&mut c, get("/stats")).await;
    let stats: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    // Every aborted response emitted 'close' (so its handler's resources can go).
    assert!(stats["aborted"].as_u64().unwrap() >= 1000, "{stats}");
    let after = srv.rss_kib();
    assert!(
        after < before + 32 * 1024,
        "RSS {before} KiB -> {after} KiB after 1000 aborts"
    );
}

async fn abort_one(addr: std::net::SocketAddr) {
    let mut c = h1(addr).await;
    let resp = server::SendLike::send(&mut c, get("/stream?bytes=10000000"))
        .await
        .unwrap();
    let mut body = resp.into_body();
    let _ = body.frame().await;
    drop(body);
    drop(c);
}

#[tokio::test]
async fn a_whole_body_is_sent_with_its_length_which_is_not_a_response_header() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c1 = h1(srv.addr).await;
    let mut c2 = server::h2c(srv.addr).await;
    // HEAD gets the length of the body the handler gave, and no body.
    for (what, (status, headers, body)) in [
        ("h1 GET", fetch(&mut c1, get("/implied-length")).await),
        ("h2 GET", fetch(&mut c2, get("/implied-length")).await),
        (
            "h1 HEAD",
            fetch(&mut c1, server::head("/implied-length")).await,
        ),
        (
            "h2 HEAD",
            fetch(&mut c2, server::head("/implied-length")).await,
        ),
    ] {
        assert_eq!(status, 200, "{what}");
        // "héllo": six bytes of UTF-8, five characters.
        assert_eq!(headers["content-length"], "6", "{what}");
        let want = if what.ends_with("HEAD") {
            ""
        } else {
            "h\u{e9}llo"
        };
        assert_eq!(body.unwrap(), want, "{what}");
    }
    let (_, _, body) = fetch(&mut c1, get("/stats")).await;
    let v: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(v["impliedLength"], "undefined");
}

/// A client that leaves before its response is whole cuts its request as Node cuts
/// it: 'aborted', 'error' (ECONNRESET, "aborted") for whoever listens, then 'close',
/// whether the handler was writing or waiting; a request whose body was read to its
/// end has nothing to abort. The expected events are what Node v20 records with the
/// same handler (`http.createServer`, curl leaving after 0.5 s).
#[tokio::test]
async fn a_client_that_leaves_cuts_its_request_as_in_node() {
    let handler = common::js_dir().join("server/abort_events.mjs");
    let srv = Server::start(&[handler.to_str().unwrap(), "--workers", "1"]);
    let cut = [
        "req-aborted",
        "res-close",
        "req-error:ECONNRESET:aborted",
        "req-close",
    ];
    let read = ["req-end", "req-close", "res-close"];
    for proto in ["h1", "h2"] {
        for (path, want) in [
            ("/write", &cut[..]),
            ("/idle", &cut[..]),
            ("/read-then-write", &read[..]),
        ] {
            let url = format!("{path}?{proto}");
            if proto == "h1" {
                leave(&mut h1(srv.addr).await, &url, path == "/idle").await;
            } else {
                leave(&mut server::h2c(srv.addr).await, &url, path == "/idle").await;
            }
            // The connection is gone here (the client and its task dropped).
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            loop {
                let mut c = h1(srv.addr).await;
                let (_, _, body) = fetch(&mut c, get("/log")).await;
                let log: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
                if log[&url] == serde_json::json!(want) {
                    break;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "{url}: {} instead of {want:?}",
                    log[&url]
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Asks for `url` and leaves: after the first bytes of the body, or after 200 ms
/// without an answer (`idle`). The connection goes with `c`.
async fn leave(c: &mut impl server::SendLike, url: &str, idle: bool) {
    let sent = c.send(get(url));
    if idle {
        let _ = tokio::time::timeout(Duration::from_millis(200), sent).await;
    } else {
        let mut body = sent.await.unwrap().into_body();
        let _ = body.frame().await;
    }
}

#[tokio::test]
async fn handlers_ported_from_node_see_node_s_head_and_length_rules() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    // A wrapped writeHead (on-headers, response-time) runs for the implicit head, can
    // still set headers, and a status given as a string counts as in Node.
    let (status, headers, body) = port_case(&mut c, "hook").await;
    assert_eq!(status, 201);
    assert_eq!(headers["x-hooked"], "201 true");
    // (The body was made before end(): the head was not sent yet.)
    assert_eq!(body.unwrap(), "false");
    // writeHead's flat array replaces what setHeader() set under the same name.
    let (_, headers, body) = port_case(&mut c, "flat").await;
    let xa: Vec<_> = headers.get_all("x-a").iter().collect();
    assert_eq!(xa, ["2", "3"]);
    assert_eq!(body.unwrap(), "OK");
    // A body longer than its Content-Length throws (it used to leave the client an
    // empty reply), and nothing is sent: the handler can still send the right one.
    // With strictContentLength, a shorter one throws too.
    assert_eq!(port_case(&mut c, "too-long").await.2.unwrap(), "hello");
    assert_eq!(port_case(&mut c, "strict").await.2.unwrap(), "0123456789");
    let (status, _, body) = port_case(&mut c, "too-long-write").await;
    assert_eq!((status.as_u16(), body.unwrap()), (200, "abcd".into()));
    assert_eq!(
        port_case(&mut c, "bad-message").await.2.unwrap(),
        "ERR_INVALID_CHAR"
    );
    // A 1xx status as the final answer throws (the client would take the next
    // response for this one): the handler fails, and its request gets 500.
    let (status, _, _) = port_case(&mut c, "final-1xx").await;
    assert_eq!(status, 500);
    assert!(srv.log_shows(
        "a 1xx status is not a final response",
        Duration::from_secs(5)
    ));
    let (status, _, body) = port_case(&mut c, "end-twice").await;
    assert_eq!((status.as_u16(), body.unwrap()), (200, "ab".into()));
    let stats = fetch(&mut c, get("/stats")).await.2.unwrap();
    let stats = String::from_utf8_lossy(&stats);
    assert!(stats.contains(r#""endTwice":"called""#), "{stats}");
    assert!(
        stats.contains(r#""portErrors":["ERR_HTTP_CONTENT_LENGTH_MISMATCH","ERR_HTTP_CONTENT_LENGTH_MISMATCH"]"#),
        "{stats}"
    );
}

async fn port_case(
    c: &mut hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    name: &str,
) -> (hyper::StatusCode, hyper::HeaderMap, Result<Bytes, String>) {
    fetch(c, get(&format!("/node-ports?case={name}"))).await
}

#[tokio::test]
async fn res_set_timeout_fires_on_inactivity_as_in_node() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    // A listener answers for the handler.
    let mut c = h1(srv.addr).await;
    let started = std::time::Instant::now();
    let (status, _, body) = fetch(&mut c, get("/idle-timeout?mode=handled")).await;
    assert_eq!(
        (status.as_u16(), body.unwrap()),
        (504, "timed out\n".into())
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
    // Nobody listens: the exchange is cut, as Node destroys the socket.
    let mut c = h1(srv.addr).await;
    let r = c.send_request(get("/idle-timeout?mode=unheard")).await;
    assert!(r.is_err(), "{r:?}");
    // Bytes moving keep it from firing.
    let mut c = h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("/idle-timeout?mode=active")).await;
    assert_eq!((status.as_u16(), body.unwrap()), (200, "bbbbbb\n".into()));
    let stats = fetch(&mut c, get("/stats")).await.2.unwrap();
    assert!(
        !String::from_utf8_lossy(&stats).contains("timeout fired"),
        "{stats:?}"
    );
}
