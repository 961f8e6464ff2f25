//! Starting `weir serve` as a child process on 127.0.0.1:0 and talking to it with
//! hyper's client (HTTP/1.1, h2c, h2 over TLS).

#![allow(dead_code)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

pub fn handler_path() -> String {
    crate::common::js_dir()
        .join("server/handler.mjs")
        .display()
        .to_string()
}

impl Server {
    /// `weir serve <args...> --listen 127.0.0.1:0`, waiting until it listens.
    pub fn start(args: &[&str]) -> Server {
        Server::start_with_env(args, &[])
    }

    /// The test handler on one worker, with `args` added.
    pub fn handler(args: &[&str]) -> Server {
        let path = handler_path();
        let mut all = vec![path.as_str(), "--workers", "1"];
        all.extend_from_slice(args);
        Server::start(&all)
    }

    /// As [`Server::start`], with these variables added to the server's environment.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn weir serve");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let l = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                {
                    let mut l = l.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
                if let Some(i) = line.find("listening on ") {
                    let rest = &line[i + "listening on ".len()..];
                    let url = rest.split_whitespace().next().unwrap_or("");
                    let addr = url.split("://").nth(1).unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(a) => a.parse().expect("an address in the listening line"),
            Err(_) => {
                let _ = child.kill();
                panic!("weir serve did not start; log:\n{}", log.lock().unwrap());
            }
        };
        Server { child, addr, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Whether the log comes to contain `needle` within `within`: a line the server
    /// writes as it answers may reach the test's reader thread after the answer.
    pub fn log_shows(&self, needle: &str, within: Duration) -> bool {
        self.wait_for_log(within, |log| log.contains(needle))
    }

    /// Waits up to `within` for the log to satisfy `done`; whether it did. (It
    /// sleeps the calling thread between looks, also inside async tests.)
    pub fn wait_for_log(&self, within: Duration, done: impl Fn(&str) -> bool) -> bool {
        let deadline = std::time::Instant::now() + within;
        loop {
            if done(&self.log()) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Resident memory of the server process, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// Sends SIGTERM and waits for the exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        // SAFETY: kill with a valid pid and signal.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let start = Instant::now();
        while start.elapsed() < within {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub type Body = http_body_util::combinators::BoxBody<Bytes, hyper::Error>;

pub fn empty() -> Full<Bytes> {
    Full::new(Bytes::new())
}

/// An HTTP/1.1 connection.
pub async fn h1(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("h1 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

/// An HTTP/2 connection by prior knowledge (h2c).
pub async fn h2c(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    h2c_with(addr).await
}

/// [`h2c`] for requests with another body type (a body streamed frame by frame).
pub async fn h2c_with<B>(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<B>
where
    B: hyper::body::Body + Unpin + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        TokioIo::new(stream),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    send
}

/// A HEAD request for `path` (or a whole URI, over HTTP/2).
pub fn head(path: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::head(path)
        .header("host", "localhost")
        .body(empty())
        .unwrap()
}

/// Reads what is left of a body: the bytes read, and whether it failed (was cut)
/// rather than ended.
pub async fn drain(body: &mut hyper::body::Incoming) -> (usize, bool) {
    let mut got = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(f) => got += f.data_ref().map_or(0, |d| d.len()),
            Err(_) => return (got, true),
        }
    }
    (got, false)
}

pub fn get(path: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::get(path)
        .header("host", "localhost")
        .body(empty())
        .unwrap()
}

/// Sends a request and reads the whole body (an error if the body was cut).
pub async fn fetch<B>(
    send: &mut B,
    req: hyper::Request<Full<Bytes>>,
) -> (hyper::StatusCode, hyper::HeaderMap, Result<Bytes, String>)
where
    B: SendLike,
{
    let resp = send.send(req).await.expect("a response head");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = resp
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .map_err(|e| format!("{e:?}"));
    (status, headers, body)
}

/// HTTP/1.1 and HTTP/2 senders behind one trait, so tests can run on both.
#[allow(async_fn_in_trait)]
pub trait SendLike {
    async fn send(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error>;
}

impl SendLike for hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    async fn send(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error> {
        self.ready().await?;
        self.send_request(req).await
    }
}

impl SendLike for hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    async fn send(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error> {
        self.ready().await?;
        self.send_request(req).await
    }
}

/// The `bytes=` of an access-log line.
pub fn logged_bytes(line: &str) -> u64 {
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("bytes="))
        .and_then(|b| b.parse().ok())
        .unwrap_or_else(|| panic!("no bytes= in {line}"))
}

pub fn sha256(data: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(data))
}
