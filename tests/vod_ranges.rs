//! Byte ranges and conditional requests on files, end to end: each rule of the response
//! planner (`media::range`, `media::conditional`) as a client sees it from the built-in
//! file handler. Every rule runs on the four combinations of file-read path
//! (`--io uring`, `--io threads`) and protocol (HTTP/1.1, h2c), and every body is
//! compared byte for byte with the file it came from. HTTP/1.1 bodies go out with
//! `sendfile(2)` from the `uring` server (the default) and are read into buffers and
//! written by the `threads` one (`--sendfile false`, the path of HTTP/1.1 over TLS), so
//! both ways of sending a plain-TCP HTTP/1.1 body meet every rule.
//!
//! The files are generated in a temporary root with fixed modification times, so the
//! validators are known: a pseudo-random file of several read buffers, an empty file,
//! a one-byte file and a folder with an index.html.

mod common;
#[path = "common/server.rs"]
mod server;
#[path = "common/vod.rs"]
mod vod;

use server::Server;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use vod::{assert_truncation_cuts, big_file, pattern, Client, Proto};

/// The main test file: several 256 KiB read buffers long, and an odd size.
const CLIP: &str = "/video/clip.mp4";
const CLIP_SIZE: usize = 1_234_567;
const EMPTY: &str = "/empty.bin";
const ONE: &str = "/one.bin";
/// The one byte of `ONE`.
const ONE_BYTE: u8 = 0xa5;
/// Every file's modification time: 2024-01-02 03:04:05.5 UTC.
const MTIME_SECS: u64 = 1_704_164_645;
const LAST_MODIFIED: &str = "Tue, 02 Jan 2024 03:04:05 GMT";
const BEFORE: &str = "Tue, 02 Jan 2024 03:04:04 GMT";
const AFTER: &str = "Wed, 03 Jan 2024 00:00:00 GMT";

// ---------------------------------------------------------------------------
// Files.

fn mtime() -> SystemTime {
    UNIX_EPOCH + Duration::new(MTIME_SECS, 500_000_000)
}

fn set_mtime(path: &Path, t: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn write_file(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
    set_mtime(path, mtime());
}

struct Files {
    dir: tempfile::TempDir,
    clip: Vec<u8>,
}

impl Files {
    fn new() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let clip = pattern(CLIP_SIZE, 0x5eed);
        let root = dir.path().join("root");
        write_file(&root.join("video/clip.mp4"), &clip);
        write_file(&root.join("empty.bin"), b"");
        write_file(&root.join("one.bin"), &[ONE_BYTE]);
        write_file(
            &root.join("site/index.html"),
            b"<!doctype html><title>index</title>\n",
        );
        Files { dir, clip }
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn path(&self, url_path: &str) -> PathBuf {
        self.root().join(url_path.trim_start_matches('/'))
    }
}

// ---------------------------------------------------------------------------
// Servers and clients.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Io {
    Uring,
    Threads,
}

impl Io {
    fn flag(self) -> &'static str {
        match self {
            Io::Uring => "uring",
            Io::Threads => "threads",
        }
    }

    /// The `--sendfile` setting of the matrix's server for this mode.
    fn sendfile(self) -> &'static str {
        match self {
            Io::Uring => "true",
            Io::Threads => "false",
        }
    }
}

/// Where io_uring is refused (a container's seccomp profile), `--io uring` falls back
/// to the thread pool and these servers test that path twice;
/// `the_start_up_log_names_the_read_path` is the test that fails there.
fn start(root: &Path, io: Io) -> Server {
    Server::start(&[
        "--root",
        root.to_str().unwrap(),
        "--workers",
        "1",
        "--io",
        io.flag(),
        "--sendfile",
        io.sendfile(),
    ])
}

/// The files and one server per I/O mode, for the length of a test.
struct Matrix {
    files: Files,
    servers: Vec<(Io, Server)>,
}

impl Matrix {
    fn start() -> Matrix {
        let files = Files::new();
        let servers = [Io::Uring, Io::Threads]
            .into_iter()
            .map(|io| (io, start(&files.root(), io)))
            .collect();
        Matrix { files, servers }
    }

