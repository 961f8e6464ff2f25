//! `sendFile` from a JavaScript handler (`import { sendFile } from 'weir'`), with the
//! fixture tests/js/server/send_file.mjs: its options (root, absolute paths, maxAge,
//! cacheControl, contentType, headers, maxRanges, fallthrough), the headers a handler
//! set before the call, the status its promise resolves to, the errors it throws, and
//! that a root confines it. The fixture reports what each call resolved to on /stats.
//!

mod common;
#[path = "common/server.rs"]
mod server;
#[path = "common/vod.rs"]
mod vod;

use http_body_util::BodyExt;
use server::Server;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use vod::{assert_truncation_cuts, big_file, pattern, Client, Proto, Reply};

const CLIP_SIZE: usize = 700_001;
const INDEX: &[u8] = b"<!doctype html><title>app</title>\n";
const SECRET: &[u8] = b"secret outside the root\n";

struct App {
    dir: tempfile::TempDir,
    clip: Vec<u8>,
    srv: Server,
}

impl App {
    /// The fixture handler on one worker, serving a temporary root.
    fn start() -> App {
        App::start_with(&[])
    }

    /// The same, with more `weir serve` arguments.
    fn start_with(args: &[&str]) -> App {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let clip = pattern(CLIP_SIZE, 0xf11e);
        std::fs::create_dir_all(root.join("video")).unwrap();
        std::fs::create_dir_all(root.join("site")).unwrap();
        std::fs::write(root.join("video/clip.mp4"), &clip).unwrap();
        std::fs::write(root.join("index.html"), INDEX).unwrap();
        std::fs::write(root.join("site/index.html"), INDEX).unwrap();
        std::fs::write(dir.path().join("secret.txt"), SECRET).unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("escape.txt")).unwrap();
        let handler = common::js_dir().join("server/send_file.mjs");
        let mut argv = vec![handler.to_str().unwrap(), "--workers", "1"];
        argv.extend_from_slice(args);
        let srv = Server::start_with_env(&argv, &[("SEND_FILE_ROOT", root.to_str().unwrap())]);
        App { dir, clip, srv }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    async fn clients(&self) -> Vec<Client> {
        Client::both(&self.srv, "").await
    }

    async fn h1(&self) -> Client {
        Client::connect(&self.srv, Proto::H1, "").await
    }

    /// What each sendFile call resolved to (`{"status": n}`) or threw (`{"code": ...}`),
    /// by request URL.
    async fn stats(&self) -> serde_json::Value {
        let r = self.h1().await.get("/stats", &[]).await;
        r.status(200);
        serde_json::from_slice(r.body()).expect("JSON stats")
    }

    /// The status sendFile resolved to for `url`, waiting for it up to 10 s.
    async fn resolved(&self, url: &str) -> serde_json::Value {
        let start = Instant::now();
        loop {
            let stats = self.stats().await;
            if let Some(v) = stats.get(url) {
                return v.clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no result for {url}: {stats}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn json(r: &Reply) -> serde_json::Value {
    serde_json::from_slice(r.body()).unwrap_or_else(|e| panic!("{}: not JSON ({e})", r.what))
}

// ---------------------------------------------------------------------------
// Where the file is.

#[tokio::test]
async fn with_root_the_path_is_a_url_path_under_it() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/root/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4");
        c.get("/root/index.html?v=2#top", &[])
            .await
            .whole(INDEX, "text/html; charset=utf-8");
        // Percent-encoding is decoded.
        c.get("/root/video/%63lip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4");
    }
}

#[tokio::test]
async fn without_root_an_absolute_path_is_served_as_given() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/abs/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4");
        c.get("/abs/video/clip.mp4", &[("range", "bytes=-7")])
            .await
            .range(&app.clip, CLIP_SIZE - 7, CLIP_SIZE - 1, "video/mp4");
        c.get("/abs/nope.mp4", &[]).await.status(404);
    }
    assert_eq!(app.resolved("/abs/nope.mp4").await["status"], 404);
}

#[tokio::test]
async fn a_folder_with_its_slash_serves_its_index_html() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/root/site/", &[])
            .await
            .whole(INDEX, "text/html; charset=utf-8");
    }
}

#[tokio::test]
async fn without_fallthrough_a_missing_file_is_a_404_from_send_file() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/root/nope.mp4", &[])
            .await
            .status(404)
            .no_field("etag");
    }
    assert_eq!(app.resolved("/root/nope.mp4").await["status"], 404);
}

