//! The planner of a file response: given the request (method, `Range` and the `If-*`
//! fields) and the file's metadata, what to send: 304, 412, the whole file, one byte
//! range, several as multipart/byteranges, or 416 (RFC 9110 §13 and §14, and nginx's
//! choices where the RFC leaves room). It also lays out the multipart body and the
//! header fields of each answer, so the code that copies bytes only follows the plan.
//! It does no I/O and reads no clock: sizes, times and the boundary's randomness are
//! inputs, and it never looks at the file's bytes.
//!
//! Choices made here, each with a test:
//! - a `Range` that does not parse, uses another unit or has `last < first` anywhere is
//!   ignored (200 with the whole file), as RFC 9110 allows; nginx answers 416 to some
//!   of these;
//! - ranges are kept in the client's order and not merged; more satisfiable ranges
//!   than [`RangeLimits::max_ranges`], or ranges adding up to more than the file
//!   (heavy overlap), get the whole file (nginx's rule);
//! - HEAD is planned as GET, 206 included, as nginx does, so a HEAD tells what the GET
//!   would send;
//! - on an empty file, a suffix range (`-n`, n > 0) is satisfiable for the RFC but has
//!   no bytes to show, so the answer is a 200 with the (empty) file; any other range is
//!   416.

use super::conditional::{self, field, Field, Verdict};
use http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use std::cmp::Ordering;
use std::time::SystemTime;

/// What the planner needs to know about the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub size: u64,
    pub modified: SystemTime,
    /// As sent in `ETag`, quotes included; see [`conditional::etag`].
    pub etag: String,
}

/// Bounds on what a Range request may make the server do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeLimits {
    /// More satisfiable ranges than this in one request: the whole file is sent instead
    /// (nginx's `max_ranges`). 0 disables ranges.
    pub max_ranges: usize,
}

impl Default for RangeLimits {
    fn default() -> Self {
        Self { max_ranges: 16 }
    }
}

/// Bytes `start..=end` of a file; never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    /// The number of bytes, at least 1.
    #[allow(clippy::len_without_is_empty)] // a range is never empty
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }
}

/// What to send for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// 304, validators only.
    NotModified,
    /// 412, nothing of the file.
    PreconditionFailed,
    /// 200 with the whole file.
    Full,
    /// 206 with one range and its Content-Range.
    Single(ByteRange),
    /// 206 multipart/byteranges, the ranges in the client's order (two or more).
    Multi(Vec<ByteRange>),
    /// 416 with `Content-Range: bytes */SIZE`.
    Unsatisfiable,
}

impl Plan {
    /// The status code of the response.
    pub fn status(&self) -> StatusCode {
        match self {
            Plan::NotModified => StatusCode::NOT_MODIFIED,
            Plan::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Plan::Full => StatusCode::OK,
            Plan::Single(_) | Plan::Multi(_) => StatusCode::PARTIAL_CONTENT,
            Plan::Unsatisfiable => StatusCode::RANGE_NOT_SATISFIABLE,
        }
    }
}

/// Plans the response to `method` with `headers` for the file `meta` describes:
/// preconditions first ([`conditional::evaluate`]), then, for GET and HEAD, `If-Range`
/// ([`conditional::if_range_matches`]; when false, Range is ignored) and `Range`
/// ([`plan_ranges`]). Without a single `Range` field the answer is never a 206.
pub fn plan(
    method: &Method,
    headers: &HeaderMap,
    meta: &FileMeta,
    limits: RangeLimits,
    now: SystemTime,
) -> Plan {
    match conditional::evaluate(method, headers, &meta.etag, meta.modified, now) {
        Verdict::NotModified => return Plan::NotModified,
        Verdict::PreconditionFailed => return Plan::PreconditionFailed,
        Verdict::Proceed => {}
    }
    if method != Method::GET && method != Method::HEAD {
        return Plan::Full;
    }
    let Field::One(range) = field(headers, &header::RANGE) else {
        return Plan::Full;
    };
    match field(headers, &header::IF_RANGE) {
        Field::Absent => {}
        Field::One(v) if conditional::if_range_matches(v, &meta.etag, meta.modified, now) => {}
        _ => return Plan::Full,
    }
    match range.to_str() {
        Ok(v) => plan_ranges(v.trim_matches([' ', '\t']), meta.size, limits),
        Err(_) => Plan::Full,
    }
}

/// A decimal position as written: compared exactly whatever its length, and read as
/// `None` when it is past `u64::MAX` (so past the end of any file).
#[derive(Clone, Copy)]
struct Decimal<'a>(&'a str);

impl<'a> Decimal<'a> {
    fn parse(s: &'a str) -> Option<Self> {
        (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())).then_some(Self(s))
    }

    fn significant(&self) -> &'a str {
        self.0.trim_start_matches('0')
    }

    fn value(&self) -> Option<u64> {
        match self.significant() {
            "" => Some(0),
            s => s.parse().ok(),
        }
    }

    fn less_than(&self, other: &Self) -> bool {
        let (a, b) = (self.significant(), other.significant());
        a.len().cmp(&b.len()).then_with(|| a.cmp(b)) == Ordering::Less
    }
}

/// What a `Range` value (`bytes=0-99,-50`) asks of a file of `size` bytes, preconditions
/// and `If-Range` aside: `Full` when the value is to be ignored (not the `bytes` unit, a
/// syntax error or `last < first` anywhere, more satisfiable ranges than
/// `limits.max_ranges`, ranges adding up to more than the file), `Unsatisfiable` when
/// no range has a byte in the file, otherwise `Single` or `Multi` with the satisfiable
/// ranges, clamped to the file, in the order given.
pub fn plan_ranges(value: &str, size: u64, limits: RangeLimits) -> Plan {
    let Some((unit, set)) = value.split_once('=') else {
        return Plan::Full;
    };
    if !unit.eq_ignore_ascii_case("bytes") {
        return Plan::Full;
    }
    let mut ranges = Vec::new();
    let mut total: u128 = 0;
    let mut specs = 0usize;
    // A suffix range on an empty file: satisfiable, yet without a byte to send.
    let mut empty_suffix = false;
    // The list rule: empty elements and whitespace around elements are allowed, none
    // inside one.
    for spec in set.split(',').map(|s| s.trim_matches([' ', '\t'])) {
        if spec.is_empty() {
            continue;
        }
        specs += 1;
        let Some((first, last)) = spec.split_once('-') else {
            return Plan::Full;
        };
        let range = if first.is_empty() {
            let Some(suffix) = Decimal::parse(last) else {
                return Plan::Full;
            };
            match suffix.value() {
                Some(0) => None,
                _ if size == 0 => {
                    empty_suffix = true;
                    None
                }
                Some(n) if n < size => Some(ByteRange {
                    start: size - n,
                    end: size - 1,
                }),
                _ => Some(ByteRange {
                    start: 0,
                    end: size - 1,
                }),
            }
        } else {
            let Some(first) = Decimal::parse(first) else {
                return Plan::Full;
            };
            let last = match last {
                "" => None,
                s => match Decimal::parse(s) {
                    Some(last) if last.less_than(&first) => return Plan::Full,
                    Some(last) => Some(last),
                    None => return Plan::Full,
                },
            };
            match first.value() {
                Some(start) if start < size => {
                    let end = last
                        .and_then(|l| l.value())
                        .map_or(size - 1, |l| l.min(size - 1));
                    Some(ByteRange { start, end })
                }
                _ => None,
            }
        };
        if let Some(r) = range {
            ranges.push(r);
            total += u128::from(r.len());
            if ranges.len() > limits.max_ranges {
                return Plan::Full;
            }
        }
    }
    if specs == 0 || (ranges.is_empty() && empty_suffix) {
        return Plan::Full;
    }
    match ranges.len() {
        0 => Plan::Unsatisfiable,
        1 => Plan::Single(ranges[0]),
        _ if total > u128::from(size) => Plan::Full,
        _ => Plan::Multi(ranges),
    }
}