    /// A connection for each I/O mode and protocol.
    async fn clients(&self) -> Vec<Client> {
        let mut out = Vec::new();
        for (io, srv) in &self.servers {
            for proto in [Proto::H1, Proto::H2] {
                let label = format!("--io {} --sendfile {}", io.flag(), io.sendfile());
                out.push(Client::connect(srv, proto, &label).await);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Plain requests.

#[tokio::test]
async fn a_get_without_range_is_200_with_the_whole_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[]).await.whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn without_a_range_field_the_answer_is_never_206() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        // If-Range alone asks for nothing partial.
        c.get(CLIP, &[("if-range", &etag)])
            .await
            .whole(&m.files.clip, "video/mp4");
        c.get(CLIP, &[("if-range", LAST_MODIFIED)])
            .await
            .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn validators_are_a_strong_etag_and_an_imf_fixdate_last_modified() {
    let m = Matrix::start();
    let mut etags = Vec::new();
    for mut c in m.clients().await {
        let r = c.get(CLIP, &[]).await;
        r.status(200).expect_field("last-modified", LAST_MODIFIED);
        let etag = r.field("etag").expect("an ETag").to_string();
        let inner = etag
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{c}: ETag {etag:?} is not a quoted strong entity-tag"));
        assert!(
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b)),
            "{c}: ETag {etag:?}"
        );
        // The same on every request, protocol and read path.
        assert_eq!(c.etag(CLIP).await, etag, "{c}");
        etags.push(etag);
    }
    assert!(etags.windows(2).all(|w| w[0] == w[1]), "{etags:?}");
    // Other files have other tags.
    let mut c = m.clients().await.remove(0);
    assert_ne!(c.etag(ONE).await, etags[0]);

    // A change of modification time, even within the same second, changes the ETag.
    let clip = m.files.path(CLIP);
    set_mtime(&clip, mtime() + Duration::from_millis(100));
    let changed = c.etag(CLIP).await;
    assert_ne!(changed, etags[0], "an mtime 100 ms later");
    c.get(CLIP, &[])
        .await
        .expect_field("last-modified", LAST_MODIFIED);
    // So does replacing the file by another of the same size and time.
    let other = m.files.root().join("video/other.mp4");
    write_file(&other, &m.files.clip);
    set_mtime(&other, mtime() + Duration::from_millis(100));
    std::fs::rename(&other, &clip).unwrap();
    let replaced = c.etag(CLIP).await;
    assert_ne!(replaced, changed, "a file replaced by a copy");
    // A later time moves Last-Modified.
    set_mtime(&clip, mtime() + Duration::from_secs(86_400));
    c.get(CLIP, &[])
        .await
        .expect_field("last-modified", "Wed, 03 Jan 2024 03:04:05 GMT");
}

#[tokio::test]
async fn head_has_the_fields_of_get_and_no_body() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        let cases: [(&str, Vec<(&str, &str)>); 7] = [
            (CLIP, vec![]),
            (CLIP, vec![("range", "bytes=10-19")]),
            (CLIP, vec![("range", "bytes=0-9,100-199")]),
            (CLIP, vec![("range", "bytes=2000000-")]),
            (CLIP, vec![("if-none-match", &etag)]),
            (CLIP, vec![("if-match", "\"nope\"")]),
            (EMPTY, vec![]),
        ];
        for (path, fields) in cases {
            let get = c.get(path, &fields).await;
            let head = c.head(path, &fields).await;
            head.status(get.status).expect_body(b"");
            let mut g = get.headers.clone();
            let mut h = head.headers.clone();
            for map in [&mut g, &mut h] {
                map.remove("date");
                // Each multipart answer draws its own boundary, of the same length.
                if let Some(ct) = map.get("content-type") {
                    if ct.to_str().unwrap().starts_with("multipart/byteranges") {
                        map.remove("content-type");
                    }
                }
            }
            assert_eq!(h, g, "{}: HEAD and GET differ", head.what);
        }
    }
}

// ---------------------------------------------------------------------------
// Single ranges.

