//! Living through failures and shutting down: the CPU budget per request (503, the
//! worker goes on), heap exhaustion (the isolate is replaced, the process survives),
//! graceful shutdown on SIGTERM with a request in flight, handler start-up errors.

mod common;
#[path = "common/server.rs"]
mod server;

use server::{fetch, get, h1, h2c, handler_path, Server};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_head_request_answered_503_in_the_handlers_place_gets_no_body() {
    // weir's own answer to a HEAD request carries the length of the body a GET
    // would get, and no body: over HTTP/2 a DATA frame would be a protocol error
    // (the client resets the stream), over TLS the response would not complete.
    let srv = Server::handler(&["--handler-timeout-ms", "300"]);
    let mut c2 = h2c(srv.addr).await;
    let (status, headers, body) = fetch(&mut c2, server::head("http://localhost/spin")).await;
    assert_eq!(status, 503);
    assert_eq!(headers["content-length"], "20");
    assert_eq!(body, Ok(bytes::Bytes::new()));
    let line = "method=HEAD path=/spin protocol=\"2.0\" status=503 bytes=0 ";
    assert!(
        srv.wait_for_log(Duration::from_secs(5), |l| l.contains(line)
            && l.contains("completed=true")),
        "{}",
        srv.log()
    );
}

#[tokio::test]
async fn a_handler_in_an_infinite_loop_gets_503_and_the_worker_keeps_serving() {
    let srv = Server::handler(&["--handler-timeout-ms", "300"]);
    let mut c = h1(srv.addr).await;
    let start = Instant::now();
    let (status, _, _) = fetch(&mut c, get("/spin")).await;
    assert_eq!(status, 503);
    assert!(start.elapsed() < Duration::from_secs(3));
    let mut c2 = h2c(srv.addr).await;
    let (status, _, _) = fetch(&mut c2, get("http://localhost/spin")).await;
    assert_eq!(status, 503);
    // Each has its access-log line, with the answer weir gave.
    for protocol in ["1.1", "2.0"] {
        let line = format!("path=/spin protocol=\"{protocol}\" status=503 bytes=20 ");
        assert!(
            srv.log_shows(&line, Duration::from_secs(5)),
            "{line}\n{}",
            srv.log()
        );
    }
    let mut c = h1(srv.addr).await;
    for _ in 0..3 {
        let (status, _, body) = fetch(&mut c, get("/hello")).await;
        assert_eq!(
            (status.as_u16(), body.unwrap()),
            (200, bytes::Bytes::from("hello world\n"))
        );
    }
    assert!(
        srv.log_shows("ran past --handler-timeout-ms", Duration::from_secs(5)),
        "{}",
        srv.log()
    );
}

