//! fs.createReadStream: the same events, ranges and errors as Node (golden output), and
//! in a server, `pipeline(fs.createReadStream(p), res)` as a native pipe.

mod common;
#[path = "common/server.rs"]
mod server;

#[path = "common/vod.rs"]
mod vod;

use server::{fetch, get, h1, sha256, Server};

#[test]
fn read_streams_behave_as_in_node() {
    common::assert_golden("run/fs_read_stream.mjs");
}

fn handler() -> String {
    common::js_dir()
        .join("server/fs_stream.mjs")
        .display()
        .to_string()
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

#[tokio::test]
async fn a_file_piped_into_a_response_moves_in_rust_under_both_io_modes() {
    let dir = tempfile::tempdir().unwrap();
    let data = pattern(48 << 20);
    let path = dir.path().join("big.bin");
    std::fs::write(&path, &data).unwrap();
    let path = path.display().to_string();
    for io in ["uring", "threads"] {
        let srv = Server::start(&[&handler(), "--workers", "1", "--io", io]);
        let mut c = h1(srv.addr).await;
        let (status, _, body) = fetch(&mut c, get(&format!("/native?file={path}"))).await;
        assert_eq!(status, 200, "{io}");
        assert_eq!(sha256(&body.unwrap()), sha256(&data), "{io}");
        let (status, _, body) = fetch(&mut c, get(&format!("/through-js?file={path}"))).await;
        assert_eq!(status, 200, "{io}");
        assert_eq!(sha256(&body.unwrap()), sha256(&data), "{io}");
        let (status, _, body) = fetch(
            &mut c,
            get(&format!("/range?file={path}&start=1000&end=1999")),
        )
        .await;
        assert_eq!(status, 200, "{io}");
        assert_eq!(&body.unwrap()[..], &data[1000..2000], "{io}");
        let (_, _, body) = fetch(&mut c, get("/stats")).await;
        let stats: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
        assert_eq!(
            stats["jsChunks"], 0,
            "{io}: the native pipe passed chunks through JavaScript: {stats}"
        );
        assert_eq!(stats["errors"], serde_json::json!([]), "{io}");
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_opened_gets_a_500_not_a_cut_200() {
    let srv = Server::start(&[&handler(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("/native?file=/no/such/file")).await;
    assert_eq!(status, 500);
    let (_, _, body) = fetch(&mut h1(srv.addr).await, get("/stats")).await;
    let stats: serde_json::Value = serde_json::from_slice(&body.unwrap()).unwrap();
    assert_eq!(stats["errors"], serde_json::json!(["ENOENT"]));
}

/// A handler that said the file's length and pipes the file: when the file shrinks
/// under the pipe, the response is cut (connection closed, stream reset), never ended
/// short as if whole, over HTTP/1.1 and h2c and with both read paths.
#[tokio::test]
async fn a_file_truncated_under_a_native_pipe_cuts_the_response() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let url = format!("/native-length?file={}", path.display());
    let big = vod::big_file();
    for io in ["uring", "threads"] {
        let srv = Server::start(&[&handler(), "--workers", "1", "--io", io]);
        for mut c in vod::Client::both(&srv, &format!("--io {io}")).await {
            vod::assert_truncation_cuts(&mut c, &url, &path, &big).await;
        }
        let mut c = h1(srv.addr).await;
        let (status, _, _) = fetch(&mut c, get("/stats")).await;
        assert_eq!(status, 200, "{io}: the worker serves on");
    }
}
