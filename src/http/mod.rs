//! The HTTP layer: protocol drivers (weir's own HTTP/1.1 on plain TCP, hyper for
//! HTTP/2 and for HTTP/1.1 over TLS, quinn + h3 for HTTP/3) and the
//! protocol-independent exchange the handler side works with.

pub mod body;
pub mod coalesce;
pub mod date;
pub mod exchange;
pub mod fields;
pub mod files;
pub mod h1;
pub mod h3;
pub mod h3_guard;
pub mod server;
pub mod streams;
pub mod tls;

/// The most a lingering close (HTTP/1.1's `h1::linger`, the others' `FlushAfter`)
/// reads and drops before it closes anyway.
pub(crate) const LINGER_BYTES: usize = 4 << 20;

/// `len` items of scratch space: the front of `stack` when they fit (no allocation per
/// request for the common sizes), else `heap` grown to `len`.
pub(crate) fn scratch<'a, T: Clone>(
    stack: &'a mut [T],
    heap: &'a mut Vec<T>,
    len: usize,
    fill: T,
) -> &'a mut [T] {
    if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, fill);
        &mut heap[..len]
    }
}

/// A length in a `Content-Length` field: decimal digits only (no sign, no spaces), at
/// most 19 of them, which always fit.
pub(crate) fn content_length(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |n, &d| n * 10 + u64::from(d - b'0')))
}

/// An `Expect` value asking for `100 Continue` (RFC 9110, 10.1.1), the one
/// expectation there is: as Node reads it, one of its comma-separated elements.
pub(crate) fn is_continue(value: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"100-continue"))
}

/// What weir answers itself, before any handler, to a request hyper or HTTP/3 parsed
/// (weir's own HTTP/1.1 parser refuses the same in `h1::parse_head`): `*` as the
/// target of a method other than `OPTIONS` (RFC 9112 §3.2.4, RFC 9113 §8.3.1), `400`;
/// `CONNECT`, `501` (weir opens no tunnels); an expectation weir cannot meet, `417`
/// (HTTP/1.0 requests' expectations are ignored); a method not in upper case, `400`
/// (see [`plain_method`]); more fields than `max_headers`, `431`.
pub(crate) fn refusal(
    parts: &http::request::Parts,
    max_headers: usize,
) -> Option<http::StatusCode> {
    // More fields than --max-headers: 431, as weir's HTTP/1.1 parser answers. (Over
    // HTTP/2 and HTTP/3 the fields arrive parsed; `--max-header-bytes` bounded them.)
    // A browser sends each cookie as a field of its own there (RFC 9113 §8.2.3): they
    // count as the one `Cookie` line HTTP/1.1 would carry.
    // Over HTTP/2 and HTTP/3, `:authority` stands for the `Host` line HTTP/1.1 counts.
    let cookies = parts.headers.get_all(http::header::COOKIE).iter().count();
    let authority = usize::from(
        parts.version >= http::Version::HTTP_2
            && parts.uri.authority().is_some()
            && !parts.headers.contains_key(http::header::HOST),
    );
    if parts.headers.len() + authority - cookies.saturating_sub(1) > max_headers {
        return Some(http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    }
    if !plain_method(parts.method.as_str().as_bytes()) {
        return Some(http::StatusCode::BAD_REQUEST);
    }
    if parts.uri.path() == "*" && parts.method != http::Method::OPTIONS {
        return Some(http::StatusCode::BAD_REQUEST);
    }
    if parts.method == http::Method::CONNECT {
        return Some(http::StatusCode::NOT_IMPLEMENTED);
    }
    if parts.version != http::Version::HTTP_10 && unmet_expectation(&parts.headers) {
        return Some(http::StatusCode::EXPECTATION_FAILED);
    }
    None
}

/// Whether a method is spelt as methods are: upper-case letters, `_` and `-`, as
/// nginx requires. Methods are case-sensitive (RFC 9110 §9.1): `get` is not `GET`, and
/// a handler comparing `req.method` to `'GET'` would take it for some other method.
pub(crate) fn plain_method(method: &[u8]) -> bool {
    method
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b == b'_' || b == b'-')
}

/// An `Expect` field weir cannot meet, to be answered 417 (as Node answers it).
fn unmet_expectation(headers: &http::HeaderMap) -> bool {
    headers
        .get(http::header::EXPECT)
        .is_some_and(|v| !is_continue(v.as_bytes()))
}

/// A status whose response has no body (RFC 9110, 6.4.1): 1xx, 204 and 304.
pub(crate) fn bodiless(status: http::StatusCode) -> bool {
    status.is_informational()
        || status == http::StatusCode::NO_CONTENT
        || status == http::StatusCode::NOT_MODIFIED
}

/// Tells tokio that a read shorter than its buffer drained `stream`: its readiness is
/// forgotten now, rather than learnt from one more read that fails with EAGAIN (one
/// system call per request saved). tokio's own `poll_read` does the same; data that
/// arrives meanwhile brings a new epoll event, which this does not clear.
pub(crate) fn read_drained(stream: &tokio::net::TcpStream) {
    let _ = stream.try_io(tokio::io::Interest::READABLE, || {
        Err::<(), _>(std::io::ErrorKind::WouldBlock.into())
    });
}

/// Of `len` body bytes written after `before` other bytes (a head, chunk framing),
/// those the socket did not take when it took `taken` in all: what the count of
/// bytes sent gives back for a write that did not finish.
pub(crate) fn not_taken(len: u64, before: u64, taken: u64) -> u64 {
    len - taken.saturating_sub(before).min(len)
}
