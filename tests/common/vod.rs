//! Helpers of the file-serving tests (`vod_*.rs`): a client over HTTP/1.1 or h2c whose
//! answers remember what was asked, for failure messages; checks of whole, ranged and
//! multipart/byteranges answers against the bytes of the file; pseudo-random contents.

#![allow(dead_code)]

use crate::server::{h1, h2c, Server};
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use std::fmt;

/// `len` pseudo-random bytes (xorshift64*), the same for the same seed.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    H1,
    H2,
}

enum Conn {
    H1(hyper::client::conn::http1::SendRequest<Full<Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<Full<Bytes>>),
}

pub struct Client {
    /// What the connection stands for in failure messages, besides its protocol.
    pub label: String,
    pub proto: Proto,
    conn: Conn,
}

impl fmt::Display for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.proto {
            Proto::H1 => "HTTP/1.1",
            Proto::H2 => "h2c",
        };
        match self.label.as_str() {
            "" => f.write_str(proto),
            label => write!(f, "{label} over {proto}"),
        }
    }
}

impl Client {
    pub async fn connect(srv: &Server, proto: Proto, label: &str) -> Client {
        let conn = match proto {
            Proto::H1 => Conn::H1(h1(srv.addr).await),
            Proto::H2 => Conn::H2(h2c(srv.addr).await),
        };
        Client {
            label: label.to_string(),
            proto,
            conn,
        }
    }

    /// One client of each protocol.
    pub async fn both(srv: &Server, label: &str) -> Vec<Client> {
        vec![
            Client::connect(srv, Proto::H1, label).await,
            Client::connect(srv, Proto::H2, label).await,
        ]
    }

