//! Serving a file from disk as a response, natively: the planner in `media::range`
//! decides what to send (200, 206 with one range or multipart/byteranges, 304, 412,
//! 416), and the bytes go from the file (io_uring or the blocking pool, see
//! `io::file`) to the connection without passing through JavaScript, paced by the
//! response's backpressure. A file that turns out shorter than planned (truncated
//! while being sent) cuts the response: a client never takes a short body for a
//! complete one.

use crate::http::exchange::{Exchange, HttpWorker};
use crate::io::file::{FileReader, FileSource, OpenFile};
use crate::io::ByteSource;
use crate::media::range::{self, FileMeta, Payload, Piece, RangeLimits};
use crate::media::{conditional, mime, path};
use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::SystemTime;

/// What to send and how.
#[derive(Default)]
pub struct SendFile {
    /// With a root, `path` is a URL path confined under it (`..`, encoded or not,
    /// and symbolic links leaving it are refused); without, a file-system path used
    /// as given.
    pub root: Option<PathBuf>,
    pub path: String,
    /// Replaces the Content-Type taken from the file's extension.
    pub content_type: Option<HeaderValue>,
    /// Added to every answer that has a body or validators (200, 206, 304), after
    /// weir's own; a name given here replaces weir's, except the fields that frame the
    /// body or validate it (Content-Length, Content-Range, Transfer-Encoding,
    /// Accept-Ranges, ETag, Last-Modified, and the Content-Type of a multipart body),
    /// which are dropped.
    pub headers: HeaderMap,
    pub ranges: RangeLimits,
    /// A missing file is answered 404 (`false`) or left to the caller (`true`).
    pub fallthrough: bool,
}

/// How a send ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Sent {
    /// This status was sent, the body handed to the connection.
    Status(u16),
    /// The client went away first.
    ClientGone,
    /// Nothing was sent (`fallthrough` and no such file): the caller responds.
    NotFound,
}

fn plain(
    worker: &Rc<HttpWorker>,
    ex: &Rc<Exchange>,
    status: StatusCode,
    extra: &[(header::HeaderName, String)],
) -> Sent {
    let text = format!("{}\n", status.canonical_reason().unwrap_or(""));
    let mut r = Response::new(());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            r.headers_mut().insert(name.clone(), v);
        }
    }
    if ex.respond(r, worker.limits.body_buffer).is_none() {
        return Sent::ClientGone;
    }
    ex.try_write(Bytes::from(text));
    ex.end(None);
    Sent::Status(status.as_u16())
}

/// Answers `ex` with a file.
pub async fn send(
    worker: &Rc<HttpWorker>,
    ex: &Rc<Exchange>,
    reader: &Rc<FileReader>,
    opts: SendFile,
) -> Sent {
    let url_path = match opts.path.find(['?', '#']) {
        Some(i) => &opts.path[..i],
        None => &opts.path[..],
    };
    let opened = match &opts.root {
        Some(root) => open_under(worker, reader, root, url_path).await,
        None => reader
            .open(Path::new(url_path))
            .await
            .map(|f| (f, PathBuf::from(url_path))),
    };
    let (file, file_path) = match opened {
        Ok(f) => f,
        Err(e) => {
            let status = match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::IsADirectory => {
                    StatusCode::NOT_FOUND
                }
                std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::InvalidInput => {
                    StatusCode::FORBIDDEN
                }
                // A folder named without its slash: send the client where it asked,
                // with the slash (the file path may be mapped from another URL).
                std::io::ErrorKind::Other if e.to_string() == REDIRECT => {
                    // One leading slash only: `//name/` would be a reference to the
                    // host `name` (RFC 3986 §4.2), a redirect off the site.
                    let path = format!("/{}", ex.uri.path().trim_start_matches('/'));
                    let location = match ex.uri.query() {
                        Some(q) => format!("{path}/?{q}"),
                        None => format!("{path}/"),
                    };
                    return plain(
                        worker,
                        ex,
                        StatusCode::MOVED_PERMANENTLY,
                        &[(header::LOCATION, location)],
                    );
                }
                _ => {
                    tracing::error!("cannot open {url_path}: {e}");
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            };
            if status == StatusCode::NOT_FOUND && opts.fallthrough {
                return Sent::NotFound;
            }
            return plain(worker, ex, status, &[]);
        }
    };
    let content_type = opts
        .content_type
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| mime::content_type(&file_path.to_string_lossy()))
        .to_owned();
    respond(
        worker,
        ex,
        reader,
        file,
        &content_type,
        opts.headers,
        opts.ranges,
    )
    .await
}