/// `Content-Range` of a partial response: `bytes START-END/SIZE`.
pub fn content_range(r: ByteRange, size: u64) -> String {
    format!("bytes {}-{}/{}", r.start, r.end, size)
}

/// `Content-Range` of a 416: `bytes */SIZE`.
pub fn unsatisfied_content_range(size: u64) -> String {
    format!("bytes */{size}")
}

/// A multipart boundary from a random `seed`: 16 hex digits, a different one for each
/// seed. The seed must come from a source the client cannot predict, or a file could be
/// made to contain the delimiter.
pub fn boundary(seed: u64) -> String {
    // SplitMix64's finalizer (a bijection), so nearby seeds give unrelated boundaries.
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    format!("{:016x}", z ^ (z >> 31))
}

/// One piece of a multipart/byteranges body, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Delimiter and part header lines, or the closing delimiter: send as is.
    Text(String),
    /// Bytes of the file to copy.
    File(ByteRange),
}

impl Piece {
    #[allow(clippy::len_without_is_empty)] // no piece is empty
    pub fn len(&self) -> u64 {
        match self {
            Piece::Text(t) => t.len() as u64,
            Piece::File(r) => r.len(),
        }
    }
}

/// A multipart/byteranges body laid out (RFC 9110 §14.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Multipart {
    /// `multipart/byteranges; boundary=...`, the response's Content-Type.
    pub content_type: String,
    /// Part headers and file ranges in order, then the closing delimiter.
    pub pieces: Vec<Piece>,
    /// The exact body length: the sum of the pieces (saturating at `u64::MAX`, which
    /// no file comes near: file sizes stay below 2^63).
    pub content_length: u64,
}

/// Lays out the multipart/byteranges body for `ranges` of a file of `size` bytes whose
/// own type is `content_type` (no Content-Type line in the parts when it is empty or
/// not a valid field value). Following RFC 2046 §5.1.1, the CRLF before each delimiter
/// belongs to the delimiter, so the body starts with `--BOUNDARY`, each later part with
/// `\r\n--BOUNDARY`, and it ends with `\r\n--BOUNDARY--\r\n` (nginx also puts a CRLF
/// before the first delimiter; both are valid). `boundary` as made by [`boundary`].
pub fn multipart(ranges: &[ByteRange], content_type: &str, size: u64, boundary: &str) -> Multipart {
    debug_assert!(
        (1..=70).contains(&boundary.len())
            && boundary
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"'()+_,-./:=?".contains(&c))
    );
    let type_line = HeaderValue::from_str(content_type).is_ok() && !content_type.is_empty();
    let mut pieces = Vec::with_capacity(ranges.len() * 2 + 1);
    for (i, &r) in ranges.iter().enumerate() {
        let mut head = String::new();
        if i > 0 {
            head.push_str("\r\n");
        }
        head.push_str("--");
        head.push_str(boundary);
        head.push_str("\r\n");
        if type_line {
            head.push_str("Content-Type: ");
            head.push_str(content_type);
            head.push_str("\r\n");
        }
        head.push_str("Content-Range: ");
        head.push_str(&content_range(r, size));
        head.push_str("\r\n\r\n");
        pieces.push(Piece::Text(head));
        pieces.push(Piece::File(r));
    }
    pieces.push(Piece::Text(format!("\r\n--{boundary}--\r\n")));
    let content_length = pieces
        .iter()
        .fold(0u64, |sum, p| sum.saturating_add(p.len()));
    Multipart {
        content_type: format!("multipart/byteranges; boundary={boundary}"),
        pieces,
        content_length,
    }
}

/// The body a GET is answered with (a HEAD gets the same head and no body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// No content: 304, 412, 416, and the whole of an empty file.
    Empty,
    /// These bytes of the file: the whole file (200) or one range (206).
    File(ByteRange),
    /// A multipart/byteranges body (206).
    Multipart(Multipart),
}

