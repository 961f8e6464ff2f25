//! The built-in handler: `weir serve` without a handler file serves the files under
//! --root (GET and HEAD, Content-Length and media Content-Type, 404, and never a
//! file outside the root).

mod common;
#[path = "common/server.rs"]
mod server;

use server::{fetch, get, h1, sha256, Server};

fn root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("video")).unwrap();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 249) as u8).collect();
    std::fs::write(root.join("video/clip.mp4"), &data).unwrap();
    std::fs::write(root.join("live.m3u8"), "#EXTM3U\n").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("escape.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path(), root.join("outside")).unwrap();
    dir
}

#[tokio::test]
async fn files_are_served_with_length_and_media_type() {
    let dir = root();
    let r = dir.path().join("root");
    let srv = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, headers, body) = fetch(&mut c, get("/video/clip.mp4")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "video/mp4");
    assert_eq!(headers["content-length"], "3000000");
    assert_eq!(
        sha256(&body.unwrap()),
        sha256(&std::fs::read(r.join("video/clip.mp4")).unwrap())
    );
    let (_, headers, _) = fetch(&mut c, get("/live.m3u8")).await;
    assert_eq!(headers["content-type"], "application/vnd.apple.mpegurl");
}

#[tokio::test]
async fn head_has_the_length_and_no_body() {
    let dir = root();
    let r = dir.path().join("root");
    let srv = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let req = hyper::Request::head("/video/clip.mp4")
        .header("host", "x")
        .body(server::empty())
        .unwrap();
    let (status, headers, body) = fetch(&mut c, req).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-length"], "3000000");
    assert!(body.unwrap().is_empty());
}

#[tokio::test]
async fn missing_files_are_404_and_other_methods_405() {
    let dir = root();
    let r = dir.path().join("root");
    let srv = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    let mut c = h1(srv.addr).await;
    let (status, _, _) = fetch(&mut c, get("/nope.mp4")).await;
    assert_eq!(status, 404);
    let req = hyper::Request::post("/live.m3u8")
        .header("host", "x")
        .body(server::empty())
        .unwrap();
    let (status, headers, _) = fetch(&mut c, req).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "GET, HEAD");
}

#[test]
fn no_file_outside_the_root_is_ever_served() {
    let dir = root();
    let r = dir.path().join("root");
    let srv = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    // The secret's absolute path, for targets that name it from the file system's root.
    let abs = dir.path().join("secret.txt");
    let abs = abs.to_str().unwrap();
    let absolute = [
        format!("/{abs}"),
        format!("/%2f{}", &abs[1..]),
        format!("/%2F{}", abs[1..].replace('/', "%2F")),
        format!("/..{abs}"),
    ];
    let mut corpus: Vec<String> = [
        "/../secret.txt",
        "/video/../../secret.txt",
        "//../secret.txt",
        "/./../secret.txt",
        "/%2e%2e/secret.txt",
        "/.%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/video/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/%c0%ae%c0%ae/secret.txt",
        "/..%5csecret.txt",
        "/%2e%2e%5csecret.txt",
        "/..\\secret.txt",
        "/video\\..\\..\\secret.txt",
        "/escape.txt",
        "/outside/secret.txt",
        "/%00secret.txt",
        "/live.m3u8%00/../../secret.txt",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    corpus.extend(absolute);
    for proto in ["--http1.1", "--http2-prior-knowledge"] {
        for path in &corpus {
            let out = std::process::Command::new("curl")
                .args([
                    "-s",
                    proto,
                    "--path-as-is",
                    "-o",
                    "-",
                    "-w",
                    "\n%{http_code}",
                    &format!("http://{}{}", srv.addr, path),
                ])
                .output()
                .expect("curl must be installed");
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                !text.contains("secret"),
                "{proto} {path} leaked the file: {text}"
            );
            let code = text.rsplit('\n').next().unwrap_or("");
            assert!(
                code == "403" || code == "404" || code == "400",
                "{proto} {path}: status {code}"
            );
        }
    }
    // The corpus was refused by a server that serves: the file under the root is there.
    let out = std::process::Command::new("curl")
        .args(["-s", &format!("http://{}/live.m3u8", srv.addr)])
        .output()
        .unwrap();
    assert_eq!(out.stdout, b"#EXTM3U\n");
}

#[test]
fn an_absolute_form_target_is_served_by_its_path() {
    let dir = root();
    let r = dir.path().join("root");
    let srv = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    // `curl -x` asks weir as a proxy: `GET http://example.test/live.m3u8 HTTP/1.1`.
    let proxy = format!("http://{}", srv.addr);
    for (url, ok) in [
        ("http://example.test/live.m3u8", true),
        ("http://example.test:8080/live.m3u8?x=1", true),
        ("http://example.test/../secret.txt", false),
        ("http://example.test/%2e%2e/secret.txt", false),
        ("http://example.test", false),
    ] {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "--path-as-is",
                "-x",
                &proxy,
                "-o",
                "-",
                "-w",
                "\n%{http_code}",
                url,
            ])
            .output()
            .expect("curl must be installed");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let code = text.rsplit('\n').next().unwrap_or("");
        if ok {
            assert_eq!(code, "200", "{url}: {text}");
            assert!(text.starts_with("#EXTM3U\n"), "{url}: {text}");
        } else {
            assert!(!text.contains("secret"), "{url} leaked the file: {text}");
            assert!(
                code == "403" || code == "404" || code == "400",
                "{url}: status {code}"
            );
        }
    }
    // No path and a query that looks like one (curl would add the `/`): the root, not
    // a redirect to `//?...` and not the file.
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(srv.addr).unwrap();
    c.write_all(
        b"GET http://example.test?x=/live.m3u8 HTTP/1.1\r\nHost: example.test\r\n\
          Connection: close\r\n\r\n",
    )
    .unwrap();
    let mut reply = String::new();
    c.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 404"), "{reply}");
}