#[tokio::test]
async fn a_single_range_returns_exactly_those_bytes() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    let last = CLIP_SIZE - 1;
    for mut c in m.clients().await {
        for (start, end) in [
            (0, 0),
            (0, 99),
            (500, 500),
            (last, last),
            // Across read buffers (256 KiB each).
            (262_100, 800_000),
            (0, last),
        ] {
            c.get(CLIP, &[("range", &format!("bytes={start}-{end}"))])
                .await
                .range(clip, start, end, "video/mp4");
        }
        // The unit is case-insensitive, leading zeros are plain decimals.
        c.get(CLIP, &[("range", "Bytes=0010-0019")])
            .await
            .range(clip, 10, 19, "video/mp4");
    }
}

#[tokio::test]
async fn a_suffix_range_returns_the_last_n_bytes() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    for mut c in m.clients().await {
        for n in [1, 100, 300_000] {
            c.get(CLIP, &[("range", &format!("bytes=-{n}"))])
                .await
                .range(clip, CLIP_SIZE - n, CLIP_SIZE - 1, "video/mp4");
        }
    }
}

#[tokio::test]
async fn a_suffix_longer_than_the_file_is_the_whole_file_as_206() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    for mut c in m.clients().await {
        for v in [format!("bytes=-{CLIP_SIZE}"), "bytes=-99999999".into()] {
            c.get(CLIP, &[("range", &v)])
                .await
                .range(clip, 0, CLIP_SIZE - 1, "video/mp4");
        }
    }
}

#[tokio::test]
async fn an_open_ended_range_runs_to_the_last_byte() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    for mut c in m.clients().await {
        for start in [0, 1, 1_000_000, CLIP_SIZE - 1] {
            c.get(CLIP, &[("range", &format!("bytes={start}-"))])
                .await
                .range(clip, start, CLIP_SIZE - 1, "video/mp4");
        }
    }
}

#[tokio::test]
async fn an_end_past_the_file_is_clamped_to_the_last_byte() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    for mut c in m.clients().await {
        for v in [
            format!("bytes=1200000-{CLIP_SIZE}"),
            "bytes=1200000-99999999".into(),
            "bytes=1200000-99999999999999999999999999".into(),
        ] {
            c.get(CLIP, &[("range", &v)])
                .await
                .range(clip, 1_200_000, CLIP_SIZE - 1, "video/mp4");
        }
    }
}

#[tokio::test]
async fn a_range_starting_at_or_past_the_end_is_416_with_the_size() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        for v in [
            format!("bytes={CLIP_SIZE}-"),
            format!("bytes={CLIP_SIZE}-{}", CLIP_SIZE + 10),
            "bytes=99999999999999999999999-".into(),
            "bytes=-0".into(),
            format!("bytes={CLIP_SIZE}-,-0,2000000-3000000"),
        ] {
            c.get(CLIP, &[("range", &v)]).await.unsatisfiable(CLIP_SIZE);
        }
    }
}

#[tokio::test]
async fn unsatisfiable_ranges_beside_a_satisfiable_one_are_dropped() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[("range", "bytes=2000000-,0-9,-0")])
            .await
            .range(&m.files.clip, 0, 9, "video/mp4");
    }
}

#[tokio::test]
async fn an_invalid_range_field_is_ignored_and_the_whole_file_sent() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        for v in [
            "bytes=5-2",
            "bytes=0-9,5-2",
            "items=0-9",
            "bytes 0-9",
            "bytes=abc",
            "bytes=0-9;x",
            "bytes=",
            "bytes=- 5",
            "=0-9",
        ] {
            c.get(CLIP, &[("range", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
    }
}

#[tokio::test]
async fn a_repeated_range_field_is_ignored() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[("range", "bytes=0-9"), ("range", "bytes=20-29")])
            .await
            .whole(&m.files.clip, "video/mp4");
    }
}

// ---------------------------------------------------------------------------
// Several ranges.

#[tokio::test]
async fn several_ranges_are_multipart_byteranges_in_the_client_order() {
    let m = Matrix::start();
    let clip = &m.files.clip;
    for mut c in m.clients().await {
        let r = c
            .get(
                CLIP,
                &[("range", "bytes=1000-1999, 0-9 ,,-100,600000-900000")],
            )
            .await;
        assert_eq!(
            r.multipart(clip, "video/mp4"),
            [
                (1000, 1999),
                (0, 9),
                (CLIP_SIZE - 100, CLIP_SIZE - 1),
                (600_000, 900_000)
            ]
        );
        // The boundary is not fixed: two answers, two boundaries.
        let again = c.get(CLIP, &[("range", "bytes=0-0,5-5")]).await;
        again.multipart(clip, "video/mp4");
        assert_ne!(r.field("content-type"), again.field("content-type"));
    }
}