    pub fn request(
        &self,
        method: Method,
        path: &str,
        fields: &[(&str, &str)],
    ) -> hyper::Request<Full<Bytes>> {
        // HTTP/2 takes the authority from the URI; HTTP/1.1 gets origin-form and Host.
        let mut req = match self.proto {
            Proto::H1 => hyper::Request::builder()
                .uri(path)
                .header("host", "localhost"),
            Proto::H2 => hyper::Request::builder().uri(format!("http://localhost{path}")),
        }
        .method(method)
        .body(Full::new(Bytes::new()))
        .unwrap();
        for (name, value) in fields {
            req.headers_mut().append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        req
    }

    pub async fn send_request(
        &mut self,
        req: hyper::Request<Full<Bytes>>,
    ) -> hyper::Response<hyper::body::Incoming> {
        let sent = match &mut self.conn {
            Conn::H1(c) => {
                c.ready().await.expect("the connection is usable");
                c.send_request(req).await
            }
            Conn::H2(c) => {
                c.ready().await.expect("the connection is usable");
                c.send_request(req).await
            }
        };
        sent.unwrap_or_else(|e| panic!("{self}: no response head: {e:?}"))
    }

    pub async fn send(&mut self, method: Method, path: &str, fields: &[(&str, &str)]) -> Reply {
        let what = format!("{method} {path} {fields:?} ({self})");
        let resp = self.send_request(self.request(method, path, fields)).await;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .map(|c| c.to_bytes())
            .map_err(|e| format!("{e:?}"));
        Reply {
            what,
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(Method::GET, path, fields).await
    }

    pub async fn head(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        self.send(Method::HEAD, path, fields).await
    }

    /// The ETag the server gives `path` now.
    pub async fn etag(&mut self, path: &str) -> String {
        let r = self.head(path, &[]).await;
        r.status(200);
        r.field("etag").expect("an ETag").to_string()
    }
}

pub struct Reply {
    /// The request and the connection, for failure messages.
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Result<Bytes, String>,
}

impl Reply {
    pub fn status(&self, want: u16) -> &Self {
        assert_eq!(
            self.status, want,
            "{}: status; headers {:?}",
            self.what, self.headers
        );
        self
    }

    /// The field's only value.
    pub fn field(&self, name: &str) -> Option<&str> {
        let mut all = self.headers.get_all(name).iter();
        let v = all.next()?;
        assert!(all.next().is_none(), "{}: {name} sent twice", self.what);
        Some(
            v.to_str()
                .unwrap_or_else(|_| panic!("{}: {name} is not text", self.what)),
        )
    }

    pub fn expect_field(&self, name: &str, want: &str) -> &Self {
        assert_eq!(self.field(name), Some(want), "{}: {name}", self.what);
        self
    }

    pub fn no_field(&self, name: &str) -> &Self {
        assert_eq!(self.field(name), None, "{}: {name}", self.what);
        self
    }

    pub fn body(&self) -> &[u8] {
        match &self.body {
            Ok(b) => b,
            Err(e) => panic!("{}: the body was cut: {e}", self.what),
        }
    }

    pub fn expect_body(&self, want: &[u8]) -> &Self {
        same_bytes(self.body(), want, &self.what);
        self
    }

    pub fn content_length(&self) -> u64 {
        self.field("content-length")
            .unwrap_or_else(|| panic!("{}: no Content-Length", self.what))
            .parse()
            .unwrap()
    }

    /// 200 with the whole of `file`, typed `content_type`.
    pub fn whole(&self, file: &[u8], content_type: &str) -> &Self {
        self.status(200)
            .expect_field("accept-ranges", "bytes")
            .expect_field("content-type", content_type)
            .expect_field("content-length", &file.len().to_string())
            .no_field("content-range")
            .expect_body(file)
    }

    /// 206 with bytes `start..=end` of `file`, typed `content_type`.
    pub fn range(&self, file: &[u8], start: usize, end: usize, content_type: &str) -> &Self {
        self.status(206)
            .expect_field("accept-ranges", "bytes")
            .expect_field("content-type", content_type)
            .expect_field(
                "content-range",
                &format!("bytes {start}-{end}/{}", file.len()),
            )
            .expect_field("content-length", &(end - start + 1).to_string())
            .expect_body(&file[start..=end])
    }

    /// 416 naming the size.
    pub fn unsatisfiable(&self, size: usize) -> &Self {
        self.status(416)
            .expect_field("content-range", &format!("bytes */{size}"))
            .expect_field("accept-ranges", "bytes")
            .expect_body(b"")
    }

    /// The parts of a multipart/byteranges 206, each checked against `file`: its
    /// Content-Type is `content_type`, its Content-Range names its bytes and the size,
    /// and its bytes are those of the file. Returns the (start, end) of each part.
    pub fn multipart(&self, file: &[u8], content_type: &str) -> Vec<(usize, usize)> {
        self.status(206)
            .expect_field("accept-ranges", "bytes")
            .no_field("content-range");
        let body = self.body();
        assert_eq!(
            self.content_length(),
            body.len() as u64,
            "{}: Content-Length",
            self.what
        );
        let ct = self.field("content-type").expect("a Content-Type");
        let parts = parse_multipart(ct, body).unwrap_or_else(|e| panic!("{}: {e}", self.what));
        parts
            .iter()
            .map(|part| {
                assert_eq!(
                    part.field("content-type"),
                    Some(content_type),
                    "{}: a part's type",
                    self.what
                );
                let cr = part.field("content-range").expect("a part's Content-Range");
                let (start, end, size) = parse_content_range(cr)
                    .unwrap_or_else(|| panic!("{}: Content-Range {cr:?}", self.what));
                assert_eq!(size, file.len(), "{}: {cr}", self.what);
                same_bytes(
                    &part.data,
                    &file[start..=end],
                    &format!("{} part {cr}", self.what),
                );
                (start, end)
            })
            .collect()
    }
}

/// 64 MiB: far more than socket buffers, flow-control windows and the server's read
/// buffers hold, so the server is mid-file when it is truncated.
pub const BIG: usize = 64 << 20;

/// [`BIG`] bytes: a pseudo-random MiB 64 times, each copy numbered, so that a
/// misplaced MiB shows.
pub fn big_file() -> Vec<u8> {
    let block = pattern(1 << 20, 11);
    let mut big = Vec::with_capacity(BIG);
    for i in 0..(BIG >> 20) as u64 {
        big.extend_from_slice(&i.to_le_bytes());
        big.extend_from_slice(&block[8..]);
    }
    big
}

/// Writes `big` (from [`big_file`]) to `path`, asks for it at `url`, and shrinks the
/// file to 2 MiB under the server once 1 MiB arrived: the response must end in an
/// error, never cleanly, and the bytes before the cut must be the file's.
pub async fn assert_truncation_cuts(c: &mut Client, url: &str, path: &std::path::Path, big: &[u8]) {
    std::fs::write(path, big).unwrap();
    let req = c.request(Method::GET, url, &[]);
    let resp = c.send_request(req).await;
    assert_eq!(resp.status(), 200, "{c}: {url}");
    assert_eq!(
        resp.headers()["content-length"],
        big.len().to_string().as_str(),
        "{c}: {url}"
    );
    let mut body = resp.into_body();
    let mut got: Vec<u8> = Vec::new();
    let mut truncated = false;
    let end = loop {
        // A slow reader: 1 MiB, then the file shrinks to 2 MiB under the server.
        if !truncated && got.len() >= 1 << 20 {
            std::fs::File::options()
                .write(true)
                .open(path)
                .unwrap()
                .set_len(2 << 20)
                .unwrap();
            truncated = true;
        }
        let frame = tokio::time::timeout(std::time::Duration::from_secs(20), body.frame())
            .await
            .unwrap_or_else(|_| panic!("{c}: {url}: the response neither went on nor ended"));
        match frame {
            Some(Ok(f)) => {
                if let Ok(data) = f.into_data() {
                    got.extend_from_slice(&data);
                }
            }
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        }
    };
    assert!(
        truncated,
        "{c}: {url}: the body ended after {} bytes",
        got.len()
    );
    assert!(
        end.is_err(),
        "{c}: {url}: a clean end after {} of {} bytes: a short body taken for a whole one",
        got.len(),
        big.len()
    );
    assert!(got.len() < big.len(), "{c}: {url}");
    same_bytes(
        &got,
        &big[..got.len()],
        &format!("{c}: {url}: the bytes before the cut"),
    );
}

/// Compares bodies without printing a megabyte on failure.
pub fn same_bytes(got: &[u8], want: &[u8], what: &str) {
    if got == want {
        return;
    }
    let first = got.iter().zip(want).position(|(a, b)| a != b);
    panic!(
        "{what}: body differs: {} bytes, {} expected; first difference at {:?}",
        got.len(),
        want.len(),
        first.unwrap_or(got.len().min(want.len()))
    );
}

/// `bytes START-END/SIZE`
pub fn parse_content_range(v: &str) -> Option<(usize, usize, usize)> {
    let rest = v.strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let (start, end) = range.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()?, size.parse().ok()?))
}

