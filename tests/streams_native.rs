//! Native streams end to end: `req` is a Readable over the request body and `res` a
//! Writable over the response body, both backed by Rust; `pipeline(req, res)` moves
//! the bytes in Rust with no JavaScript per chunk; backpressure from a slow reader
//! reaches the uploading client; an abort on either side destroys both.

mod common;
#[path = "common/server.rs"]
mod server;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper_util::rt::TokioIo;
use server::{fetch, get, h1, h2c, handler_path, sha256, Server};
use std::time::Duration;

async fn stats(addr: std::net::SocketAddr) -> serde_json::Value {
    let mut c = h1(addr).await;
    let (_, _, body) = fetch(&mut c, get("/stats")).await;
    serde_json::from_slice(&body.unwrap()).unwrap()
}

#[tokio::test]
async fn a_native_pipe_moves_the_body_without_javascript_seeing_a_chunk() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let data: Vec<u8> = (0..4_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let mut c = h1(srv.addr).await;
    let req = hyper::Request::post("/echo")
        .header("host", "x")
        .body(Full::new(Bytes::from(data.clone())))
        .unwrap();
    let (_, _, body) = fetch(&mut c, req).await;
    assert_eq!(sha256(&body.unwrap()), sha256(&data));
    let mut c2 = h2c(srv.addr).await;
    let req = hyper::Request::post("http://x/echo")
        .body(Full::new(Bytes::from(data.clone())))
        .unwrap();
    let (_, _, body) = fetch(&mut c2, req).await;
    assert_eq!(sha256(&body.unwrap()), sha256(&data));
    // The same through a PassThrough: JavaScript sees the chunks (the counter works).
    let req = hyper::Request::post("/echo-js")
        .header("host", "x")
        .body(Full::new(Bytes::from(data.clone())))
        .unwrap();
    let (_, _, body) = fetch(&mut c, req).await;
    assert_eq!(sha256(&body.unwrap()), sha256(&data));
    let s = stats(srv.addr).await;
    let counts: Vec<u64> = s["echoJsChunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(counts[0], 0, "HTTP/1.1 native pipe: JS saw chunks ({s})");
    assert_eq!(counts[1], 0, "HTTP/2 native pipe: JS saw chunks ({s})");
    assert!(counts[2] > 0, "the JS pipe must see chunks ({s})");
    assert_eq!(s["echoFinished"], serde_json::json!([true, true]), "{s}");
}

type ChunkTx =
    tokio::sync::mpsc::Sender<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>;

fn streaming_body() -> (ChunkTx, StreamBody<tokio_stream_shim::Receiver>) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    (tx, StreamBody::new(tokio_stream_shim::Receiver(rx)))
}

/// A tiny `Stream` over a tokio receiver (no extra dependency).
mod tokio_stream_shim {
    use bytes::Bytes;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    pub struct Receiver(
        pub tokio::sync::mpsc::Receiver<Result<hyper::body::Frame<Bytes>, std::convert::Infallible>>,
    );
    impl futures::Stream for Receiver {
        type Item = Result<hyper::body::Frame<Bytes>, std::convert::Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.0.poll_recv(cx)
        }
    }
}