#[tokio::test]
async fn overlapping_ranges_are_sent_as_asked_while_they_fit_in_the_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let r = c.get(CLIP, &[("range", "bytes=0-99,50-149,50-149")]).await;
        assert_eq!(
            r.multipart(&m.files.clip, "video/mp4"),
            [(0, 99), (50, 149), (50, 149)]
        );
    }
}

#[tokio::test]
async fn ranges_adding_up_to_more_than_the_file_get_the_whole_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        for v in [
            "bytes=0-700000,100000-800000",
            "bytes=0-,-1",
            "bytes=-1234567,0-0",
        ] {
            c.get(CLIP, &[("range", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
    }
}

#[tokio::test]
async fn more_than_16_ranges_get_the_whole_file() {
    let m = Matrix::start();
    let spec = |n: usize| {
        let list: Vec<String> = (0..n).map(|i| format!("{0}-{0}", i * 1000)).collect();
        format!("bytes={}", list.join(","))
    };
    for mut c in m.clients().await {
        let r = c.get(CLIP, &[("range", &spec(16))]).await;
        let parts = r.multipart(&m.files.clip, "video/mp4");
        assert_eq!(
            parts,
            (0..16).map(|i| (i * 1000, i * 1000)).collect::<Vec<_>>()
        );
        c.get(CLIP, &[("range", &spec(17))])
            .await
            .whole(&m.files.clip, "video/mp4");
        // Only satisfiable ranges count.
        let r = c
            .get(CLIP, &[("range", &format!("{},5000000-", spec(16)))])
            .await;
        assert_eq!(r.multipart(&m.files.clip, "video/mp4").len(), 16);
    }
}

// ---------------------------------------------------------------------------
// Tiny files.

#[tokio::test]
async fn an_empty_file_is_200_and_a_range_on_it_416() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let t = "application/octet-stream";
        c.get(EMPTY, &[])
            .await
            .whole(b"", t)
            .field("etag")
            .expect("an ETag");
        for v in ["bytes=0-", "bytes=0-0", "bytes=0-9,5-", "bytes=-0"] {
            c.get(EMPTY, &[("range", v)]).await.unsatisfiable(0);
        }
        // A suffix is satisfiable on an empty file, with no byte to show: the empty file.
        c.get(EMPTY, &[("range", "bytes=-5")]).await.whole(b"", t);
        c.head(EMPTY, &[])
            .await
            .status(200)
            .expect_field("content-length", "0");
    }
}

#[tokio::test]
async fn a_one_byte_file_serves_its_byte_to_every_range_form() {
    let m = Matrix::start();
    let file = [ONE_BYTE];
    let t = "application/octet-stream";
    for mut c in m.clients().await {
        c.get(ONE, &[]).await.whole(&file, t);
        for v in [
            "bytes=0-0",
            "bytes=0-",
            "bytes=-1",
            "bytes=-5",
            "bytes=0-100",
        ] {
            c.get(ONE, &[("range", v)]).await.range(&file, 0, 0, t);
        }
        for v in ["bytes=1-", "bytes=1-1", "bytes=-0"] {
            c.get(ONE, &[("range", v)]).await.unsatisfiable(1);
        }
        // Two ranges of one byte add up to more than the file.
        c.get(ONE, &[("range", "bytes=0-0,-1")])
            .await
            .whole(&file, t);
    }
}

// ---------------------------------------------------------------------------
// If-Range.

#[tokio::test]
async fn if_range_with_the_current_etag_lets_the_range_through() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        c.get(CLIP, &[("range", "bytes=5-14"), ("if-range", &etag)])
            .await
            .range(&m.files.clip, 5, 14, "video/mp4");
        let r = c
            .get(CLIP, &[("range", "bytes=5-14,-3"), ("if-range", &etag)])
            .await;
        assert_eq!(r.multipart(&m.files.clip, "video/mp4").len(), 2);
    }
}

