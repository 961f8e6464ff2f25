//! Serving a file from disk as a response, natively: the bytes go from the file to
//! the connection without passing through JavaScript, paced by the response's
//! backpressure. (Ranges, conditional requests and io_uring come with the VOD
//! feature; reads here run on tokio's blocking pool.)

use crate::http::exchange::{Exchange, HttpWorker};
use crate::media::{mime, path};
use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

const CHUNK: usize = 256 * 1024;

fn plain(worker: &Rc<HttpWorker>, ex: &Rc<Exchange>, status: StatusCode) -> bool {
    let text = format!("{}\n", status.canonical_reason().unwrap_or(""));
    let mut r = Response::new(());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(text.len()));
    if ex.respond(r, worker.limits.body_buffer, worker).is_none() {
        return false;
    }
    ex.try_write(Bytes::from(text));
    ex.end(None);
    true
}

/// Answers `ex` with the file `url_path` names under `root`. Returns false when the
/// client went away first.
pub async fn send(worker: &Rc<HttpWorker>, ex: &Rc<Exchange>, root: &Path, url_path: &str) -> bool {
    let url_path = url_path.split(['?', '#']).next().unwrap_or("/");
    let Ok(root) = std::fs::canonicalize(root) else {
        return plain(worker, ex, StatusCode::NOT_FOUND);
    };
    let file_path = match path::resolve(&root, url_path) {
        Ok(p) if p.is_dir() => match path::resolve(
            &root,
            &format!("{}/index.html", url_path.trim_end_matches('/')),
        ) {
            Ok(p) => p,
            Err(_) => return plain(worker, ex, StatusCode::NOT_FOUND),
        },
        Ok(p) => p,
        Err(path::PathError::NotFound) => return plain(worker, ex, StatusCode::NOT_FOUND),
        Err(path::PathError::Forbidden) => return plain(worker, ex, StatusCode::FORBIDDEN),
    };
    let fp = file_path.clone();
    let opened = tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&fp)?;
        let len = f.metadata()?.len();
        Ok::<_, std::io::Error>((f, len))
    })
    .await;
    let (mut file, len) = match opened {
        Ok(Ok(v)) => v,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return plain(worker, ex, StatusCode::FORBIDDEN)
        }
        _ => return plain(worker, ex, StatusCode::NOT_FOUND),
    };
    let mut r = Response::new(());
    let ctype = mime::content_type(&file_path.to_string_lossy());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    r.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    if ex.respond(r, worker.limits.body_buffer, worker).is_none() {
        return false;
    }
    if ex.is_head_request() || len == 0 {
        ex.end(None);
        return true;
    }
    let mut sent: u64 = 0;
    while sent < len {
        let want = CHUNK.min((len - sent) as usize);
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; want];
            let mut filled = 0;
            while filled < want {
                match file.read(&mut buf[filled..]) {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return (file, Err(e)),
                }
            }
            buf.truncate(filled);
            (file, Ok(buf))
        })
        .await;
        let chunk = match read {
            Ok((f, Ok(buf))) if !buf.is_empty() => {
                file = f;
                buf
            }
            // Truncated under us, or unreadable: cut the response rather than end it
            // short as if it were complete.
            _ => {
                ex.abort(StatusCode::INTERNAL_SERVER_ERROR);
                return true;
            }
        };
        sent += chunk.len() as u64;
        if !ex.clone().write(Bytes::from(chunk)).await {
            return false;
        }
    }
    ex.end(None);
    true
}
