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
    for path in [
        "/../secret.txt",
        "/video/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/..%5csecret.txt",
        "/escape.txt",
        "/%00secret.txt",
    ] {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
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
        assert!(!text.contains("secret"), "{path} leaked the file: {text}");
        let code = text.rsplit('\n').next().unwrap_or("");
        assert!(
            code == "403" || code == "404" || code == "400",
            "{path}: status {code}"
        );
    }
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
