//! Real clients against the built-in file handler serving a copy of media-samples/:
//! curl with byte ranges (HTTP/1.1 and h2c) and resuming a download, ffprobe reading the
//! samples, ffmpeg seeking into the MP4 and the WebM (which it does with Range requests)
//! and reading the HLS playlist and its segments. Each runs under `--io uring` and
//! `--io threads`.
//!
//! The tools are required, not optional: a missing one fails the test with the Debian
//! package to install (CI installs them).

mod common;
#[path = "common/server.rs"]
mod server;
#[path = "common/vod.rs"]
mod vod;

use server::Server;
use std::path::Path;
use std::process::Command;
use std::time::Duration;
use vod::{parse_content_range, parse_multipart, same_bytes};

const MP4: &str = "/video/sample.mp4";
const WEBM: &str = "/video/sample.webm";

/// Fails the test, naming the package to install, when `name` is not on PATH.
fn require(name: &str, package: &str) {
    let version_flag = if name == "curl" {
        "--version"
    } else {
        "-version"
    };
    match Command::new(name).arg(version_flag).output() {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("{name} is not installed; these tests need it: apt-get install {package}")
        }
        Err(e) => panic!("cannot run {name}: {e}"),
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of media-samples (so that regenerating them meanwhile cannot disturb a run)
/// and one server per read path.
struct Samples {
    dir: tempfile::TempDir,
    servers: Vec<(&'static str, Server)>,
}

impl Samples {
    fn start() -> Samples {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("media-samples"),
            dir.path(),
        );
        let servers = ["uring", "threads"]
            .into_iter()
            .map(|io| {
                let srv = Server::start(&[
                    "--root",
                    dir.path().to_str().unwrap(),
                    "--workers",
                    "1",
                    "--io",
                    io,
                ]);
                (io, srv)
            })
            .collect();
        Samples { dir, servers }
    }

    fn file(&self, url_path: &str) -> Vec<u8> {
        std::fs::read(self.dir.path().join(url_path.trim_start_matches('/'))).unwrap()
    }
}

fn url(srv: &Server, path: &str) -> String {
    format!("http://{}{path}", srv.addr)
}

struct Fetched {
    status: u16,
    version: String,
    content_type: String,
    body: Vec<u8>,
}

/// `curl -s -S <args> URL`, the body into a file; fails on curl errors.
fn curl(args: &[&str], url: &str) -> Fetched {
    let out = tempfile::NamedTempFile::new().unwrap();
    let run = Command::new("curl")
        .args(["-s", "-S", "-o", out.path().to_str().unwrap()])
        .args(["-w", "%{http_code} %{http_version} %{content_type}"])
        .args(args)
        .arg(url)
        .output()
        .expect("run curl");
    let stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(
        run.status.success(),
        "curl {args:?} {url}: {}: {stderr}",
        run.status
    );
    let mut fields = stdout.splitn(3, ' ');
    Fetched {
        status: fields.next().unwrap_or("").parse().unwrap_or(0),
        version: fields.next().unwrap_or("").to_string(),
        content_type: fields.next().unwrap_or("").to_string(),
        body: std::fs::read(out.path()).unwrap(),
    }
}

/// The access-log lines of `path`, once `done` holds for them (or after 5 s).
fn access_log(srv: &Server, path: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let needle = format!("path={path} ");
    let lines = |log: &str| -> Vec<String> {
        log.lines()
            .filter(|l| l.contains(&needle))
            .map(str::to_string)
            .collect()
    };
    srv.wait_for_log(Duration::from_secs(5), |log| done(&lines(log)));
    lines(&srv.log())
}

/// A field of an access-log line (`status=206`).
fn log_field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

struct Tool {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(program: &str, args: &[&str]) -> Tool {
    let out = Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    Tool {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ffprobe(url: &str) -> serde_json::Value {
    let probe = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "format=duration:stream=codec_name,codec_type",
            "-of",
            "json",
            url,
        ],
    );
    assert_eq!(probe.code, 0, "ffprobe {url}: {}", probe.stderr);
    assert_eq!(probe.stderr, "", "ffprobe {url}");
    serde_json::from_str(&probe.stdout)
        .unwrap_or_else(|e| panic!("ffprobe {url}: {e}: {}", probe.stdout))
}

fn codecs(probe: &serde_json::Value) -> Vec<String> {
    probe["streams"]
        .as_array()
        .expect("streams")
        .iter()
        .map(|s| {
            format!(
                "{}:{}",
                s["codec_type"].as_str().unwrap(),
                s["codec_name"].as_str().unwrap()
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------
// curl.

#[test]
fn curl_ranges_get_the_right_bytes_and_status() {
    require("curl", "curl");
    let s = Samples::start();
    let mp4 = s.file(MP4);
    let size = mp4.len();
    for (io, srv) in &s.servers {
        for (flag, version) in [("--http1.1", "1.1"), ("--http2-prior-knowledge", "2")] {
            let ctx = format!("--io {io}, curl {flag}");
            let get = |range: Option<&str>| {
                let mut args = vec![flag];
                if let Some(r) = range {
                    args.extend(["-r", r]);
                }
                let f = curl(&args, &url(srv, MP4));
                assert_eq!(f.version, version, "{ctx}");
                f
            };
            let whole = get(None);
            assert_eq!(
                (whole.status, whole.content_type.as_str()),
                (200, "video/mp4"),
                "{ctx}"
            );
            same_bytes(&whole.body, &mp4, &ctx);
            for (range, start, end) in [
                ("0-99", 0, 99),
                ("-100", size - 100, size - 1),
                ("400000-", 400_000, size - 1),
                ("1000-999999", 1000, size - 1),
            ] {
                let f = get(Some(range));
                assert_eq!(f.status, 206, "{ctx} -r {range}");
                same_bytes(&f.body, &mp4[start..=end], &format!("{ctx} -r {range}"));
            }
            let multi = get(Some("0-0,10-19,-5"));
            assert_eq!(multi.status, 206, "{ctx}");
            let parts = parse_multipart(&multi.content_type, &multi.body)
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            let got: Vec<(usize, usize)> = parts
                .iter()
                .map(|p| {
                    assert_eq!(p.field("content-type"), Some("video/mp4"), "{ctx}");
                    let (a, b, total) =
                        parse_content_range(p.field("content-range").unwrap()).unwrap();
                    assert_eq!(total, size, "{ctx}");
                    same_bytes(&p.data, &mp4[a..=b], &ctx);
                    (a, b)
                })
                .collect();
            assert_eq!(got, [(0, 0), (10, 19), (size - 5, size - 1)], "{ctx}");
            let past = get(Some(&format!("{size}-")));
            assert_eq!((past.status, past.body.len()), (416, 0), "{ctx}");
        }
    }
}

#[test]
fn curl_resumes_a_cut_download_with_continue_at() {
    require("curl", "curl");
    let s = Samples::start();
    let mp4 = s.file(MP4);
    for (io, srv) in &s.servers {
        let out = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(out.path(), &mp4[..123_456]).unwrap();
        let run = Command::new("curl")
            .args([
                "-s",
                "-S",
                "-C",
                "-",
                "-w",
                "%{http_code}",
                "-o",
                out.path().to_str().unwrap(),
            ])
            .arg(url(srv, MP4))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "--io {io}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&run.stdout), "206", "--io {io}");
        same_bytes(
            &std::fs::read(out.path()).unwrap(),
            &mp4,
            &format!("--io {io}: the resumed file"),
        );
        let lines = access_log(srv, MP4, |l| !l.is_empty());
        assert_eq!(log_field(&lines[0], "status"), Some("206"), "{lines:?}");
        assert_eq!(
            log_field(&lines[0], "bytes"),
            Some((mp4.len() - 123_456).to_string().as_str()),
            "{lines:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// ffprobe and ffmpeg.

#[test]
fn ffprobe_reads_the_samples_over_http() {
    require("ffprobe", "ffmpeg");
    let s = Samples::start();
    for (io, srv) in &s.servers {
        let mp4 = ffprobe(&url(srv, MP4));
        assert_eq!(
            codecs(&mp4),
            ["video:h264", "audio:aac"],
            "--io {io}: {mp4}"
        );
        let duration: f64 = mp4["format"]["duration"].as_str().unwrap().parse().unwrap();
        assert!((duration - 10.0).abs() < 0.1, "--io {io}: {duration}");
        let webm = ffprobe(&url(srv, WEBM));
        assert_eq!(
            codecs(&webm),
            ["video:vp9", "audio:opus"],
            "--io {io}: {webm}"
        );
    }
}

/// ffmpeg reads the head of the file, then seeks with `Range: bytes=N-`; the seek is
/// a 206 that does not start at the first byte, so it carries fewer bytes than the file.
fn ffmpeg_seeks_into(s: &Samples, path: &str) {
    require("ffmpeg", "ffmpeg");
    require("ffprobe", "ffmpeg");
    let size = s.file(path).len();
    for (io, srv) in &s.servers {
        let u = url(srv, path);
        let duration: f64 = ffprobe(&u)["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let mid = format!("{:.3}", duration / 2.0);
        let before = srv.log().lines().count();
        let ff = run(
            "ffmpeg",
            &[
                "-nostdin",
                "-v",
                "error",
                "-ss",
                &mid,
                "-i",
                &u,
                "-frames:v",
                "10",
                "-f",
                "null",
                "-",
            ],
        );
        assert_eq!(
            ff.code, 0,
            "--io {io}: ffmpeg -ss {mid} -i {u}: {}",
            ff.stderr
        );
        assert_eq!(ff.stderr, "", "--io {io}: ffmpeg -ss {mid} -i {u}");
        let seek = |lines: &[String]| {
            lines.iter().any(|l| {
                log_field(l, "status") == Some("206")
                    && log_field(l, "bytes")
                        .and_then(|b| b.parse::<usize>().ok())
                        .is_some_and(|b| b > 0 && b < size)
            })
        };
        let lines: Vec<String> = access_log(srv, path, seek);
        assert!(
            seek(&lines),
            "--io {io}: no 206 for a range inside {path} after ffmpeg -ss {mid}:\n{}",
            srv.log()
                .lines()
                .skip(before)
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            lines
                .iter()
                .all(|l| matches!(log_field(l, "status"), Some("200" | "206"))),
            "--io {io}: {lines:#?}"
        );
    }
}

#[test]
fn ffmpeg_seeks_into_the_mp4_with_range_requests() {
    let s = Samples::start();
    ffmpeg_seeks_into(&s, MP4);
}

#[test]
fn ffmpeg_seeks_into_the_webm_with_range_requests() {
    let s = Samples::start();
    ffmpeg_seeks_into(&s, WEBM);
}

#[test]
fn ffmpeg_reads_the_hls_playlist_and_every_segment() {
    require("ffmpeg", "ffmpeg");
    let s = Samples::start();
    let playlist = String::from_utf8(s.file("/hls/playlist.m3u8")).unwrap();
    let segments: Vec<String> = playlist
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| format!("/hls/{l}"))
        .collect();
    assert!(segments.len() >= 2, "{playlist}");
    for (io, srv) in &s.servers {
        let u = url(srv, "/hls/playlist.m3u8");
        let ff = run(
            "ffmpeg",
            &[
                "-nostdin", "-v", "error", "-i", &u, "-c", "copy", "-f", "null", "-",
            ],
        );
        assert_eq!(ff.code, 0, "--io {io}: ffmpeg -i {u}: {}", ff.stderr);
        assert_eq!(ff.stderr, "", "--io {io}: ffmpeg -i {u}");
        for seg in &segments {
            let size = s.file(seg).len().to_string();
            let lines = access_log(srv, seg, |l| !l.is_empty());
            let line = lines
                .first()
                .unwrap_or_else(|| panic!("--io {io}: {seg} was not fetched:\n{}", srv.log()));
            assert!(
                matches!(log_field(line, "status"), Some("200" | "206")),
                "--io {io}: {line}"
            );
            assert_eq!(
                log_field(line, "bytes"),
                Some(size.as_str()),
                "--io {io}: {line}"
            );
            assert_eq!(
                log_field(line, "completed"),
                Some("true"),
                "--io {io}: {line}"
            );
        }
    }
}