#[tokio::test]
async fn a_slow_reader_holds_back_the_uploader_and_memory_stays_flat_while_1_gib_flows() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let before = srv.rss_kib();
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let (tx, body) = streaming_body();
    let total: u64 = 1 << 30;
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sent2 = sent.clone();
    tokio::spawn(async move {
        let chunk = Bytes::from(vec![7u8; 256 * 1024]);
        let mut n = 0u64;
        while n < total {
            if tx
                .send(Ok(hyper::body::Frame::data(chunk.clone())))
                .await
                .is_err()
            {
                return;
            }
            n += chunk.len() as u64;
            sent2.store(n, std::sync::atomic::Ordering::SeqCst);
        }
    });
    let req = hyper::Request::post("/echo")
        .header("host", "x")
        .header("content-length", total.to_string())
        .body(body)
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let mut resp_body = resp.into_body();
    // Read 8 MiB, then stop reading: the upload must stall far short of 1 GiB.
    let mut got = 0u64;
    while got < 8 << 20 {
        got += resp_body
            .frame()
            .await
            .unwrap()
            .unwrap()
            .into_data()
            .map(|d| d.len() as u64)
            .unwrap_or(0);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let uploaded_while_stalled = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        uploaded_while_stalled < 256 << 20,
        "the uploader was not held back: {uploaded_while_stalled} bytes sent while the reader had taken {got}"
    );
    let stalled_rss = srv.rss_kib();
    assert!(
        stalled_rss < before + 64 * 1024,
        "RSS {before} KiB -> {stalled_rss} KiB while stalled"
    );
    // Resume reading: all of it arrives.
    while let Some(frame) = resp_body.frame().await {
        got += frame
            .unwrap()
            .into_data()
            .map(|d| d.len() as u64)
            .unwrap_or(0);
    }
    assert_eq!(got, total);
    let after = srv.rss_kib();
    assert!(
        after < before + 64 * 1024,
        "RSS {before} KiB -> {after} KiB after 1 GiB through the pipe"
    );
    let s = stats(srv.addr).await;
    assert_eq!(s["echoJsChunks"][0], 0, "{s}");
}

#[tokio::test]
async fn an_upload_cut_short_cuts_the_response_too() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn_task = tokio::spawn(conn);
    let (tx, body) = streaming_body();
    let req = hyper::Request::post("/echo")
        .header("host", "x")
        .header("content-length", "10000000")
        .body(body)
        .unwrap();
    let pending = tokio::spawn(async move { send.send_request(req).await.map(|r| r.into_body()) });
    for _ in 0..4 {
        tx.send(Ok(hyper::body::Frame::data(Bytes::from(vec![
            1u8;
            100_000
        ]))))
        .await
        .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The client goes away with the upload incomplete.
    conn_task.abort();
    drop(tx);
    let _ = pending.await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = stats(srv.addr).await;
    assert_eq!(
        s["echoErrors"], 1,
        "the pipeline must end with an error: {s}"
    );
    assert!(s["aborted"].as_u64().unwrap() >= 1, "{s}");
}

#[tokio::test]
async fn a_reader_that_leaves_stops_the_pipe_and_both_streams_close() {
    let srv = Server::start(&[&handler_path(), "--workers", "1"]);
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    let conn_task = tokio::spawn(conn);
    let (tx, body) = streaming_body();
    let feeder = tokio::spawn(async move {
        let chunk = Bytes::from(vec![3u8; 64 * 1024]);
        let mut n = 0u64;
        while n < 64 << 20
            && tx
                .send(Ok(hyper::body::Frame::data(chunk.clone())))
                .await
                .is_ok()
        {
            n += chunk.len() as u64;
        }
        n
    });
    let req = hyper::Request::post("/echo")
        .header("host", "x")
        .header("content-length", (64u64 << 20).to_string())
        .body(body)
        .unwrap();
    let resp = send.send_request(req).await.unwrap();
    let mut resp_body = resp.into_body();
    let _ = resp_body.frame().await;
    // The reader goes away (the connection closes) in the middle of the echo.
    conn_task.abort();
    drop(resp_body);
    let sent = tokio::time::timeout(Duration::from_secs(10), feeder)
        .await
        .expect("the upload must stop")
        .unwrap();
    assert!(
        sent < 64 << 20,
        "the whole upload went through after the reader left"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let s = stats(srv.addr).await;
    assert_eq!(s["echoErrors"], 1, "the pipeline ends with an error: {s}");
    assert!(
        s["aborted"].as_u64().unwrap() >= 1,
        "res emits 'close' unfinished: {s}"
    );
}