#[tokio::test]
async fn heap_exhaustion_replaces_the_isolate_and_the_server_survives() {
    let srv = Server::start(&[
        &handler_path(),
        "--workers",
        "2",
        "--max-heap-mb",
        "64",
        "--handler-timeout-ms",
        "20000",
    ]);
    let mut c = h1(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("/oom")).await;
    assert_eq!(status, 503);
    let line = "path=/oom protocol=\"1.1\" status=503 bytes=20 ";
    assert!(srv.log_shows(line, Duration::from_secs(5)), "{}", srv.log());
    // Both workers keep serving (new connections land on either).
    for _ in 0..10 {
        let mut c = h1(srv.addr).await;
        let (status, _, _) = fetch(&mut c, get("/hello")).await;
        assert_eq!(status, 200);
    }
    assert!(
        srv.log_shows("replacing this worker's isolate", Duration::from_secs(5)),
        "{}",
        srv.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_then_exits_0() {
    let mut srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let addr = srv.addr;
    let over_h1 = tokio::spawn(async move {
        let mut c = h1(addr).await;
        fetch(&mut c, get("/slow?ms=700&h1")).await
    });
    let over_h2 = tokio::spawn(async move {
        let mut c = server::h2c(addr).await;
        fetch(&mut c, get("/slow?ms=700&h2")).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let code = tokio::task::block_in_place(|| srv.terminate(Duration::from_secs(8)));
    for inflight in [over_h1, over_h2] {
        let (status, _, body) = inflight.await.unwrap();
        assert_eq!(status, 200);
        assert_eq!(body.unwrap(), "slow done\n");
    }
    assert_eq!(code, Some(0), "{}", srv.log());
    // New connections are refused after shutdown.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    // Each got its access-log line, as complete. (The lines reach the test's reader
    // thread after the process is gone.)
    srv.wait_for_log(Duration::from_secs(5), |log| {
        log.matches("path=/slow").count() == 2
    });
    let log = srv.log();
    for (path, protocol) in [("/slow?ms=700&h1", "1.1"), ("/slow?ms=700&h2", "2.0")] {
        let line = log
            .lines()
            .find(|l| l.contains(&format!("path={path} ")))
            .unwrap_or_else(|| panic!("no access-log line for {path}:\n{log}"));
        assert!(line.contains(&format!("protocol=\"{protocol}\"")), "{line}");
        assert!(line.contains("completed=true"), "{line}");
    }
}

/// The built-in file handler needs no isolate: its downloads in flight at SIGTERM go
/// on to their end (within --shutdown-timeout) over HTTP/1.1 (`sendfile`) and h2c,
/// and are logged as complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_file_downloads_in_flight_finish() {
    use http_body_util::BodyExt;
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..(32u32 << 20))
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("big.bin"), &data).unwrap();
    let mut srv = Server::start(&["--root", dir.path().to_str().unwrap(), "--workers", "1"]);
    let addr = srv.addr;
    // Each reads its first bytes, stays still past the signal, then reads the rest.
    async fn download(c: &mut impl server::SendLike, what: &str) -> (u16, Vec<u8>) {
        let resp = c.send(get("/big.bin")).await.unwrap();
        let status = resp.status().as_u16();
        let mut body = resp.into_body();
        let mut got = Vec::new();
        let mut paused = false;
        while let Some(frame) = body.frame().await {
            let frame =
                frame.unwrap_or_else(|e| panic!("{what}: cut after {} bytes: {e}", got.len()));
            let Ok(data) = frame.into_data() else {
                continue;
            };
            got.extend_from_slice(&data);
            if !paused {
                paused = true;
                tokio::time::sleep(Duration::from_millis(600)).await;
            }
        }
        (status, got)
    }
    let over_h1 = tokio::spawn(async move { download(&mut h1(addr).await, "HTTP/1.1").await });
    let over_h2 = tokio::spawn(async move { download(&mut server::h2c(addr).await, "h2c").await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let code = tokio::task::block_in_place(|| srv.terminate(Duration::from_secs(8)));
    for (what, t) in [("HTTP/1.1", over_h1), ("h2c", over_h2)] {
        let (status, got) = t.await.unwrap();
        assert_eq!(status, 200, "{what}");
        assert!(
            got == data,
            "{what}: {} of {} bytes, or other bytes",
            got.len(),
            data.len()
        );
    }
    assert_eq!(code, Some(0), "{}", srv.log());
    srv.wait_for_log(Duration::from_secs(5), |log| {
        log.matches("path=/big.bin").count() == 2
    });
    let log = srv.log();
    for protocol in ["1.1", "2.0"] {
        let line = log
            .lines()
            .find(|l| {
                l.contains("path=/big.bin") && l.contains(&format!("protocol=\"{protocol}\""))
            })
            .unwrap_or_else(|| panic!("no access-log line over {protocol}:\n{log}"));
        assert!(line.contains(&format!("bytes={} ", data.len())), "{line}");
        assert!(line.contains("completed=true"), "{line}");
    }
}

#[test]
fn sigterm_on_an_idle_server_exits_at_once() {
    for args in [
        vec![handler_path(), "--workers".into(), "2".into()],
        vec![
            "--root".into(),
            common::js_dir().display().to_string(),
            "--workers".into(),
            "2".into(),
        ],
    ] {
        let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        let mut srv = Server::start(&args);
        let started = std::time::Instant::now();
        // The default --shutdown-timeout is 10 s: an idle server must not wait for it.
        assert_eq!(
            srv.terminate(Duration::from_secs(3)),
            Some(0),
            "{args:?}: {}",
            srv.log()
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{args:?} took {:?}",
            started.elapsed()
        );
        assert!(
            !srv.log().contains("shutdown timeout reached"),
            "{}",
            srv.log()
        );
    }
}

#[test]
fn shutdown_timeout_cuts_a_response_that_takes_too_long() {
    let mut srv = Server::start(&[
        &handler_path(),
        "--workers",
        "1",
        "--shutdown-timeout",
        "0.3",
    ]);
    let addr = srv.addr;
    let t = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut c = h1(addr).await;
            let resp = server::SendLike::send(&mut c, get("/hang")).await;
            resp.map(|r| r.status().as_u16()).unwrap_or(0)
        })
    });
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    let code = srv.terminate(Duration::from_secs(5));
    assert_eq!(code, Some(0));
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "took {:?}",
        start.elapsed()
    );
    let status = t.join().unwrap();
    assert!(status == 503 || status == 0, "status {status}");
}

#[test]
fn a_handler_module_that_fails_to_load_stops_the_server_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.mjs");
    std::fs::write(&bad, "export default 42;\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args([
            "serve",
            bad.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("could not start the handler"), "{err}");
    assert!(err.contains("export default function (req, res)"), "{err}");

    let syntax = dir.path().join("syntax.mjs");
    std::fs::write(
        &syntax,
        "export default function (req, res) {\n  res.end(;\n}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
        .args([
            "serve",
            syntax.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--workers",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("SyntaxError"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn commonjs_and_object_handlers_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let cjs = dir.path().join("h.cjs");
    std::fs::write(
        &cjs,
        "module.exports = (req, res) => res.end('cjs ' + req.method);\n",
    )
    .unwrap();
    let srv = Server::start(&[cjs.to_str().unwrap(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (_, _, body) = fetch(&mut c, get("/")).await;
    assert_eq!(body.unwrap(), "cjs GET");
    drop(srv);

    let obj = dir.path().join("obj.mjs");
    std::fs::write(
        &obj,
        "export default { greeting: 'obj', request(req, res) { res.end(this.greeting); } };\n",
    )
    .unwrap();
    let srv = Server::start(&[obj.to_str().unwrap(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (_, _, body) = fetch(&mut c, get("/")).await;
    assert_eq!(body.unwrap(), "obj");
}

#[tokio::test]
async fn every_request_gets_an_access_log_line() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, body) = fetch(&mut c, get("/hello?a=b")).await;
    assert_eq!(
        (status.as_u16(), body.unwrap()),
        (200, bytes::Bytes::from("hello world\n"))
    );
    assert!(
        srv.log_shows("path=/hello?a=b", Duration::from_secs(5)),
        "{}",
        srv.log()
    );
    let log = srv.log();
    let line = log
        .lines()
        .find(|l| l.contains("path=/hello?a=b"))
        .unwrap_or_else(|| panic!("{log}"));
    for field in [
        "method=GET",
        "protocol=\"1.1\"",
        "status=200",
        "bytes=12",
        "ms=",
        "remote=127.0.0.1:",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
}