/// What the built-in handler serves.
pub struct NativeRoot {
    /// The canonical folder.
    pub root: PathBuf,
    /// Fields added to its file answers (`--cache-control`).
    pub headers: HeaderMap,
}

/// The built-in handler, in Rust: the files under `root` for GET and HEAD, 405 with
/// `Allow` for other methods.
pub async fn serve_root(
    worker: Rc<HttpWorker>,
    ex: Rc<Exchange>,
    reader: Rc<FileReader>,
    native: Rc<NativeRoot>,
) {
    if ex.method != http::Method::GET && ex.method != http::Method::HEAD {
        let text = "Method Not Allowed\n";
        let mut r = Response::new(());
        *r.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        r.headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
        if ex.respond(r, worker.limits.body_buffer).is_some() {
            ex.try_write(Bytes::from_static(text.as_bytes()));
            ex.end(None);
        }
        return;
    }
    // The path (`/` for an absolute-form target without one, whose `path_and_query`
    // would be the query alone), then the query.
    let path = match ex.uri.query() {
        Some(q) => format!("{}?{q}", ex.uri.path()),
        None => ex.uri.path().to_owned(),
    };
    let opts = SendFile {
        root: Some(native.root.clone()),
        path,
        headers: native.headers.clone(),
        ..Default::default()
    };
    send(&worker, &ex, &reader, opts).await;
}

const REDIRECT: &str = "a folder without its trailing slash";

/// Opens the file `url_path` names under `root`, confined by the kernel (see
/// `FileReader::open_beneath`): `index.html` for a folder named with its trailing
/// slash; a folder without it is an error whose message is [`REDIRECT`]. Returns the
/// file and its path relative to the root (for its content type).
async fn open_under(
    worker: &Rc<HttpWorker>,
    reader: &Rc<FileReader>,
    root: &Path,
    url_path: &str,
) -> std::io::Result<(Rc<crate::io::file::OpenFile>, PathBuf)> {
    use crate::io::file::Opened;
    let denied = || {
        std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "not a path under the root",
        )
    };
    let rel = path::relative_path(url_path).map_err(|e| match e {
        path::PathError::Forbidden => denied(),
        path::PathError::NotFound => std::io::Error::from(std::io::ErrorKind::NotFound),
    })?;
    let root = worker.root_dir(root)?;
    match reader.open_beneath(&root, &rel).await? {
        // `/a.mp4/` names a folder, not the file (nginx answers 404 too): served, it
        // would give each file a second URL, against which a page's relative links
        // resolve elsewhere.
        Opened::File(_) if names_folder(url_path) => {
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        }
        Opened::File(f) => Ok((f, rel)),
        Opened::Directory if !names_folder(url_path) => Err(std::io::Error::other(REDIRECT)),
        Opened::Directory => {
            let index = rel.join("index.html");
            let file = reader.open_beneath(&root, &index).await?.into_file()?;
            Ok((file, index))
        }
    }
}

/// Whether a URL path ends in a slash, written or percent-encoded.
fn names_folder(url_path: &str) -> bool {
    let b = url_path.as_bytes();
    b.ends_with(b"/") || (b.len() >= 3 && b[b.len() - 3..].eq_ignore_ascii_case(b"%2f"))
}