// ---------------------------------------------------------------------------
// Header fields.

#[tokio::test]
async fn max_age_becomes_a_public_cache_control() {
    let app = App::start();
    for mut c in app.clients().await {
        // maxAge: 3600.9, in whole seconds.
        c.get("/max-age/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4")
            .expect_field("cache-control", "public, max-age=3600");
        c.get("/max-age/video/clip.mp4", &[("range", "bytes=0-0")])
            .await
            .range(&app.clip, 0, 0, "video/mp4")
            .expect_field("cache-control", "public, max-age=3600");
    }
}

#[tokio::test]
async fn cache_control_is_sent_as_given_and_wins_over_max_age() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/cache-control/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4")
            .expect_field("cache-control", "no-store");
    }
}

#[tokio::test]
async fn content_type_replaces_the_type_of_the_extension() {
    let app = App::start();
    let t = "application/x-weir-test";
    for mut c in app.clients().await {
        c.get("/content-type/video/clip.mp4", &[])
            .await
            .whole(&app.clip, t);
        c.get("/content-type/video/clip.mp4", &[("range", "bytes=1-2")])
            .await
            .range(&app.clip, 1, 2, t);
        // In multipart/byteranges it is the type of each part.
        let r = c
            .get("/content-type/video/clip.mp4", &[("range", "bytes=1-2,-2")])
            .await;
        assert_eq!(
            r.multipart(&app.clip, t),
            [(1, 2), (CLIP_SIZE - 2, CLIP_SIZE - 1)]
        );
    }
}

#[tokio::test]
async fn extra_headers_are_added_and_replace_weirs_own() {
    let app = App::start();
    for mut c in app.clients().await {
        let r = c.get("/extra-headers/video/clip.mp4", &[]).await;
        r.whole(&app.clip, "video/mp4")
            .expect_field("x-extra", "yes")
            .expect_field("cache-control", "private, max-age=5");
        let list: Vec<_> = r
            .headers
            .get_all("x-list")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(list, ["a", "b"], "{}", r.what);
        // A 304 carries them too.
        let etag = c.etag("/extra-headers/video/clip.mp4").await;
        c.get("/extra-headers/video/clip.mp4", &[("if-none-match", &etag)])
            .await
            .status(304)
            .expect_field("x-extra", "yes")
            .expect_field("cache-control", "private, max-age=5");
    }
}

#[tokio::test]
async fn headers_set_on_res_before_the_call_are_sent_with_the_file() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/set-header/video/clip.mp4", &[("range", "bytes=10-19")])
            .await
            .range(&app.clip, 10, 19, "video/mp4")
            .expect_field("x-from-handler", "kept")
            .expect_field("cache-control", "no-cache")
            .expect_field("content-language", "en");
    }
}

#[tokio::test]
async fn options_win_over_headers_set_on_res() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/set-header-overridden/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4")
            .expect_field("cache-control", "public, max-age=60")
            .expect_field("x-both", "options");
    }
}

#[tokio::test]
async fn a_content_type_set_on_res_is_the_type_of_the_file() {
    let app = App::start();
    let t = "text/x-from-handler";
    for mut c in app.clients().await {
        c.get("/set-content-type/video/clip.mp4", &[])
            .await
            .whole(&app.clip, t);
        c.get(
            "/set-content-type/video/clip.mp4",
            &[("range", "bytes=5-9")],
        )
        .await
        .range(&app.clip, 5, 9, t);
    }
}

/// Reproduction of a bug: the handler's Content-Type replaces the response's
/// `multipart/byteranges; boundary=...`, so the client cannot find the parts.
#[tokio::test]
async fn a_content_type_set_on_res_keeps_multipart_byteranges() {
    let app = App::start();
    for mut c in app.clients().await {
        let r = c
            .get(
                "/set-content-type/video/clip.mp4",
                &[("range", "bytes=0-9,100-109")],
            )
            .await;
        assert_eq!(
            r.multipart(&app.clip, "text/x-from-handler"),
            [(0, 9), (100, 109)]
        );
    }
}