#[tokio::test]
async fn cache_control_is_added_to_file_answers() {
    let dir = root();
    let r = dir.path().join("root");
    let cc = "public, max-age=3600";
    let srv = Server::start(&[
        "--root",
        r.to_str().unwrap(),
        "--workers",
        "1",
        "--cache-control",
        cc,
    ]);
    let mut c = h1(srv.addr).await;
    let (status, headers, _) = fetch(&mut c, get("/live.m3u8")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], cc);
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let req = hyper::Request::get("/video/clip.mp4")
        .header("host", "x")
        .header("range", "bytes=0-9")
        .body(server::empty())
        .unwrap();
    let (status, headers, _) = fetch(&mut c, req).await;
    assert_eq!(status, 206);
    assert_eq!(headers["cache-control"], cc);
    let req = hyper::Request::get("/live.m3u8")
        .header("host", "x")
        .header("if-none-match", &etag)
        .body(server::empty())
        .unwrap();
    let (status, headers, _) = fetch(&mut c, req).await;
    assert_eq!(status, 304);
    assert_eq!(headers["cache-control"], cc);
    // Not on answers that are no file: a 404 is not to be cached for an hour.
    let (status, headers, _) = fetch(&mut c, get("/nope.mp4")).await;
    assert_eq!(status, 404);
    assert!(headers.get("cache-control").is_none(), "{headers:?}");
    // And none without the flag.
    let plain = Server::start(&["--root", r.to_str().unwrap(), "--workers", "1"]);
    let (_, headers, _) = fetch(&mut h1(plain.addr).await, get("/live.m3u8")).await;
    assert!(headers.get("cache-control").is_none(), "{headers:?}");
}

#[test]
fn cache_control_is_refused_with_a_handler_or_a_value_no_field_can_hold() {
    let dir = root();
    let handler = dir.path().join("h.mjs");
    std::fs::write(&handler, "export default (req, res) => res.end('x');\n").unwrap();
    let r = dir.path().join("root");
    for (args, says) in [
        (
            vec![handler.to_str().unwrap(), "--cache-control", "no-store"],
            "cannot be used with",
        ),
        (
            vec![
                "--root",
                r.to_str().unwrap(),
                "--cache-control",
                "max-age=1\nx: y",
            ],
            "not a header field value",
        ),
        (
            vec!["--root", r.to_str().unwrap(), "--cache-control", ""],
            "not a header field value",
        ),
    ] {
        let out = common::weir()
            .arg("serve")
            .args(&args)
            .args(["--listen", "127.0.0.1:0"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

/// A download the client leaves is logged with the bytes that reached the socket,
/// not the file's size, whether they went out with `sendfile` or through buffers.
#[tokio::test]
async fn a_download_cut_short_is_logged_with_the_bytes_sent() {
    use http_body_util::BodyExt;
    let dir = tempfile::tempdir().unwrap();
    let size: usize = 64 << 20;
    std::fs::write(dir.path().join("big.bin"), vec![0x5au8; size]).unwrap();
    for sendfile in ["true", "false"] {
        let srv = Server::start(&[
            "--root",
            dir.path().to_str().unwrap(),
            "--workers",
            "1",
            "--sendfile",
            sendfile,
        ]);
        let mut c = h1(srv.addr).await;
        let resp = server::SendLike::send(&mut c, get("/big.bin"))
            .await
            .unwrap();
        let mut body = resp.into_body();
        let mut got = 0;
        while got < 1 << 20 {
            got += body
                .frame()
                .await
                .unwrap()
                .unwrap()
                .into_data()
                .unwrap()
                .len();
        }
        drop(body);
        drop(c);
        let logged = |log: &str| {
            log.lines()
                .find(|l| l.contains("path=/big.bin"))
                .and_then(|l| l.split("bytes=").nth(1))
                .and_then(|v| v.split(' ').next())
                .and_then(|v| v.parse::<usize>().ok())
        };
        // (The connection closes in its own task, which must get to run.)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while logged(&srv.log()).is_none() {
            assert!(
                std::time::Instant::now() < deadline,
                "--sendfile {sendfile}: no access-log line:\n{}",
                srv.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let bytes = logged(&srv.log()).unwrap();
        // What the client read, and at most what socket buffers and the response's
        // own buffer held besides.
        assert!(
            bytes >= got && bytes < size / 2,
            "--sendfile {sendfile}: bytes={bytes} logged, {got} read, of {size}"
        );
        assert!(srv.log().contains("completed=false"), "{}", srv.log());
    }
}