#[tokio::test]
async fn if_range_with_a_weak_etag_sends_the_whole_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        c.get(
            CLIP,
            &[("range", "bytes=5-14"), ("if-range", &format!("W/{etag}"))],
        )
        .await
        .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn if_range_with_another_etag_sends_the_whole_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        let stale = format!("\"{}x\"", etag.trim_matches('"'));
        for v in [stale.as_str(), "\"other\"", "*", "garbage"] {
            c.get(CLIP, &[("range", "bytes=5-14"), ("if-range", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
        // Repeated, even with the right tag, it is invalid.
        c.get(
            CLIP,
            &[
                ("range", "bytes=5-14"),
                ("if-range", &etag),
                ("if-range", &etag),
            ],
        )
        .await
        .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn if_range_with_the_last_modified_date_lets_the_range_through() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[("range", "bytes=-10"), ("if-range", LAST_MODIFIED)])
            .await
            .range(&m.files.clip, CLIP_SIZE - 10, CLIP_SIZE - 1, "video/mp4");
    }
}

#[tokio::test]
async fn if_range_with_another_date_sends_the_whole_file() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        for v in [BEFORE, AFTER, "Tue, 02 Jan 2024 03:04:05 UTC"] {
            c.get(CLIP, &[("range", "bytes=-10"), ("if-range", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
    }
}

/// A Last-Modified date is a strong validator only when the file was modified at least
/// a second before: within that second it may change again under the same date.
#[tokio::test]
async fn if_range_with_the_date_of_a_file_modified_within_the_second_sends_the_whole_file() {
    let m = Matrix::start();
    let path = m.files.root().join("fresh.bin");
    let data = pattern(10_000, 3);
    for mut c in m.clients().await {
        let mut checked = false;
        for _ in 0..5 {
            let t0 = SystemTime::now();
            std::fs::write(&path, &data).unwrap();
            set_mtime(&path, t0);
            let date = httpdate::fmt_http_date(t0);
            let r = c
                .get("/fresh.bin", &[("range", "bytes=0-9"), ("if-range", &date)])
                .await;
            if t0.elapsed().unwrap() < Duration::from_millis(900) {
                r.whole(&data, "application/octet-stream");
                checked = true;
                break;
            }
        }
        assert!(
            checked,
            "{c}: no request was answered within a second of the write"
        );
    }
    // The same date once the second has passed is strong.
    let t0 = SystemTime::now() - Duration::from_secs(2);
    set_mtime(&path, t0);
    for mut c in m.clients().await {
        c.get(
            "/fresh.bin",
            &[
                ("range", "bytes=0-9"),
                ("if-range", &httpdate::fmt_http_date(t0)),
            ],
        )
        .await
        .range(&data, 0, 9, "application/octet-stream");
    }
}

// ---------------------------------------------------------------------------
// Preconditions.

#[tokio::test]
async fn if_none_match_with_the_current_etag_is_304_carrying_the_etag() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        let weak = format!("W/{etag}");
        let listed = format!("\"a\", {etag}, \"b\"");
        for v in [etag.as_str(), weak.as_str(), listed.as_str(), "*"] {
            c.get(CLIP, &[("if-none-match", v)])
                .await
                .status(304)
                .expect_field("etag", &etag)
                .expect_field("last-modified", LAST_MODIFIED)
                .no_field("content-range")
                .expect_body(b"");
        }
    }
}

#[tokio::test]
async fn if_none_match_with_another_etag_is_200() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[("if-none-match", "\"other\", W/\"more\"")])
            .await
            .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn if_modified_since_at_or_after_last_modified_is_304() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        for v in [
            LAST_MODIFIED,
            AFTER,
            "Tuesday, 02-Jan-24 03:04:05 GMT",
            "Tue Jan  2 03:04:05 2024",
        ] {
            c.get(CLIP, &[("if-modified-since", v)])
                .await
                .status(304)
                .expect_field("etag", &etag)
                .expect_body(b"");
        }
    }
}