/// Reproduction of a bug: a Content-Length set before sendFile replaces the length of
/// the body weir sends, so an HTTP/1.1 client takes a short body for the whole answer
/// (and the rest of the file for the next response on the connection).
#[tokio::test]
async fn a_content_length_set_on_res_does_not_change_the_framing() {
    let app = App::start();
    for mut c in app.clients().await {
        let r = c.get("/set-content-length/video/clip.mp4", &[]).await;
        r.whole(&app.clip, "video/mp4");
        c.get("/root/index.html", &[])
            .await
            .whole(INDEX, "text/html; charset=utf-8");
    }
}

/// `res.sendDate = false` leaves `Date` out of a file response too (it is there
/// otherwise), on every protocol the clients speak.
#[tokio::test]
async fn send_date_false_leaves_the_date_out() {
    let app = App::start();
    for mut c in app.clients().await {
        let r = c.get("/no-date/video/clip.mp4", &[]).await;
        r.whole(&app.clip, "video/mp4");
        assert_eq!(r.field("date"), None);
        let r = c.get("/root/video/clip.mp4", &[]).await;
        assert!(r.field("date").is_some());
        // What sendFile was told does not outlive it.
        let r = c.get("/no-date-fallthrough/missing.mp4", &[]).await;
        assert_eq!(r.status, 200);
        assert!(r.field("date").is_some());
    }
}

// ---------------------------------------------------------------------------
// Ranges and conditions.

/// The two ways a plain HTTP/1.1 body goes out (`sendfile(2)`, or reads into buffers)
/// and the two read paths, as the matrix of tests/vod_ranges.rs pairs them.
const MODES: [[&str; 4]; 2] = [
    ["--io", "uring", "--sendfile", "true"],
    ["--io", "threads", "--sendfile", "false"],
];

#[tokio::test]
async fn ranges_and_conditions_work_through_send_file() {
    for mode in MODES {
        let app = App::start_with(&mode);
        ranges_and_conditions(&app, &mode.join(" ")).await;
    }
}

async fn ranges_and_conditions(app: &App, mode: &str) {
    let path = "/root/video/clip.mp4";
    for mut c in Client::both(&app.srv, mode).await {
        c.get(path, &[("range", "bytes=100-199")])
            .await
            .range(&app.clip, 100, 199, "video/mp4");
        c.get(path, &[("range", "bytes=-50")]).await.range(
            &app.clip,
            CLIP_SIZE - 50,
            CLIP_SIZE - 1,
            "video/mp4",
        );
        c.get(path, &[("range", "bytes=600000-")]).await.range(
            &app.clip,
            600_000,
            CLIP_SIZE - 1,
            "video/mp4",
        );
        let r = c
            .get(path, &[("range", "bytes=0-0,300000-400000,-1")])
            .await;
        assert_eq!(
            r.multipart(&app.clip, "video/mp4"),
            [(0, 0), (300_000, 400_000), (CLIP_SIZE - 1, CLIP_SIZE - 1)]
        );
        c.get(path, &[("range", "bytes=9999999-")])
            .await
            .unsatisfiable(CLIP_SIZE);
        let etag = c.etag(path).await;
        c.get(path, &[("if-none-match", &etag)])
            .await
            .status(304)
            .expect_field("etag", &etag);
        c.get(path, &[("if-match", "\"other\"")]).await.status(412);
        c.get(path, &[("range", "bytes=0-9"), ("if-range", &etag)])
            .await
            .range(&app.clip, 0, 9, "video/mp4");
        c.get(
            path,
            &[("range", "bytes=0-9"), ("if-range", &format!("W/{etag}"))],
        )
        .await
        .whole(&app.clip, "video/mp4");
        let head = c.head(path, &[("range", "bytes=0-9")]).await;
        head.status(206)
            .expect_field("content-range", &format!("bytes 0-9/{CLIP_SIZE}"))
            .expect_body(b"");
    }
}

#[tokio::test]
async fn a_file_truncated_while_send_file_sends_it_cuts_the_response() {
    let big = big_file();
    for mode in MODES {
        let app = App::start_with(&mode);
        let path = app.root().join("big.bin");
        for mut c in Client::both(&app.srv, &mode.join(" ")).await {
            let url = format!("/root/big.bin?{:?}", c.proto);
            assert_truncation_cuts(&mut c, &url, &path, &big).await;
            // The handler heard of it: the promise resolved to 0, as for a client gone.
            assert_eq!(
                app.resolved(&url).await,
                serde_json::json!({ "status": 0 }),
                "{c}"
            );
        }
        // And the worker serves on.
        let mut c = app.h1().await;
        c.get("/root/video/clip.mp4", &[("range", "bytes=0-9")])
            .await
            .range(&app.clip, 0, 9, "video/mp4");
    }
}