/// The status and header fields of a plan's response, with the body to send:
///
/// | plan | status | header fields |
/// |---|---|---|
/// | `Full` | 200 | Accept-Ranges, ETag, Last-Modified, Content-Type, Content-Length |
/// | `Single` | 206 | the same, and Content-Range |
/// | `Multi` | 206 | Accept-Ranges, ETag, Last-Modified, Content-Type: multipart/byteranges, Content-Length |
/// | `NotModified` | 304 | ETag, Last-Modified |
/// | `PreconditionFailed` | 412 | Content-Length: 0 |
/// | `Unsatisfiable` | 416 | Accept-Ranges, Content-Range: `bytes */SIZE`, Content-Length: 0 |
///
/// `content_type` is the file's, `boundary` (from [`boundary`]) is used by `Multi`
/// only. Last-Modified is the file's mtime, or `now` if that is later (RFC 9110
/// §8.8.2.1). Content-Length is exact for the payload; a caller that wants a text body
/// on 412 or 416 replaces it.
pub fn response(
    plan: Plan,
    meta: &FileMeta,
    content_type: &str,
    boundary: &str,
    now: SystemTime,
) -> Response<Payload> {
    let status = plan.status();
    let mut h = HeaderMap::new();
    let validators = |h: &mut HeaderMap| {
        if let Ok(v) = HeaderValue::from_str(&meta.etag) {
            h.insert(header::ETAG, v);
        }
        let last_modified = conditional::http_date(meta.modified.min(now));
        h.insert(
            header::LAST_MODIFIED,
            HeaderValue::from_str(&last_modified).unwrap(),
        );
    };
    let accept_ranges = |h: &mut HeaderMap| {
        h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    };
    let file_type = HeaderValue::from_str(content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let payload = match plan {
        Plan::NotModified => {
            validators(&mut h);
            Payload::Empty
        }
        Plan::PreconditionFailed => {
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            Payload::Empty
        }
        Plan::Unsatisfiable => {
            accept_ranges(&mut h);
            h.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&unsatisfied_content_range(meta.size)).unwrap(),
            );
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(0));
            Payload::Empty
        }
        Plan::Full => {
            accept_ranges(&mut h);
            validators(&mut h);
            h.insert(header::CONTENT_TYPE, file_type);
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(meta.size));
            match meta.size {
                0 => Payload::Empty,
                n => Payload::File(ByteRange {
                    start: 0,
                    end: n - 1,
                }),
            }
        }
        Plan::Single(r) => {
            accept_ranges(&mut h);
            validators(&mut h);
            h.insert(header::CONTENT_TYPE, file_type);
            h.insert(
                header::CONTENT_RANGE,
                HeaderValue::from_str(&content_range(r, meta.size)).unwrap(),
            );
            h.insert(header::CONTENT_LENGTH, HeaderValue::from(r.len()));
            Payload::File(r)
        }
        Plan::Multi(ranges) => {
            let body = multipart(&ranges, content_type, meta.size, boundary);
            accept_ranges(&mut h);
            validators(&mut h);
            if let Ok(v) = HeaderValue::from_str(&body.content_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            h.insert(
                header::CONTENT_LENGTH,
                HeaderValue::from(body.content_length),
            );
            Payload::Multipart(body)
        }
    };
    let mut r = Response::new(payload);
    *r.status_mut() = status;
    *r.headers_mut() = h;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    const SIZE: u64 = 1000;
    const MTIME: u64 = 1_704_164_645;
    const ETAG: &str = "\"65937d25.75bcd15-3e8-2a\"";

    fn meta(size: u64) -> FileMeta {
        FileMeta {
            size,
            modified: UNIX_EPOCH + Duration::new(MTIME, 123_456_789),
            etag: ETAG.to_string(),
        }
    }

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(MTIME + 86_400)
    }

    fn r(start: u64, end: u64) -> ByteRange {
        ByteRange { start, end }
    }

    fn ranges(value: &str) -> Plan {
        plan_ranges(value, SIZE, RangeLimits::default())
    }

    fn headers(fields: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in fields {
            h.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    fn plan_for(method: Method, size: u64, fields: &[(header::HeaderName, &str)]) -> Plan {
        plan(
            &method,
            &headers(fields),
            &meta(size),
            RangeLimits::default(),
            now(),
        )
    }

    fn get(fields: &[(header::HeaderName, &str)]) -> Plan {
        plan_for(Method::GET, SIZE, fields)
    }

    fn last_modified() -> String {
        conditional::http_date(meta(SIZE).modified)
    }

    #[test]
    fn a_single_range_is_206_with_those_bytes() {
        assert_eq!(ranges("bytes=0-9"), Plan::Single(r(0, 9)));
        assert_eq!(ranges("bytes=500-500"), Plan::Single(r(500, 500)));
        assert_eq!(ranges("bytes=999-999"), Plan::Single(r(999, 999)));
    }

    #[test]
    fn an_open_range_runs_to_the_last_byte() {
        assert_eq!(ranges("bytes=990-"), Plan::Single(r(990, 999)));
        assert_eq!(ranges("bytes=0-"), Plan::Single(r(0, 999)));
    }

    #[test]
    fn a_suffix_range_takes_the_last_bytes() {
        assert_eq!(ranges("bytes=-1"), Plan::Single(r(999, 999)));
        assert_eq!(ranges("bytes=-100"), Plan::Single(r(900, 999)));
    }

    #[test]
    fn a_suffix_longer_than_the_file_is_the_whole_file_as_206() {
        assert_eq!(ranges("bytes=-1000"), Plan::Single(r(0, 999)));
        assert_eq!(ranges("bytes=-5000"), Plan::Single(r(0, 999)));
    }

    #[test]
    fn an_end_beyond_the_file_is_clamped_to_the_last_byte() {
        assert_eq!(ranges("bytes=900-5000"), Plan::Single(r(900, 999)));
        assert_eq!(ranges("bytes=0-999"), Plan::Single(r(0, 999)));
    }

    #[test]
    fn a_range_starting_at_or_past_the_size_is_unsatisfiable() {
        assert_eq!(ranges("bytes=1000-"), Plan::Unsatisfiable);
        assert_eq!(ranges("bytes=1000-2000"), Plan::Unsatisfiable);
        assert_eq!(ranges("bytes=5000-"), Plan::Unsatisfiable);
    }

    #[test]
    fn a_zero_suffix_is_unsatisfiable() {
        assert_eq!(ranges("bytes=-0"), Plan::Unsatisfiable);
        assert_eq!(ranges("bytes=-000"), Plan::Unsatisfiable);
    }

    #[test]
    fn unsatisfiable_ranges_are_dropped_beside_a_satisfiable_one() {
        assert_eq!(ranges("bytes=2000-,0-9"), Plan::Single(r(0, 9)));
        assert_eq!(ranges("bytes=-0,5-6,1000-"), Plan::Single(r(5, 6)));
    }

    #[test]
    fn all_ranges_unsatisfiable_is_416() {
        assert_eq!(ranges("bytes=1000-,2000-3000,-0"), Plan::Unsatisfiable);
    }

    #[test]
    fn two_ranges_are_multipart_in_the_client_order() {
        assert_eq!(
            ranges("bytes=500-599,0-9"),
            Plan::Multi(vec![r(500, 599), r(0, 9)])
        );
        assert_eq!(
            ranges("bytes=0-0,-1"),
            Plan::Multi(vec![r(0, 0), r(999, 999)])
        );
    }

    #[test]
    fn overlapping_ranges_are_sent_as_asked_while_they_fit_in_the_file() {
        assert_eq!(
            ranges("bytes=0-99,50-149"),
            Plan::Multi(vec![r(0, 99), r(50, 149)])
        );
        assert_eq!(
            ranges("bytes=0-499,0-499"),
            Plan::Multi(vec![r(0, 499), r(0, 499)])
        );
    }

    #[test]
    fn ranges_adding_up_to_more_than_the_file_get_the_whole_file() {
        assert_eq!(ranges("bytes=0-500,0-500"), Plan::Full);
        assert_eq!(ranges("bytes=0-,-1"), Plan::Full);
        assert_eq!(ranges("bytes=-1000,0-0"), Plan::Full);
    }

    #[test]
    fn more_ranges_than_max_ranges_get_the_whole_file() {
        let sixteen: Vec<String> = (0..16).map(|i| format!("{i}-{i}")).collect();
        let v = format!("bytes={}", sixteen.join(","));
        assert!(matches!(ranges(&v), Plan::Multi(rs) if rs.len() == 16));
        let v = format!("{v},16-16");
        assert_eq!(ranges(&v), Plan::Full);
        let limits = RangeLimits { max_ranges: 1 };
        assert_eq!(plan_ranges("bytes=0-0,2-2", SIZE, limits), Plan::Full);
        assert_eq!(
            plan_ranges("bytes=0-0", SIZE, limits),
            Plan::Single(r(0, 0))
        );
    }

    #[test]
    fn max_ranges_counts_only_satisfiable_ranges() {
        let mut specs: Vec<String> = (0..20).map(|i| format!("{}-", 2000 + i)).collect();
        specs.push("0-0".into());
        specs.push("5-5".into());
        let v = format!("bytes={}", specs.join(","));
        assert_eq!(ranges(&v), Plan::Multi(vec![r(0, 0), r(5, 5)]));
    }

    #[test]
    fn max_ranges_zero_turns_ranges_off() {
        let off = RangeLimits { max_ranges: 0 };
        assert_eq!(plan_ranges("bytes=0-0", SIZE, off), Plan::Full);
        assert_eq!(plan_ranges("bytes=5000-", SIZE, off), Plan::Unsatisfiable);
    }

    #[test]
    fn another_range_unit_is_ignored() {
        assert_eq!(ranges("items=0-9"), Plan::Full);
        assert_eq!(ranges("byte=0-9"), Plan::Full);
        assert_eq!(ranges("bytes =0-9"), Plan::Full);
        assert_eq!(ranges("=0-9"), Plan::Full);
    }

    #[test]
    fn the_unit_is_case_insensitive() {
        assert_eq!(ranges("Bytes=0-9"), Plan::Single(r(0, 9)));
        assert_eq!(ranges("BYTES=0-9"), Plan::Single(r(0, 9)));
    }

    #[test]
    fn syntax_errors_make_the_whole_header_ignored() {
        for v in [
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes= , ",
            "bytes=-",
            "bytes=--5",
            "bytes=0--5",
            "bytes=0-5-6",
            "bytes=a-5",
            "bytes=0-b",
            "bytes=0x10-",
            "bytes=+5-9",
            "bytes=-+5",
            "bytes=5",
            "bytes=0 -9",
            "bytes=0- 9",
            "bytes=0-9;",
            "bytes=0-9,x",
            "bytes=0-9,0-9,junk",
            "bytes=0-1.5",
            "bytes=0-9\u{0}",
            "bytes=٣-٤",
        ] {
            assert_eq!(ranges(v), Plan::Full, "{v:?}");
        }
    }

    #[test]
    fn last_before_first_makes_the_whole_header_ignored() {
        assert_eq!(ranges("bytes=5-2"), Plan::Full);
        assert_eq!(ranges("bytes=0-9,5-2"), Plan::Full);
        assert_eq!(ranges("bytes=2000-1500"), Plan::Full);
    }

    #[test]
    fn empty_elements_and_whitespace_around_elements_are_accepted() {
        assert_eq!(
            ranges("bytes=0-1,,5-6"),
            Plan::Multi(vec![r(0, 1), r(5, 6)])
        );
        assert_eq!(
            ranges("bytes= 0-1 ,\t5-6 , "),
            Plan::Multi(vec![r(0, 1), r(5, 6)])
        );
        assert_eq!(ranges("bytes=,0-1"), Plan::Single(r(0, 1)));
    }

    #[test]
    fn leading_zeros_are_plain_decimals() {
        assert_eq!(ranges("bytes=0010-0019"), Plan::Single(r(10, 19)));
    }

    #[test]
    fn numbers_past_u64_neither_overflow_nor_panic() {
        let huge = "99999999999999999999999999999";
        assert_eq!(ranges(&format!("bytes={huge}-")), Plan::Unsatisfiable);
        assert_eq!(ranges(&format!("bytes=0-{huge}")), Plan::Single(r(0, 999)));
        assert_eq!(ranges(&format!("bytes=-{huge}")), Plan::Single(r(0, 999)));
        assert_eq!(ranges(&format!("bytes={huge}-{huge}")), Plan::Unsatisfiable);
        assert_eq!(ranges(&format!("bytes={huge}9-{huge}")), Plan::Full);
        assert_eq!(
            plan_ranges(
                "bytes=18446744073709551614-",
                u64::MAX,
                RangeLimits::default()
            ),
            Plan::Single(r(u64::MAX - 1, u64::MAX - 1))
        );
        assert_eq!(
            plan_ranges("bytes=0-,0-", u64::MAX, RangeLimits::default()),
            Plan::Full
        );
    }

    #[test]
    fn an_empty_file_answers_a_range_with_416() {
        let empty = |v| plan_ranges(v, 0, RangeLimits::default());
        assert_eq!(empty("bytes=0-"), Plan::Unsatisfiable);
        assert_eq!(empty("bytes=0-0"), Plan::Unsatisfiable);
        assert_eq!(empty("bytes=0-9,5-"), Plan::Unsatisfiable);
        assert_eq!(empty("bytes=-0"), Plan::Unsatisfiable);
    }

    #[test]
    fn an_empty_file_answers_a_suffix_range_with_the_empty_file() {
        let empty = |v| plan_ranges(v, 0, RangeLimits::default());
        assert_eq!(empty("bytes=-5"), Plan::Full);
        assert_eq!(empty("bytes=0-,-1"), Plan::Full);
    }

    #[test]
    fn an_empty_file_ignores_an_invalid_range() {
        assert_eq!(
            plan_ranges("bytes=x", 0, RangeLimits::default()),
            Plan::Full
        );
        assert_eq!(
            plan_ranges("lines=0-", 0, RangeLimits::default()),
            Plan::Full
        );
    }

    #[test]
    fn without_a_range_header_the_answer_is_200() {
        assert_eq!(get(&[]), Plan::Full);
        assert_eq!(get(&[(header::IF_RANGE, ETAG)]), Plan::Full);
    }

    #[test]
    fn a_range_header_is_planned_for_get() {
        assert_eq!(get(&[(header::RANGE, "bytes=0-9")]), Plan::Single(r(0, 9)));
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9,20-29")]),
            Plan::Multi(vec![r(0, 9), r(20, 29)])
        );
        assert_eq!(get(&[(header::RANGE, "bytes=1000-")]), Plan::Unsatisfiable);
    }

    #[test]
    fn head_gets_the_same_plan_as_get_206_included() {
        for v in ["bytes=0-9", "bytes=0-9,20-29", "bytes=1000-", "bytes=x"] {
            assert_eq!(
                plan_for(Method::HEAD, SIZE, &[(header::RANGE, v)]),
                get(&[(header::RANGE, v)]),
                "{v}"
            );
        }
    }

    #[test]
    fn range_is_ignored_for_other_methods() {
        assert_eq!(
            plan_for(Method::POST, SIZE, &[(header::RANGE, "bytes=0-9")]),
            Plan::Full
        );
        assert_eq!(
            plan_for(Method::PUT, SIZE, &[(header::RANGE, "bytes=1000-")]),
            Plan::Full
        );
    }

    #[test]
    fn a_repeated_range_header_is_ignored() {
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::RANGE, "bytes=20-29")]),
            Plan::Full
        );
    }

    #[test]
    fn a_range_header_that_is_not_ascii_is_ignored() {
        let mut h = HeaderMap::new();
        h.insert(
            header::RANGE,
            HeaderValue::from_bytes(b"bytes=0-9\xff").unwrap(),
        );
        assert_eq!(
            plan(&Method::GET, &h, &meta(SIZE), RangeLimits::default(), now()),
            Plan::Full
        );
    }

    #[test]
    fn if_range_with_the_current_etag_lets_the_range_through() {
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, ETAG)]),
            Plan::Single(r(0, 9))
        );
        assert_eq!(
            get(&[(header::RANGE, "bytes=5000-"), (header::IF_RANGE, ETAG)]),
            Plan::Unsatisfiable
        );
    }

    #[test]
    fn if_range_with_another_etag_sends_the_whole_file() {
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, "\"old\"")]),
            Plan::Full
        );
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=5000-"),
                (header::IF_RANGE, "\"old\"")
            ]),
            Plan::Full
        );
    }

    #[test]
    fn a_weak_etag_in_if_range_sends_the_whole_file() {
        let weak = format!("W/{ETAG}");
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, &weak)]),
            Plan::Full
        );
    }

    #[test]
    fn if_range_with_last_modified_lets_the_range_through() {
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, &last_modified())
            ]),
            Plan::Single(r(0, 9))
        );
    }

    #[test]
    fn if_range_with_the_date_of_a_file_changed_within_the_second_sends_the_whole_file() {
        let m = meta(SIZE);
        let h = headers(&[
            (header::RANGE, "bytes=0-9"),
            (header::IF_RANGE, &last_modified()),
        ]);
        let just_after = m.modified + Duration::from_millis(500);
        assert_eq!(
            plan(&Method::GET, &h, &m, RangeLimits::default(), just_after),
            Plan::Full
        );
    }

    #[test]
    fn if_range_with_another_date_or_garbage_sends_the_whole_file() {
        let earlier = conditional::http_date(UNIX_EPOCH + Duration::from_secs(MTIME - 1));
        for v in [earlier.as_str(), "garbage", ""] {
            assert_eq!(
                get(&[(header::RANGE, "bytes=0-9"), (header::IF_RANGE, v)]),
                Plan::Full,
                "{v:?}"
            );
        }
    }

    #[test]
    fn a_repeated_if_range_sends_the_whole_file() {
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=0-9"),
                (header::IF_RANGE, ETAG),
                (header::IF_RANGE, ETAG)
            ]),
            Plan::Full
        );
    }

    #[test]
    fn preconditions_are_decided_before_ranges() {
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_NONE_MATCH, ETAG)]),
            Plan::NotModified
        );
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=5000-"),
                (header::IF_MATCH, "\"old\"")
            ]),
            Plan::PreconditionFailed
        );
        assert_eq!(
            get(&[(header::RANGE, "bytes=0-9"), (header::IF_MATCH, ETAG)]),
            Plan::Single(r(0, 9))
        );
        assert_eq!(
            get(&[
                (header::RANGE, "bytes=0-9"),
                (header::IF_MODIFIED_SINCE, &last_modified())
            ]),
            Plan::NotModified
        );
    }

    #[test]
    fn content_range_names_the_range_and_the_size() {
        assert_eq!(content_range(r(0, 9), 1000), "bytes 0-9/1000");
        assert_eq!(content_range(r(999, 999), 1000), "bytes 999-999/1000");
        assert_eq!(unsatisfied_content_range(1000), "bytes */1000");
    }

    #[test]
    fn multipart_lays_out_delimiters_part_headers_and_ranges() {
        let m = multipart(&[r(0, 1), r(5, 6)], "video/mp4", 1000, "B0UND");
        assert_eq!(m.content_type, "multipart/byteranges; boundary=B0UND");
        let first = "--B0UND\r\nContent-Type: video/mp4\r\nContent-Range: bytes 0-1/1000\r\n\r\n";
        let second =
            "\r\n--B0UND\r\nContent-Type: video/mp4\r\nContent-Range: bytes 5-6/1000\r\n\r\n";
        let close = "\r\n--B0UND--\r\n";
        assert_eq!(
            m.pieces,
            vec![
                Piece::Text(first.into()),
                Piece::File(r(0, 1)),
                Piece::Text(second.into()),
                Piece::File(r(5, 6)),
                Piece::Text(close.into()),
            ]
        );
        assert_eq!(first.len() + second.len() + close.len(), 67 + 69 + 13);
        assert_eq!(m.content_length, 67 + 2 + 69 + 2 + 13);
    }

    #[test]
    fn multipart_without_a_usable_content_type_has_no_content_type_lines() {
        for content_type in ["", "text/plain\r\nX-Injected: 1"] {
            let m = multipart(&[r(0, 0), r(2, 2)], content_type, 3, "b");
            let Piece::Text(first) = &m.pieces[0] else {
                panic!()
            };
            assert_eq!(first, "--b\r\nContent-Range: bytes 0-0/3\r\n\r\n");
        }
    }

    #[test]
    fn multipart_content_length_is_the_sum_of_its_pieces() {
        let m = multipart(
            &[r(10, 19), r(0, 0), r(500, 999)],
            "text/plain; charset=utf-8",
            1000,
            &boundary(7),
        );
        assert_eq!(
            m.content_length,
            m.pieces.iter().map(Piece::len).sum::<u64>()
        );
        assert_eq!(m.pieces.len(), 7);
    }

    #[test]
    fn boundaries_are_fixed_per_seed_and_differ_between_seeds() {
        assert_eq!(boundary(1), boundary(1));
        let all: std::collections::HashSet<String> = (0..10_000).map(boundary).collect();
        assert_eq!(all.len(), 10_000);
        for b in &all {
            assert_eq!(b.len(), 16);
            assert!(b.bytes().all(|c| c.is_ascii_hexdigit()));
        }
    }

    fn field_of(resp: &Response<Payload>, name: header::HeaderName) -> Option<&str> {
        resp.headers().get(name).map(|v| v.to_str().unwrap())
    }

    fn names(resp: &Response<Payload>) -> Vec<&str> {
        let mut n: Vec<&str> = resp.headers().keys().map(|k| k.as_str()).collect();
        n.sort();
        n
    }

    #[test]
    fn a_full_response_carries_validators_type_and_length() {
        let resp = response(Plan::Full, &meta(SIZE), "video/mp4", "b", now());
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            names(&resp),
            [
                "accept-ranges",
                "content-length",
                "content-type",
                "etag",
                "last-modified"
            ]
        );
        assert_eq!(field_of(&resp, header::ACCEPT_RANGES), Some("bytes"));
        assert_eq!(field_of(&resp, header::ETAG), Some(ETAG));
        assert_eq!(
            field_of(&resp, header::LAST_MODIFIED),
            Some("Tue, 02 Jan 2024 03:04:05 GMT")
        );
        assert_eq!(field_of(&resp, header::CONTENT_TYPE), Some("video/mp4"));
        assert_eq!(field_of(&resp, header::CONTENT_LENGTH), Some("1000"));
        assert_eq!(resp.body(), &Payload::File(r(0, 999)));
    }

    #[test]
    fn an_empty_file_is_a_full_response_without_payload() {
        let resp = response(Plan::Full, &meta(0), "video/mp4", "b", now());
        assert_eq!(field_of(&resp, header::CONTENT_LENGTH), Some("0"));
        assert_eq!(resp.body(), &Payload::Empty);
    }

    #[test]
    fn a_single_range_response_carries_content_range_and_the_range_length() {
        let resp = response(
            Plan::Single(r(10, 19)),
            &meta(SIZE),
            "video/mp4",
            "b",
            now(),
        );
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            names(&resp),
            [
                "accept-ranges",
                "content-length",
                "content-range",
                "content-type",
                "etag",
                "last-modified"
            ]
        );
        assert_eq!(
            field_of(&resp, header::CONTENT_RANGE),
            Some("bytes 10-19/1000")
        );
        assert_eq!(field_of(&resp, header::CONTENT_LENGTH), Some("10"));
        assert_eq!(resp.body(), &Payload::File(r(10, 19)));
    }

    #[test]
    fn a_multipart_response_is_typed_multipart_byteranges_with_the_exact_length() {
        let plan = Plan::Multi(vec![r(0, 1), r(5, 6)]);
        let resp = response(plan, &meta(SIZE), "video/mp4", "B0UND", now());
        assert_eq!(resp.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            names(&resp),
            [
                "accept-ranges",
                "content-length",
                "content-type",
                "etag",
                "last-modified"
            ]
        );
        assert_eq!(
            field_of(&resp, header::CONTENT_TYPE),
            Some("multipart/byteranges; boundary=B0UND")
        );
        let Payload::Multipart(m) = resp.body() else {
            panic!()
        };
        assert_eq!(
            field_of(&resp, header::CONTENT_LENGTH),
            Some(m.content_length.to_string().as_str())
        );
    }

    #[test]
    fn a_304_carries_validators_and_no_body_fields() {
        let resp = response(Plan::NotModified, &meta(SIZE), "video/mp4", "b", now());
        assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(names(&resp), ["etag", "last-modified"]);
        assert_eq!(resp.body(), &Payload::Empty);
    }

    #[test]
    fn a_412_carries_nothing_of_the_file() {
        let resp = response(
            Plan::PreconditionFailed,
            &meta(SIZE),
            "video/mp4",
            "b",
            now(),
        );
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(names(&resp), ["content-length"]);
        assert_eq!(field_of(&resp, header::CONTENT_LENGTH), Some("0"));
    }

    #[test]
    fn a_416_carries_content_range_star_and_the_size() {
        let resp = response(Plan::Unsatisfiable, &meta(SIZE), "video/mp4", "b", now());
        assert_eq!(resp.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(
            names(&resp),
            ["accept-ranges", "content-length", "content-range"]
        );
        assert_eq!(field_of(&resp, header::CONTENT_RANGE), Some("bytes */1000"));
        assert_eq!(field_of(&resp, header::CONTENT_LENGTH), Some("0"));
    }

    #[test]
    fn last_modified_in_the_future_is_sent_as_now() {
        let mut m = meta(SIZE);
        m.modified = now() + Duration::from_secs(3600);
        let resp = response(Plan::Full, &m, "video/mp4", "b", now());
        assert_eq!(
            field_of(&resp, header::LAST_MODIFIED),
            Some(conditional::http_date(now()).as_str())
        );
    }

    #[test]
    fn the_multipart_body_holds_each_range_with_its_header() {
        let file: Vec<u8> = (0..SIZE).map(|i| (i * 7 + 3) as u8).collect();
        let plan = get(&[(header::RANGE, "bytes=-3,10-12")]);
        let resp = response(plan, &meta(SIZE), "application/octet-stream", "XYZ", now());
        let Payload::Multipart(m) = resp.body() else {
            panic!()
        };
        let body = properties::render(m, &file);
        assert_eq!(body.len() as u64, m.content_length);
        let mut want = b"--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 997-999/1000\r\n\r\n".to_vec();
        want.extend_from_slice(&file[997..]);
        want.extend_from_slice(b"\r\n--XYZ\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes 10-12/1000\r\n\r\n");
        want.extend_from_slice(&file[10..13]);
        want.extend_from_slice(b"\r\n--XYZ--\r\n");
        assert_eq!(body, want);
    }

    /// Random requests against random files, checked against invariants and against
    /// a second, plainer reading of the Range rules.
    mod properties {
        use super::*;

        /// SplitMix64: small, fixed-seed, good enough to spread cases.
        pub(super) struct Rng(u64);

        impl Rng {
            pub(super) fn next(&mut self) -> u64 {
                self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            }

            fn below(&mut self, n: u64) -> u64 {
                self.next() % n
            }

            fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
                &items[self.below(items.len() as u64) as usize]
            }

            fn chance(&mut self, one_in: u64) -> bool {
                self.below(one_in) == 0
            }
        }

        pub(super) fn render(m: &Multipart, file: &[u8]) -> Vec<u8> {
            let mut out = Vec::new();
            for p in &m.pieces {
                match p {
                    Piece::Text(t) => out.extend_from_slice(t.as_bytes()),
                    Piece::File(r) => {
                        out.extend_from_slice(&file[r.start as usize..=r.end as usize])
                    }
                }
            }
            out
        }

        fn number(rng: &mut Rng, size: u64) -> String {
            match rng.below(8) {
                0 => "0".into(),
                1 => rng.below(size.saturating_add(3).max(1)).to_string(),
                2 => size.saturating_sub(rng.below(3)).to_string(),
                3 => size.saturating_add(rng.below(3)).to_string(),
                4 => format!("00{}", rng.below(50)),
                5 => (0..rng.below(30) + 1)
                    .map(|_| char::from(b'0' + rng.below(10) as u8))
                    .collect(),
                6 => u64::MAX.to_string(),
                _ => rng.below(100).to_string(),
            }
        }

        fn spec(rng: &mut Rng, size: u64) -> String {
            match rng.below(20) {
                0 | 1 => format!("{}-{}", number(rng, size), number(rng, size)),
                4 | 5 => format!("{}-", number(rng, size)),
                6 | 7 => format!("-{}", number(rng, size)),
                8 => String::new(),
                9 => format!(" {}-{} ", number(rng, size), number(rng, size)),
                10 => format!("-{}", rng.below(size / 8 + 2)),
                11 => rng
                    .pick(&["-", "x", "1", "1-2-3", "--1", "1 -2", "a-b"])
                    .to_string(),
                _ => {
                    let a = rng.below(size.max(1));
                    format!("{}-{}", a, a.saturating_add(rng.below(20)))
                }
            }
        }

        fn garbage(rng: &mut Rng) -> Vec<u8> {
            let alphabet = b"bytes=-0123456789, \t\"W/*;:GMT";
            (0..rng.below(40))
                .map(|_| match rng.below(3) {
                    0 => 0x20 + rng.below(0xe0) as u8,
                    _ => *rng.pick(alphabet),
                })
                .collect()
        }

        fn range_value(rng: &mut Rng, size: u64) -> Vec<u8> {
            match rng.below(10) {
                0 => garbage(rng),
                1 => {
                    let mut v = range_value_ok(rng, size);
                    if !v.is_empty() {
                        let i = rng.below(v.len() as u64) as usize;
                        v[i] = 0x20 + rng.below(0xe0) as u8;
                    }
                    v
                }
                _ => range_value_ok(rng, size),
            }
        }

        fn range_value_ok(rng: &mut Rng, size: u64) -> Vec<u8> {
            let unit = match rng.below(10) {
                0 => *rng.pick(&["BYTES", "Bytes", "items", "", "bytes "]),
                _ => "bytes",
            };
            let n = match rng.below(10) {
                0 => rng.below(40) + 1,
                _ => rng.below(4) + 1,
            };
            let specs: Vec<String> = (0..n).map(|_| spec(rng, size)).collect();
            let sep = *rng.pick(&[",", ",", ", ", " ,", ",,"]);
            format!("{unit}={}", specs.join(sep)).into_bytes()
        }

        fn validator(rng: &mut Rng, m: &FileMeta, now: SystemTime) -> Vec<u8> {
            let d = |t: SystemTime| conditional::http_date(t).into_bytes();
            match rng.below(10) {
                0 => m.etag.clone().into_bytes(),
                1 => format!("W/{}", m.etag).into_bytes(),
                2 => b"\"other\"".to_vec(),
                3 => d(m.modified),
                4 => d(m.modified - Duration::from_secs(rng.below(100) + 1)),
                5 => d(m.modified + Duration::from_secs(rng.below(100) + 1)),
                6 => d(now + Duration::from_secs(rng.below(100))),
                7 => b"*".to_vec(),
                8 => format!("\"a\", {}", m.etag).into_bytes(),
                _ => garbage(rng),
            }
        }

        /// The Range rules read a second way: split, check every element, then decide.
        fn oracle(value: &[u8], size: u64, max_ranges: usize) -> Plan {
            let Ok(value) = std::str::from_utf8(value) else {
                return Plan::Full;
            };
            let value = value.trim_matches([' ', '\t']);
            if value.len() < 6 || !value.as_bytes()[..6].eq_ignore_ascii_case(b"bytes=") {
                return Plan::Full;
            }
            let elements: Vec<&str> = value[6..]
                .split(',')
                .map(|e| e.trim_matches([' ', '\t']))
                .filter(|e| !e.is_empty())
                .collect();
            let num = |s: &str| -> Option<u128> {
                if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let s = s.trim_start_matches('0');
                Some(if s.len() > 38 {
                    u128::MAX
                } else {
                    s.parse().unwrap_or(0)
                })
            };
            let mut parsed = Vec::new();
            for e in &elements {
                if e.bytes().filter(|&c| c == b'-').count() != 1 {
                    return Plan::Full;
                }
                let (a, b) = e.split_once('-').unwrap();
                match (a.is_empty(), num(a), b.is_empty(), num(b)) {
                    (true, _, false, Some(n)) => parsed.push((None, Some(n))),
                    (false, Some(a), true, _) => parsed.push((Some(a), None)),
                    (false, Some(a), false, Some(b)) if b >= a => parsed.push((Some(a), Some(b))),
                    _ => return Plan::Full,
                }
            }
            if parsed.is_empty() {
                return Plan::Full;
            }
            let size = u128::from(size);
            let mut out = Vec::new();
            let mut suffix_on_empty = false;
            for p in parsed {
                let (s, e) = match p {
                    (None, Some(0)) => continue,
                    (None, Some(_)) if size == 0 => {
                        suffix_on_empty = true;
                        continue;
                    }
                    (None, Some(n)) => (size.saturating_sub(n), size - 1),
                    (Some(a), _) if a >= size => continue,
                    (Some(a), b) => (a, b.unwrap_or(u128::MAX).min(size - 1)),
                    (None, None) => unreachable!(),
                };
                out.push(ByteRange {
                    start: s as u64,
                    end: e as u64,
                });
            }
            let total: u128 = out.iter().map(|r| u128::from(r.len())).sum();
            if out.is_empty() {
                if suffix_on_empty {
                    Plan::Full
                } else {
                    Plan::Unsatisfiable
                }
            } else if out.len() > max_ranges || (out.len() > 1 && total > size) {
                Plan::Full
            } else if out.len() == 1 {
                Plan::Single(out[0])
            } else {
                Plan::Multi(out)
            }
        }

        fn size(rng: &mut Rng) -> u64 {
            match rng.below(10) {
                0 => 0,
                1 => 1,
                2 => u64::MAX - rng.below(2),
                3 => rng.below(1 << 40),
                _ => rng.below(300) + 1,
            }
        }

        #[test]
        fn random_requests_keep_every_invariant() {
            let mut rng = Rng(0x5eed);
            let base = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
            let mut seen = std::collections::HashMap::new();
            let (mut compared, mut multi) = (0u32, 0u32);
            for case in 0..100_000u32 {
                let size = size(&mut rng);
                let modified =
                    base + Duration::new(rng.below(1000), rng.below(1_000_000_000) as u32);
                let now = modified + Duration::from_millis(rng.below(3000));
                let m = FileMeta {
                    size,
                    modified,
                    etag: conditional::etag(size, modified, rng.below(1 << 20)),
                };
                let method = rng
                    .pick(&[
                        Method::GET,
                        Method::GET,
                        Method::GET,
                        Method::HEAD,
                        Method::POST,
                    ])
                    .clone();
                let max_ranges = *rng.pick(&[16usize, 16, 16, 1, 2, 0]);
                let limits = RangeLimits { max_ranges };
                let mut h = HeaderMap::new();
                let mut sent_range = None;
                if !rng.chance(8) {
                    let v = range_value(&mut rng, size);
                    if let Ok(hv) = HeaderValue::from_bytes(&v) {
                        h.insert(header::RANGE, hv);
                        sent_range = Some(v);
                    }
                }
                for name in [
                    header::IF_RANGE,
                    header::IF_MATCH,
                    header::IF_NONE_MATCH,
                    header::IF_MODIFIED_SINCE,
                    header::IF_UNMODIFIED_SINCE,
                ] {
                    let odds = if name == header::IF_RANGE { 4 } else { 10 };
                    if rng.chance(odds) {
                        if let Ok(hv) = HeaderValue::from_bytes(&validator(&mut rng, &m, now)) {
                            h.append(name, hv);
                        }
                    }
                }
                let p = plan(&method, &h, &m, limits, now);
                *seen.entry(p.status().as_u16()).or_insert(0u32) += 1;
                let ctx = format!("case {case}: {method} size {size} {h:?} -> {p:?}");

                // Never a 206 without a Range, nor for a method other than GET/HEAD.
                if matches!(p, Plan::Single(_) | Plan::Multi(_) | Plan::Unsatisfiable) {
                    assert!(sent_range.is_some(), "{ctx}");
                    assert!(method == Method::GET || method == Method::HEAD, "{ctx}");
                }
                // 304 and 412 only come from a condition.
                if p == Plan::NotModified {
                    assert!(method != Method::POST, "{ctx}");
                    assert!(
                        h.contains_key(header::IF_NONE_MATCH)
                            || h.contains_key(header::IF_MODIFIED_SINCE),
                        "{ctx}"
                    );
                }
                if p == Plan::PreconditionFailed {
                    assert!(
                        h.contains_key(header::IF_MATCH)
                            || h.contains_key(header::IF_UNMODIFIED_SINCE)
                            || (method == Method::POST && h.contains_key(header::IF_NONE_MATCH)),
                        "{ctx}"
                    );
                }
                // The Range rules agree with the plainer reading whenever Range was
                // considered (the conditions let it through), so 416 comes only when
                // nothing is satisfiable.
                if let Some(v) = &sent_range {
                    let considered = conditional::evaluate(&method, &h, &m.etag, modified, now)
                        == Verdict::Proceed
                        && method != Method::POST
                        && h.get(header::IF_RANGE).is_none_or(|ir| {
                            conditional::if_range_matches(ir, &m.etag, modified, now)
                        });
                    if considered {
                        compared += 1;
                        assert_eq!(p, oracle(v, size, max_ranges), "{ctx}");
                    }
                }
                // Every planned range lies inside the file; multipart stays within
                // the limits.
                match &p {
                    Plan::Single(r) => assert!(r.start <= r.end && r.end < size, "{ctx}"),
                    Plan::Multi(rs) => {
                        multi += 1;
                        assert!(rs.len() >= 2 && rs.len() <= max_ranges, "{ctx}");
                        assert!(rs.iter().all(|r| r.start <= r.end && r.end < size), "{ctx}");
                        assert!(
                            rs.iter().map(|r| u128::from(r.len())).sum::<u128>()
                                <= u128::from(size),
                            "{ctx}"
                        );
                    }
                    _ => {}
                }
                // The response's head agrees with its payload.
                let b = boundary(rng.next());
                let resp = response(p.clone(), &m, "video/mp4", &b, now);
                assert_eq!(resp.status(), p.status());
                let length = resp
                    .headers()
                    .get(header::CONTENT_LENGTH)
                    .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
                match resp.body() {
                    Payload::Empty if p == Plan::NotModified => assert_eq!(length, None, "{ctx}"),
                    Payload::Empty => assert_eq!(length, Some(0), "{ctx}"),
                    Payload::File(r) => assert_eq!(length, Some(r.len()), "{ctx}"),
                    Payload::Multipart(mp) => {
                        assert_eq!(length, Some(mp.content_length), "{ctx}");
                        let sum: u128 = mp.pieces.iter().map(|p| u128::from(p.len())).sum();
                        assert_eq!(
                            u128::from(mp.content_length),
                            sum.min(u64::MAX.into()),
                            "{ctx}"
                        );
                        if size < 1 << 62 {
                            assert_eq!(u128::from(mp.content_length), sum, "{ctx}");
                        }
                        if size <= 4096 {
                            let file: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
                            assert_eq!(render(mp, &file).len() as u64, mp.content_length, "{ctx}");
                        }
                    }
                }
            }
            // The generator reaches every kind of answer, and mostly gets Range read.
            for status in [200, 206, 304, 412, 416] {
                assert!(seen.get(&status).copied().unwrap_or(0) > 1000, "{seen:?}");
            }
            assert!(
                compared > 40_000 && multi > 3_000,
                "{compared} {multi} {seen:?}"
            );
        }

        #[test]
        fn garbage_range_values_never_panic() {
            let mut rng = Rng(42);
            for _ in 0..100_000 {
                let size = size(&mut rng);
                let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
                let text = String::from_utf8_lossy(&bytes);
                let p = plan_ranges(&text, size, RangeLimits::default());
                if let Plan::Single(r) = p {
                    assert!(r.end < size);
                }
                let _ = conditional::parse_http_date(&text);
                if let Ok(v) = HeaderValue::from_bytes(&bytes) {
                    let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
                    let _ = conditional::if_range_matches(&v, "\"x\"", t, t);
                }
            }
        }
    }
}