pub struct Part {
    pub fields: Vec<(String, String)>,
    pub data: Vec<u8>,
}

impl Part {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A multipart body as RFC 2046 §5.1 reads it: the boundary from the Content-Type, an
/// optional preamble, parts of header lines, an empty line and data, each ended by
/// CRLF and the next delimiter, and the closing delimiter.
pub fn parse_multipart(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let mut params = content_type.split(';').map(str::trim);
    let mime = params.next().unwrap_or("");
    if !mime.eq_ignore_ascii_case("multipart/byteranges") {
        return Err(format!("Content-Type {content_type:?}"));
    }
    let boundary = params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim_matches('"'))
        .ok_or_else(|| format!("no boundary in {content_type:?}"))?;
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(format!("boundary {boundary:?}"));
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    // The first delimiter opens the body or follows a preamble line.
    let mut pos = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        find(body, &next_delimiter).ok_or("no delimiter")? + next_delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if let Some(epilogue) = rest.strip_prefix(b"--") {
            if !(epilogue.is_empty() || epilogue == b"\r\n") {
                return Err(format!(
                    "{} bytes after the closing delimiter",
                    epilogue.len()
                ));
            }
            break;
        }
        let rest = rest
            .strip_prefix(b"\r\n")
            .ok_or("no CRLF after a delimiter")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("a part without an empty line")?;
        let head =
            std::str::from_utf8(&rest[..head_end]).map_err(|_| "a part header is not text")?;
        let fields = head
            .split("\r\n")
            .map(|line| {
                let (n, v) = line
                    .split_once(':')
                    .ok_or(format!("part header line {line:?}"))?;
                Ok((n.trim().to_string(), v.trim().to_string()))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let data_start = pos + 2 + head_end + 4;
        let data_len =
            find(&body[data_start..], &next_delimiter).ok_or("a part without its end")?;
        parts.push(Part {
            fields,
            data: body[data_start..data_start + data_len].to_vec(),
        });
        pos = data_start + data_len + next_delimiter.len();
    }
    Ok(parts)
}