#[tokio::test]
async fn max_ranges_limits_the_ranges_of_one_request() {
    let app = App::start();
    for mut c in app.clients().await {
        let one = "/max-ranges-1/video/clip.mp4";
        c.get(one, &[("range", "bytes=0-9")])
            .await
            .range(&app.clip, 0, 9, "video/mp4");
        c.get(one, &[("range", "bytes=0-9,20-29")])
            .await
            .whole(&app.clip, "video/mp4");
        // 0 turns ranges off.
        c.get("/max-ranges-0/video/clip.mp4", &[("range", "bytes=0-9")])
            .await
            .whole(&app.clip, "video/mp4");
    }
}

// ---------------------------------------------------------------------------
// What the promise resolves to.

#[tokio::test]
async fn the_promise_resolves_to_the_status_sent() {
    let app = App::start();
    let mut c = app.h1().await;
    let etag = c.etag("/root/video/clip.mp4").await;
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);
    let cases: [Case; 9] = [
        ("/root/video/clip.mp4?1", vec![], 200),
        ("/root/video/clip.mp4?2", vec![("range", "bytes=0-9")], 206),
        (
            "/root/video/clip.mp4?3",
            vec![("range", "bytes=0-9,20-29")],
            206,
        ),
        (
            "/root/video/clip.mp4?4",
            vec![("if-none-match", &etag)],
            304,
        ),
        ("/root/video/clip.mp4?5", vec![("if-match", "\"x\"")], 412),
        (
            "/root/video/clip.mp4?6",
            vec![("range", "bytes=9999999-")],
            416,
        ),
        ("/root/missing.mp4", vec![], 404),
        ("/root/../secret.txt", vec![], 403),
        ("/root/site", vec![], 301),
    ];
    for (url, fields, status) in &cases {
        c.get(url, fields).await.status(*status);
    }
    c.head("/root/video/clip.mp4?head", &[]).await.status(200);
    let stats = app.stats().await;
    for (url, _, status) in &cases {
        assert_eq!(stats[url]["status"], *status, "{url}: {stats}");
    }
    assert_eq!(stats["/root/video/clip.mp4?head"]["status"], 200, "{stats}");
}

#[tokio::test]
async fn the_promise_resolves_to_0_when_the_client_goes_away() {
    let app = App::start();
    // Far more than the socket buffers hold, so the send is mid-file when the client
    // leaves.
    std::fs::write(app.root().join("big.bin"), vec![7u8; 48 << 20]).unwrap();
    for proto in [Proto::H1, Proto::H2] {
        let url = format!("/root/big.bin?{proto:?}");
        let mut c = Client::connect(&app.srv, proto, "").await;
        let resp = c
            .send_request(c.request(http::Method::GET, &url, &[]))
            .await;
        assert_eq!(resp.status(), 200);
        let mut body = resp.into_body();
        let first = body.frame().await.expect("a first frame").expect("data");
        assert!(!first.data_ref().unwrap().is_empty());
        drop(body);
        drop(c);
        assert_eq!(app.resolved(&url).await["status"], 0, "{proto:?}");
    }
}

// ---------------------------------------------------------------------------
// Fallthrough.

#[tokio::test]
async fn fallthrough_lets_the_handler_answer_a_missing_file_itself() {
    let app = App::start();
    for mut c in app.clients().await {
        let r = c.get("/own-404/video/nope.mp4", &[]).await;
        r.status(404)
            .expect_field("content-type", "application/json")
            .no_field("etag");
        let v = json(&r);
        assert_eq!(v["code"], "ENOENT", "{v}");
        assert_eq!(v["status"], 404, "{v}");
        // A file that exists is sent as usual.
        c.get("/own-404/video/clip.mp4", &[("range", "bytes=3-4")])
            .await
            .range(&app.clip, 3, 4, "video/mp4");
    }
}

#[tokio::test]
async fn fallthrough_lets_a_single_page_app_fall_back_to_index_html() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/spa/users/42/settings", &[])
            .await
            .whole(INDEX, "text/html; charset=utf-8")
            .expect_field("x-fallback", "index.html");
        c.get("/spa/video/clip.mp4", &[])
            .await
            .whole(&app.clip, "video/mp4")
            .no_field("x-fallback");
    }
    // The handler sees the status of the second call.
    assert_eq!(app.resolved("/spa/users/42/settings").await["status"], 200);
}