#[tokio::test]
async fn if_modified_since_before_last_modified_or_invalid_or_future_is_200() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        for v in [BEFORE, "yesterday", "Fri, 01 Jan 2100 00:00:00 GMT"] {
            c.get(CLIP, &[("if-modified-since", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
    }
}

#[tokio::test]
async fn if_none_match_takes_precedence_over_if_modified_since() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(
            CLIP,
            &[("if-none-match", "\"other\""), ("if-modified-since", AFTER)],
        )
        .await
        .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn if_match_without_the_current_etag_is_412() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        // Strong comparison: the weak form of the right tag does not match.
        for v in ["\"other\"".to_string(), format!("W/{etag}")] {
            c.get(CLIP, &[("if-match", &v)])
                .await
                .status(412)
                .expect_field("content-length", "0")
                .no_field("etag")
                .expect_body(b"");
        }
        for v in [etag.clone(), "*".into(), format!("\"other\", {etag}")] {
            c.get(CLIP, &[("if-match", &v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
    }
}

#[tokio::test]
async fn if_unmodified_since_before_last_modified_is_412() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get(CLIP, &[("if-unmodified-since", BEFORE)])
            .await
            .status(412)
            .expect_body(b"");
        for v in [LAST_MODIFIED, AFTER, "garbage"] {
            c.get(CLIP, &[("if-unmodified-since", v)])
                .await
                .whole(&m.files.clip, "video/mp4");
        }
        // If-Match, when present, is the one that counts.
        let etag = c.etag(CLIP).await;
        c.get(
            CLIP,
            &[("if-match", &etag), ("if-unmodified-since", BEFORE)],
        )
        .await
        .whole(&m.files.clip, "video/mp4");
    }
}

#[tokio::test]
async fn preconditions_are_decided_before_ranges() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        let etag = c.etag(CLIP).await;
        c.get(CLIP, &[("range", "bytes=0-9"), ("if-none-match", &etag)])
            .await
            .status(304)
            .no_field("content-range")
            .expect_body(b"");
        c.get(CLIP, &[("range", "bytes=0-9"), ("if-match", "\"other\"")])
            .await
            .status(412)
            .expect_body(b"");
        c.get(
            CLIP,
            &[("range", "bytes=0-9"), ("if-unmodified-since", BEFORE)],
        )
        .await
        .status(412);
        // An unsatisfiable range on a file the client has: 304, not 416.
        c.get(
            CLIP,
            &[("range", "bytes=9999999-"), ("if-none-match", &etag)],
        )
        .await
        .status(304);
        // Preconditions that hold leave the range alone.
        c.get(
            CLIP,
            &[
                ("range", "bytes=0-9"),
                ("if-match", &etag),
                ("if-none-match", "\"x\""),
            ],
        )
        .await
        .range(&m.files.clip, 0, 9, "video/mp4");
    }
}

// ---------------------------------------------------------------------------
// Folders.

#[tokio::test]
async fn a_folder_without_its_trailing_slash_is_redirected_with_301() {
    let m = Matrix::start();
    for mut c in m.clients().await {
        c.get("/site", &[])
            .await
            .status(301)
            .expect_field("location", "/site/");
        c.get("/site?lang=en", &[])
            .await
            .status(301)
            .expect_field("location", "/site/?lang=en");
        c.get("/video", &[("range", "bytes=0-0")])
            .await
            .status(301)
            .expect_field("location", "/video/");
        // Leading slashes collapse: `//site/` would send the client to a host named
        // `site`.
        c.get("//site", &[])
            .await
            .status(301)
            .expect_field("location", "/site/");
    }
}

#[tokio::test]
async fn a_file_named_with_a_trailing_slash_is_not_found() {
    let m = Matrix::start();
    let index = std::fs::read(m.files.path("/site/index.html")).unwrap();
    for mut c in m.clients().await {
        c.get("/site/index.html", &[])
            .await
            .whole(&index, "text/html; charset=utf-8");
        c.get("/site/index.html/", &[]).await.status(404);
        c.get("/site/index.html%2F", &[]).await.status(404);
    }
}

#[tokio::test]
async fn a_folder_with_its_trailing_slash_serves_its_index_html() {
    let m = Matrix::start();
    let index = std::fs::read(m.files.path("/site/index.html")).unwrap();
    for mut c in m.clients().await {
        let t = "text/html; charset=utf-8";
        c.get("/site/", &[]).await.whole(&index, t);
        c.get("/site/", &[("range", "bytes=2-5")])
            .await
            .range(&index, 2, 5, t);
        // A folder without an index: nothing to serve.
        c.get("/video/", &[]).await.status(404);
    }
}