/// Plans and sends the answer for an open file.
async fn respond(
    worker: &Rc<HttpWorker>,
    ex: &Rc<Exchange>,
    reader: &Rc<FileReader>,
    file: Rc<OpenFile>,
    content_type: &str,
    extra: HeaderMap,
    ranges: RangeLimits,
) -> Sent {
    let meta = FileMeta {
        size: file.size,
        modified: file.mtime,
        etag: conditional::etag(file.size, file.mtime, file.inode),
    };
    let now = SystemTime::now();
    let plan = range::plan(&ex.method, ex.headers(), &meta, ranges, now);
    let boundary = range::boundary(
        u64::from(ex.id)
            ^ now
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0),
    );
    let (mut parts, payload) =
        range::response(plan, &meta, content_type, &boundary, now).into_parts();
    let status = parts.status;
    if matches!(
        status,
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) {
        let multipart = matches!(payload, Payload::Multipart(_));
        let mut last: Option<header::HeaderName> = None;
        for (name, value) in extra {
            // HeaderMap's iterator names a field once, then `None` for its repeats.
            let name = match name {
                Some(n) => n,
                None => match &last {
                    Some(n) => n.clone(),
                    None => continue,
                },
            };
            // The framing and the validators are the file's: a handler's value would
            // make clients cut the body short or mismatch conditional requests. The
            // type of a multipart body is its boundary; a 304 has no content type.
            let owned = name == header::CONTENT_LENGTH
                || name == header::CONTENT_RANGE
                || name == header::TRANSFER_ENCODING
                || name == header::ACCEPT_RANGES
                || name == header::ETAG
                || name == header::LAST_MODIFIED
                || (name == header::CONTENT_TYPE
                    && (multipart || status == StatusCode::NOT_MODIFIED));
            if owned {
                last = None;
                continue;
            }
            if last.as_ref() != Some(&name) {
                parts.headers.remove(&name);
                last = Some(name.clone());
            }
            parts.headers.append(name, value);
        }
    }
    if ex
        .respond(Response::from_parts(parts, ()), worker.limits.body_buffer)
        .is_none()
    {
        return Sent::ClientGone;
    }
    if ex.is_head_request() {
        ex.end(None);
        return Sent::Status(status.as_u16());
    }
    let sent = match payload {
        Payload::Empty => true,
        Payload::File(r) => copy(ex, reader, &file, r).await,
        Payload::Multipart(body) => {
            let mut ok = true;
            for piece in body.pieces {
                ok = match piece {
                    Piece::Text(t) => write(ex, Bytes::from(t)).await,
                    Piece::File(r) => copy(ex, reader, &file, r).await,
                };
                if !ok {
                    break;
                }
            }
            ok
        }
    };
    if !sent {
        return Sent::ClientGone;
    }
    ex.end(None);
    Sent::Status(status.as_u16())
}

async fn write(ex: &Rc<Exchange>, chunk: Bytes) -> bool {
    match ex.try_write(chunk.clone()) {
        Some(true) => true,
        None => false,
        Some(false) => ex.clone().write(chunk).await,
    }
}

/// Copies one byte range of the file into the response. On a read error (a file
/// truncated under us, an I/O error) the response is cut and `false` returned, as
/// when the client is gone.
async fn copy(
    ex: &Rc<Exchange>,
    reader: &Rc<FileReader>,
    file: &Rc<OpenFile>,
    r: range::ByteRange,
) -> bool {
    if ex.sendfile.get() {
        // The connection sends the bytes from the page cache itself; a file that
        // turns out shorter cuts the connection there.
        // Settles once the region is on the socket, as reads through the pool do.
        let (done, sent) = tokio::sync::oneshot::channel();
        let region = crate::http::body::FileRegion {
            file: file.file.clone(),
            offset: r.start,
            len: r.len(),
            done: Some(done),
        };
        if !ex.send_file_region(region) {
            return false;
        }
        return sent.await.unwrap_or(false);
    }
    let source = FileSource::new(
        reader.clone(),
        file.clone(),
        r.start,
        r.end,
        reader.buffer_size(),
    );
    loop {
        match source.next().await {
            Ok(Some(chunk)) => {
                if !write(ex, chunk).await {
                    source.cancel();
                    return false;
                }
            }
            Ok(None) => return true,
            Err(e) => {
                tracing::warn!("cutting the response: {e}");
                ex.abort(StatusCode::INTERNAL_SERVER_ERROR);
                return false;
            }
        }
    }
}