// ---------------------------------------------------------------------------
// Misuse.

#[tokio::test]
async fn argument_errors_throw_with_node_codes_before_anything_is_sent() {
    let app = App::start();
    let mut c = app.h1().await;
    for (case, code, names) in [
        ("relative", "ERR_INVALID_ARG_VALUE", "path"),
        ("path-type", "ERR_INVALID_ARG_TYPE", "path"),
        ("options-type", "ERR_INVALID_ARG_TYPE", "options"),
        ("root-type", "ERR_INVALID_ARG_TYPE", "options.root"),
        ("max-age", "ERR_INVALID_ARG_VALUE", "options.maxAge"),
        ("max-age-nan", "ERR_INVALID_ARG_VALUE", "options.maxAge"),
        ("max-ranges", "ERR_INVALID_ARG_VALUE", "options.maxRanges"),
        ("not-a-request", "ERR_INVALID_ARG_TYPE", "req"),
        ("not-its-response", "ERR_INVALID_ARG_VALUE", "res"),
    ] {
        // The handler catches the error and answers 500 with it: sendFile sent nothing.
        let r = c.get(&format!("/errors/{case}"), &[]).await;
        r.status(500)
            .expect_field("content-type", "application/json");
        let v = json(&r);
        assert_eq!(v["code"], code, "{case}: {v}");
        assert_eq!(v["name"], "TypeError", "{case}: {v}");
        let message = v["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("'{names}'")) || message.contains(&format!("\"{names}\"")),
            "{case}: {message}"
        );
    }
}

#[tokio::test]
async fn send_file_after_res_write_throws_err_http_headers_sent() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/after-write/video/clip.mp4", &[])
            .await
            .status(200)
            .no_field("etag")
            .expect_body(b"partial\nERR_HTTP_HEADERS_SENT\n");
    }
}

#[tokio::test]
async fn a_second_send_file_on_the_same_response_throws_err_http_headers_sent() {
    let app = App::start();
    let mut c = app.h1().await;
    c.get("/twice/video/clip.mp4", &[])
        .await
        .whole(&app.clip, "video/mp4");
    assert_eq!(app.resolved("/twice/video/clip.mp4").await["status"], 200);
    assert_eq!(
        app.resolved("/twice/video/clip.mp4#second").await["code"],
        "ERR_HTTP_HEADERS_SENT"
    );
}

// ---------------------------------------------------------------------------
// Confinement.

#[tokio::test]
async fn traversal_through_send_file_with_root_is_refused() {
    let app = App::start();
    let attempts = [
        "/root/../secret.txt",
        "/root/video/../../secret.txt",
        "/root/%2e%2e/secret.txt",
        "/root/%2E%2E/secret.txt",
        "/root/%2e%2e%2fsecret.txt",
        "/root/..%2fsecret.txt",
        "/root/%252e%252e/secret.txt",
        "/root/..%5csecret.txt",
        "/root/%00secret.txt",
        "/root/escape.txt",
        "/root//../secret.txt",
    ];
    for mut c in app.clients().await {
        for path in attempts {
            let r = c.get(path, &[]).await;
            assert!(
                [400, 403, 404].contains(&r.status),
                "{}: status {}",
                r.what,
                r.status
            );
            let body = r.body();
            assert!(
                !body.windows(6).any(|w| w == b"secret"),
                "{}: the file outside the root leaked",
                r.what
            );
        }
    }
    let stats = app.stats().await;
    for path in attempts {
        let status = &stats[path]["status"];
        assert!(
            status == 403 || status == 404,
            "{path}: sendFile resolved to {status}"
        );
    }
}

/// Reproduction of a bug: the Location of the redirect is built from the path given to
/// sendFile, not from the request's URL, so a handler that serves a folder under a
/// prefix sends clients out of it (`/root/site` -> `/site/`).
#[tokio::test]
async fn a_folder_redirect_through_send_file_keeps_the_request_url() {
    let app = App::start();
    for mut c in app.clients().await {
        c.get("/root/site", &[])
            .await
            .status(301)
            .expect_field("location", "/root/site/");
    }
}