// ---------------------------------------------------------------------------
// A file that changes while it is sent.

#[tokio::test]
async fn a_file_truncated_while_being_sent_cuts_the_response() {
    let m = Matrix::start();
    let path = m.files.root().join("big.bin");
    let big = big_file();
    for mut c in m.clients().await {
        assert_truncation_cuts(&mut c, "/big.bin", &path, &big).await;
    }
    // The access log tells the cut from a complete response: 2 per server.
    for (io, srv) in &m.servers {
        let cut = |log: &str| {
            log.lines()
                .filter(|l| l.contains("path=/big.bin") && l.contains("completed=false"))
                .count()
        };
        assert!(
            srv.wait_for_log(Duration::from_secs(5), |log| cut(log) == 2),
            "--io {}: the cut responses are not logged as such:\n{}",
            io.flag(),
            srv.log()
        );
    }
    // The server is fine afterwards.
    for mut c in m.clients().await {
        c.get(CLIP, &[("range", "bytes=0-9")])
            .await
            .range(&m.files.clip, 0, 9, "video/mp4");
    }
}

// ---------------------------------------------------------------------------
// Choosing the read path.

#[test]
fn the_start_up_log_names_the_read_path() {
    let files = Files::new();
    let root = files.root();
    let uring = Server::start(&[
        "--root",
        root.to_str().unwrap(),
        "--workers",
        "1",
        "--io",
        "uring",
    ]);
    assert!(
        uring.log().contains("file reads: io_uring"),
        "--io uring fell back (io_uring refused by the kernel or a seccomp profile?):\n{}",
        uring.log()
    );
    let threads = Server::start(&[
        "--root",
        root.to_str().unwrap(),
        "--workers",
        "1",
        "--io",
        "threads",
    ]);
    assert!(
        threads
            .log()
            .contains("file reads: the blocking thread pool"),
        "{}",
        threads.log()
    );
    assert!(!threads.log().contains("io_uring"), "{}", threads.log());
}

#[tokio::test]
async fn weir_io_in_the_environment_picks_the_read_path_unless_io_is_given() {
    let files = Files::new();
    let root = files.root();
    let args = ["--root", root.to_str().unwrap(), "--workers", "1"];
    let threads = Server::start_with_env(&args, &[("WEIR_IO", "threads")]);
    assert!(
        threads
            .log()
            .contains("file reads: the blocking thread pool"),
        "{}",
        threads.log()
    );
    let mut c = Client::connect(&threads, Proto::H1, "WEIR_IO=threads").await;
    c.get(CLIP, &[("range", "bytes=-5")]).await.range(
        &files.clip,
        CLIP_SIZE - 5,
        CLIP_SIZE - 1,
        "video/mp4",
    );

    let uring = Server::start_with_env(&args, &[("WEIR_IO", "uring")]);
    assert!(
        uring.log().contains("file reads: io_uring"),
        "{}",
        uring.log()
    );

    // The flag wins over the environment.
    let flag = Server::start_with_env(
        &[&args[..], &["--io", "uring"][..]].concat(),
        &[("WEIR_IO", "threads")],
    );
    assert!(
        flag.log().contains("file reads: io_uring"),
        "{}",
        flag.log()
    );

    // An unknown value is named in a warning, and the default applies.
    let bogus = Server::start_with_env(&args, &[("WEIR_IO", "bogus")]);
    assert!(bogus.log().contains("WEIR_IO=\"bogus\""), "{}", bogus.log());
    assert!(
        bogus.log().contains("file reads: io_uring"),
        "{}",
        bogus.log()
    );
}

#[test]
fn an_unknown_io_flag_exits_2_with_a_clear_message() {
    let files = Files::new();
    let mut child = common::weir()
        .args([
            "serve",
            "--root",
            files.root().to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--io",
            "bogus",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("weir serve --io bogus is still running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let run: common::Run = child.wait_with_output().unwrap().into();
    assert_eq!(run.code, 2, "stderr: {}", run.stderr);
    assert!(run.stderr.contains("--io"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("'bogus' is not an I/O mode: use uring or threads"),
        "{}",
        run.stderr
    );
}
