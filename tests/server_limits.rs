//! Explicit limits: request head size and header count (431), the request-head
//! timeout and the keep-alive idle timeout (connection closed). The HTTP/2 limits and
//! `--max-connections` are in server_h2_limits.rs.

mod common;
#[path = "common/server.rs"]
mod server;

use server::{fetch, get, h1, handler_path, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn raw(addr: std::net::SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn a_request_head_over_the_byte_limit_gets_431() {
    let srv = Server::handler(&["--max-header-bytes", "16384"]);
    let big = "x".repeat(20_000);
    let resp = raw(
        srv.addr,
        format!("GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: {big}\r\n\r\n").as_bytes(),
    );
    assert!(resp.starts_with("HTTP/1.1 431"), "{resp}");
    // Under the limit is fine.
    let ok = "y".repeat(8_000);
    let resp = raw(
        srv.addr,
        format!("GET /hello HTTP/1.1\r\nHost: a\r\nX-Ok: {ok}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

#[test]
fn a_request_line_over_the_byte_limit_gets_414() {
    let srv = Server::handler(&["--max-header-bytes", "16384"]);
    let long = "a".repeat(20_000);
    // Whole, and still arriving when the limit is passed.
    let resp = raw(
        srv.addr,
        format!("GET /{long} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes(),
    );
    assert!(resp.starts_with("HTTP/1.1 414"), "{resp}");
    let resp = raw(srv.addr, format!("GET /{long}").as_bytes());
    assert!(resp.starts_with("HTTP/1.1 414"), "{resp}");
}

#[test]
fn too_many_headers_get_431() {
    let srv = Server::start(&[&handler_path(), "--workers", "1", "--max-headers", "20"]);
    let mut req = String::from("GET /hello HTTP/1.1\r\nHost: a\r\n");
    for i in 0..30 {
        req.push_str(&format!("X-H{i}: v\r\n"));
    }
    req.push_str("\r\n");
    let resp = raw(srv.addr, req.as_bytes());
    assert!(resp.starts_with("HTTP/1.1 431"), "{resp}");
    // Every field counts, `Host` and `Connection` too: 20 pass, 21 do not.
    for (fields, want) in [(20, "HTTP/1.1 200"), (21, "HTTP/1.1 431")] {
        let mut req = String::from("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n");
        for i in 0..fields - 2 {
            req.push_str(&format!("X-H{i}: v\r\n"));
        }
        req.push_str("\r\n");
        let resp = raw(srv.addr, req.as_bytes());
        assert!(resp.starts_with(want), "{fields} fields: {resp}");
    }
}

#[test]
fn a_client_that_never_finishes_its_head_is_disconnected() {
    let srv = Server::handler(&["--header-timeout-ms", "500"]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n").unwrap();
    let start = Instant::now();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(400) && took < Duration::from_secs(5),
        "closed after {took:?}"
    );
    let text = String::from_utf8_lossy(&out);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    let srv = Server::handler(&["--idle-timeout-ms", "400", "--header-timeout-ms", "5000"]);
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    let start = Instant::now();
    let n = s.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server closes an idle connection");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(4),
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn a_slow_handler_is_not_cut_by_the_idle_timeout() {
    let srv = Server::handler(&["--idle-timeout-ms", "200"]);
    let mut c = h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("/slow?ms=800")).await;
    assert_eq!(status, 200);
    assert_eq!(body.unwrap(), "slow done\n");
}

#[test]
fn limits_are_validated_on_the_command_line() {
    for (flag, value) in [
        ("--max-headers", "many"),
        ("--max-headers", "0"),
        ("--max-headers", "10001"),
        ("--max-header-bytes", "0"),
        ("--max-header-bytes", "16777217"),
    ] {
        let run = common::refused_args(&["serve", flag, value]);
        assert!(
            run.stderr
                .contains(&format!("invalid value '{value}' for '{flag}")),
            "{flag} {value}: {}",
            run.stderr
        );
    }
    // The largest values are taken.
    let srv = Server::handler(&["--max-headers", "10000", "--max-header-bytes", "16777216"]);
    let resp = raw(
        srv.addr,
        b"GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    );
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
}

#[tokio::test]
async fn an_http2_client_that_pauses_reading_gets_every_byte_after_the_idle_timeout() {
    // The handler gives 1 MiB whole; HTTP/2 holds what the client's window does not
    // take yet. A client that stops reading (a player with a full buffer) for longer
    // than the idle timeout, and a slow one reading for longer than the head timeout,
    // still get the whole body: the connection is not idle while data waits for the
    // window (it used to be closed, the rest lost).
    use http_body_util::BodyExt;
    let srv = Server::handler(&["--idle-timeout-ms", "300", "--header-timeout-ms", "500"]);
    let (send, resp) = h2_whole_mib_with_a_shut_window(srv.addr).await;
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    // Nothing read for 1.5 s: the stream's window stays shut.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut got = 0usize;
    let started = Instant::now();
    while let Some(frame) = body.frame().await {
        let frame = frame.expect("the body arrives whole");
        if let Some(d) = frame.data_ref() {
            got += d.len();
            // Slowly: past the head timeout in all.
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
    }
    assert_eq!(got, 1 << 20);
    assert!(
        started.elapsed() > Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // An idle connection with nothing held still closes.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(send.is_closed(), "the idle connection was not closed");
}

#[tokio::test]
async fn a_client_that_stops_reading_for_good_loses_the_connection_after_the_send_timeout() {
    // nginx's send_timeout: with no byte of the response taken for
    // --send-timeout-ms, the connection closes (and the access log says the response
    // was not completed). Over weir's HTTP/1.1 and over HTTP/2, whose data then waits
    // for the client's window.
    let srv = Server::handler(&["--send-timeout-ms", "1000", "--idle-timeout-ms", "300"]);
    let total = 64usize << 20;
    let mut s = TcpStream::connect(srv.addr).unwrap();
    s.write_all(format!("GET /whole?bytes={total} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = 0usize;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    assert!(got < total, "the whole body arrived: {got}");
    assert!(srv.log_shows("path=/whole", Duration::from_secs(5)));
    assert!(srv.log().contains("completed=false"), "{}", srv.log());

    let (_send, resp) = h2_whole_mib_with_a_shut_window(srv.addr).await;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let mut body = resp.into_body();
    let (got, failed) = server::drain(&mut body).await;
    assert!(
        failed && got < 1 << 20,
        "got {got} bytes after {:?}",
        started.elapsed()
    );
}

/// An h2c GET of a 1 MiB body given whole, by a client whose stream window (64 KiB)
/// only opens as the body is read: its sender (which keeps the connection) and the
/// response, body unread.
async fn h2_whole_mib_with_a_shut_window(
    addr: std::net::SocketAddr,
) -> (
    hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>,
    hyper::Response<hyper::body::Incoming>,
) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .initial_stream_window_size(65_535)
            .initial_connection_window_size(1 << 30)
            .handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get("http://localhost/whole?bytes=1048576")
        .body(server::empty())
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    (send, resp)
}
