//! Validators and preconditions: the ETag and Last-Modified a file is served with, the
//! HTTP-date format they travel in, and the verdict of a request's `If-*` header fields
//! on them (RFC 9110 §8.8 and §13): go ahead, 304 Not Modified, or 412 Precondition
//! Failed. This exists so that every file response evaluates conditions in the same
//! order with the same comparisons; the range planner builds on it. It does no I/O and
//! reads no clock: the file's metadata and the current time are inputs.

use http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A strong ETag for a file: quoted hex of the modification time (seconds and
/// nanoseconds), the size and the inode, so that a rewrite within the same second, a
/// truncation or a replacement by another file all change it.
pub fn etag(size: u64, modified: SystemTime, inode: u64) -> String {
    let (secs, nanos) = unix_time(modified);
    format!("\"{:x}.{:x}-{:x}-{:x}\"", secs as u64, nanos, size, inode)
}

/// Seconds since the epoch (rounded down, negative before 1970) and the nanoseconds
/// past them.
fn unix_time(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_nanos(),
        ),
        Err(e) => {
            let d = e.duration();
            let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            match d.subsec_nanos() {
                0 => (-secs, 0),
                n => (-secs - 1, 1_000_000_000 - n),
            }
        }
    }
}

/// Whole seconds since the epoch: the resolution of Last-Modified and of every date a
/// request compares with it.
fn unix_secs(t: SystemTime) -> i64 {
    unix_time(t).0
}

fn from_unix_secs(secs: i64) -> Option<SystemTime> {
    if secs >= 0 {
        UNIX_EPOCH.checked_add(Duration::from_secs(secs as u64))
    } else {
        UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()))
    }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const LONG_DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01: (year, month 1..=12, day 1..=31).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `t` as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the form Last-Modified is
/// sent in. Sub-second precision is dropped (rounded down).
pub fn http_date(t: SystemTime) -> String {
    let secs = unix_secs(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days + 4).rem_euclid(7) as usize],
        d,
        MONTHS[m as usize - 1],
        y,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Reads an HTTP-date in any of the three formats RFC 9110 §5.6.7 makes recipients
/// accept: IMF-fixdate, the obsolete RFC 850 form (`Sunday, 06-Nov-94 08:49:37 GMT`;
/// two-digit years below 70 are 20xx, the others 19xx) and asctime
/// (`Sun Nov  6 08:49:37 1994`). The format is case-sensitive, as the RFC says. The day
/// name is checked to be a day name, not to be the right one. `None` for anything else,
/// including impossible dates (30 February) and surrounding whitespace.
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let b = s.as_bytes();
    let (y, m, d, time) = if b.len() == 29 && b[3] == b',' {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        day_name(&b[..3], &DAYS)?;
        expect(&b[3..5], b", ")?;
        let d = digits(&b[5..7])?;
        expect(&b[7..8], b" ")?;
        let m = month(&b[8..11])?;
        expect(&b[11..12], b" ")?;
        let y = digits(&b[12..16])?;
        expect(&b[16..17], b" ")?;
        expect(&b[25..], b" GMT")?;
        (i64::from(y), m, d, &b[17..25])
    } else if b.len() == 24 && b[3] == b' ' {
        // asctime: "Sun Nov  6 08:49:37 1994"
        day_name(&b[..3], &DAYS)?;
        let m = month(&b[4..7])?;
        expect(&b[7..8], b" ")?;
        let d = if b[8] == b' ' {
            digits(&b[9..10])?
        } else {
            digits(&b[8..10])?
        };
        expect(&b[10..11], b" ")?;
        expect(&b[19..20], b" ")?;
        let y = digits(&b[20..24])?;
        (i64::from(y), m, d, &b[11..19])
    } else {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        let comma = b.iter().position(|&c| c == b',')?;
        day_name(&b[..comma], &LONG_DAYS)?;
        let r = b[comma + 1..].strip_prefix(b" ")?;
        if r.len() != 22 {
            return None;
        }
        let d = digits(&r[0..2])?;
        expect(&r[2..3], b"-")?;
        let m = month(&r[3..6])?;
        expect(&r[6..7], b"-")?;
        let yy = digits(&r[7..9])?;
        expect(&r[9..10], b" ")?;
        expect(&r[18..], b" GMT")?;
        let y = if yy < 70 { 2000 + yy } else { 1900 + yy };
        (i64::from(y), m, d, &r[10..18])
    };
    if d == 0 || d > days_in_month(y, m) {
        return None;
    }
    expect(&time[2..3], b":")?;
    expect(&time[5..6], b":")?;
    let (hh, mm, ss) = (
        digits(&time[0..2])?,
        digits(&time[3..5])?,
        digits(&time[6..8])?,
    );
    // 60 is a leap second; it reads as the first second of the next minute.
    if hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86_400
        + i64::from(hh) * 3600
        + i64::from(mm) * 60
        + i64::from(ss);
    from_unix_secs(secs)
}

fn expect(got: &[u8], want: &[u8]) -> Option<()> {
    (got == want).then_some(())
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn day_name(s: &[u8], names: &[&str]) -> Option<()> {
    names.iter().any(|n| n.as_bytes() == s).then_some(())
}

fn month(s: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.as_bytes() == s)
        .map(|i| i as u32 + 1)
}

/// How many times a header field occurs in a request.
pub(super) enum Field<'a> {
    Absent,
    One(&'a HeaderValue),
    /// More than once: for a field that takes a single value, an invalid field.
    Many,
}

pub(super) fn field<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Field<'a> {
    let mut all = headers.get_all(name).iter();
    match (all.next(), all.next()) {
        (None, _) => Field::Absent,
        (Some(v), None) => Field::One(v),
        _ => Field::Many,
    }
}

/// A single-valued date field: `None` when absent, repeated or not an HTTP-date (RFC
/// 9110 makes recipients ignore an invalid date in a condition).
fn date_field(headers: &HeaderMap, name: &HeaderName) -> Option<SystemTime> {
    match field(headers, name) {
        Field::One(v) => parse_http_date(v.to_str().ok()?.trim_matches([' ', '\t'])),
        _ => None,
    }
}

/// An entity-tag: whether it is weak, and its opaque tag with the quotes.
fn parse_etag(b: &[u8]) -> Option<(bool, &[u8])> {
    let (weak, rest) = match b.strip_prefix(b"W/") {
        Some(rest) => (true, rest),
        None => (false, b),
    };
    let inner = rest.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    // etagc: visible ASCII but DQUOTE, and obs-text.
    inner
        .iter()
        .all(|&c| c == 0x21 || (0x23..=0x7e).contains(&c) || c >= 0x80)
        .then_some((weak, rest))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Strong,
    Weak,
}

/// Whether an `If-Match`/`If-None-Match` field value (all of its occurrences) lists
/// `etag`. `*` matches any current representation, and a file has one. Elements that
/// are not entity-tags never match; they do not spoil the others.
fn list_matches(values: &[&HeaderValue], etag: &str, cmp: Comparison) -> bool {
    let ours = parse_etag(etag.as_bytes());
    if let [only] = values {
        if only.as_bytes().trim_ascii() == b"*" {
            return true;
        }
    }
    let Some((our_weak, our_tag)) = ours else {
        return false;
    };
    values.iter().any(|v| {
        entity_tags(v.as_bytes()).any(|tag| match (cmp, parse_etag(tag)) {
            (_, None) => false,
            (Comparison::Weak, Some((_, t))) => t == our_tag,
            (Comparison::Strong, Some((weak, t))) => !weak && !our_weak && t == our_tag,
        })
    })
}

/// The elements of an entity-tag list, split at the commas between them (an opaque tag
/// may itself contain commas). A quoted element ends at its closing quote when only
/// whitespace follows before the next comma; any other element runs to the next comma
/// and is then no entity-tag.
fn entity_tags(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = b;
    std::iter::from_fn(move || loop {
        rest = rest.trim_ascii_start();
        match rest.first() {
            None => return None,
            Some(b',') => {
                rest = &rest[1..];
                continue;
            }
            Some(_) => {}
        }
        let open = if rest.starts_with(b"W/") { 2 } else { 0 };
        let quoted_end = rest[open..]
            .strip_prefix(b"\"")
            .and_then(|inner| inner.iter().position(|&c| c == b'"'))
            .map(|p| open + p + 2)
            .filter(|&end| matches!(rest[end..].trim_ascii_start().first(), None | Some(b',')));
        let end = quoted_end
            .unwrap_or_else(|| rest.iter().position(|&c| c == b',').unwrap_or(rest.len()));
        let (tag, after) = rest.split_at(end);
        rest = after;
        return Some(tag.trim_ascii_end());
    })
}

/// What a request's preconditions decide for the file they are evaluated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No condition stands in the way: the normal response (full or ranged).
    Proceed,
    /// 304: the client's copy is current.
    NotModified,
    /// 412: a condition the client set is false.
    PreconditionFailed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and `If-Modified-Since`
/// in the order of RFC 9110 §13.2.2, for a file whose validators are `etag` and
/// `modified`:
///
/// 1. `If-Match` (strong comparison, `*` matches): 412 when nothing matches. Only
///    without it, `If-Unmodified-Since`: 412 when the file was modified after the date.
/// 2. `If-None-Match` (weak comparison, `*` matches): when something matches, 304 for
///    GET and HEAD, 412 for other methods. Only without it, and only for GET and HEAD,
///    `If-Modified-Since`: 304 when the file was not modified after the date.
///
/// Dates compare at the one-second resolution of Last-Modified. A date field that is
/// invalid or repeated is ignored, and so is an `If-Modified-Since` later than `now`.
/// `If-Range` is not a precondition; see [`if_range_matches`].
pub fn evaluate(
    method: &Method,
    headers: &HeaderMap,
    etag: &str,
    modified: SystemTime,
    now: SystemTime,
) -> Verdict {
    let safe = method == Method::GET || method == Method::HEAD;
    let mtime = unix_secs(modified);
    let if_match: Vec<&HeaderValue> = headers.get_all(header::IF_MATCH).iter().collect();
    if !if_match.is_empty() {
        if !list_matches(&if_match, etag, Comparison::Strong) {
            return Verdict::PreconditionFailed;
        }
    } else if let Some(date) = date_field(headers, &header::IF_UNMODIFIED_SINCE) {
        if mtime > unix_secs(date) {
            return Verdict::PreconditionFailed;
        }
    }
    let if_none_match: Vec<&HeaderValue> = headers.get_all(header::IF_NONE_MATCH).iter().collect();
    if !if_none_match.is_empty() {
        if list_matches(&if_none_match, etag, Comparison::Weak) {
            return if safe {
                Verdict::NotModified
            } else {
                Verdict::PreconditionFailed
            };
        }
    } else if safe {
        if let Some(date) = date_field(headers, &header::IF_MODIFIED_SINCE) {
            if date <= now && mtime <= unix_secs(date) {
                return Verdict::NotModified;
            }
        }
    }
    Verdict::Proceed
}

/// Whether an `If-Range` value lets a Range request through (RFC 9110 §13.1.5). Only a
/// strong validator can: an entity-tag that is strong and equal to `etag` (a weak one
/// never matches), or an HTTP-date equal to Last-Modified, when that date is itself
/// strong: the file was last modified at least one second before `now`, so it cannot
/// have changed twice within the second the date names. Anything else is false, and
/// the caller then ignores Range and sends the whole file.
pub fn if_range_matches(
    value: &HeaderValue,
    etag: &str,
    modified: SystemTime,
    now: SystemTime,
) -> bool {
    let v = value.as_bytes().trim_ascii();
    if v.starts_with(b"\"") || v.starts_with(b"W/\"") {
        return match (parse_etag(v), parse_etag(etag.as_bytes())) {
            (Some((false, theirs)), Some((false, ours))) => theirs == ours,
            _ => false,
        };
    }
    let Some(date) = std::str::from_utf8(v).ok().and_then(parse_http_date) else {
        return false;
    };
    let settled = now
        .duration_since(modified)
        .is_ok_and(|age| age >= Duration::from_secs(1));
    settled && unix_secs(date) == unix_secs(modified)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example.
    const RFC_EXAMPLE: u64 = 784_111_777;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn at_nanos(secs: u64, nanos: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, nanos)
    }

    const ETAG: &str = "\"5f5e100.0-3e8-2a\"";
    const MTIME: u64 = 1_700_000_000;
    const NOW: u64 = MTIME + 3600;

    fn verdict_for(method: Method, fields: &[(HeaderName, &str)]) -> Verdict {
        let mut h = HeaderMap::new();
        for (name, value) in fields {
            h.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        evaluate(&method, &h, ETAG, at_nanos(MTIME, 500_000_000), at(NOW))
    }

    fn verdict(fields: &[(HeaderName, &str)]) -> Verdict {
        verdict_for(Method::GET, fields)
    }

    fn date(secs: u64) -> String {
        http_date(at(secs))
    }

    #[test]
    fn http_date_is_imf_fixdate() {
        assert_eq!(http_date(at(RFC_EXAMPLE)), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(at(951_782_400)), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            http_date(at(4_107_542_399)),
            "Sun, 28 Feb 2100 23:59:59 GMT"
        );
        assert_eq!(
            http_date(at(253_402_300_799)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn http_date_drops_the_fraction_of_a_second() {
        assert_eq!(
            http_date(at_nanos(RFC_EXAMPLE, 999_999_999)),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }

    #[test]
    fn http_date_before_1970_rounds_down() {
        let t = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(http_date(t), "Wed, 31 Dec 1969 23:59:59 GMT");
        let t = UNIX_EPOCH - Duration::from_secs(86_400 * 365);
        assert_eq!(http_date(t), "Wed, 01 Jan 1969 00:00:00 GMT");
    }

    #[test]
    fn the_three_date_formats_parse_to_the_same_time() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(s), Some(at(RFC_EXAMPLE)), "{s}");
        }
        assert_eq!(
            parse_http_date("Thu Dec 31 23:59:59 2026"),
            parse_http_date("Thu, 31 Dec 2026 23:59:59 GMT")
        );
    }

    #[test]
    fn rfc850_two_digit_years_below_70_are_this_century() {
        assert_eq!(
            parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"),
            Some(UNIX_EPOCH)
        );
        assert_eq!(
            parse_http_date("Monday, 01-Jan-69 00:00:00 GMT"),
            parse_http_date("Tue, 01 Jan 2069 00:00:00 GMT")
        );
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for s in [
            "",
            "garbage",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 gmt",
            "sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 nov 1994 08:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            " Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 06 Nov 1994 08-49-37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 06 Nov 1994 08:60:00 GMT",
            "Sun, 06 Nov 1994 08:49:61 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov +994 08:49:37 GMT",
            "Sun, 00 Nov 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sunday, 06 Nov 94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sun Nov  6 08:49:37 94",
            "Sun Nov 06 08:49:37 1994 ",
            "1994-11-06T08:49:37Z",
            "784111777",
            "Sun, 06 Nov 1994 08:49:37 GMTé",
            "Sunday, 06-Né-94 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn february_29_exists_only_in_leap_years() {
        assert!(parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT").is_some());
        assert!(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT").is_some());
        assert!(parse_http_date("Thu, 29 Feb 1900 00:00:00 GMT").is_none());
        assert!(parse_http_date("Wed, 29 Feb 2023 00:00:00 GMT").is_none());
        assert!(parse_http_date("Thu, 30 Feb 2024 00:00:00 GMT").is_none());
    }

    #[test]
    fn the_day_name_is_not_checked_against_the_date() {
        assert_eq!(
            parse_http_date("Mon, 06 Nov 1994 08:49:37 GMT"),
            Some(at(RFC_EXAMPLE))
        );
    }

    #[test]
    fn a_leap_second_reads_as_the_next_minute() {
        assert_eq!(
            parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"),
            parse_http_date("Sun, 01 Jan 2017 00:00:00 GMT")
        );
    }

    #[test]
    fn dates_before_1970_parse() {
        assert_eq!(
            parse_http_date("Wed, 31 Dec 1969 23:59:59 GMT"),
            Some(UNIX_EPOCH - Duration::from_secs(1))
        );
        assert_eq!(
            parse_http_date("Mon, 01 Jan 0001 00:00:00 GMT"),
            from_unix_secs(-62_135_596_800)
        );
    }

    #[test]
    fn http_date_round_trips_through_the_parser_for_a_spread_of_times() {
        // Every 9973 hours plus some seconds, from 1970 to beyond 2400.
        let mut secs: u64 = 0;
        while secs < 14_000_000_000 {
            let t = at_nanos(secs, 123);
            assert_eq!(parse_http_date(&http_date(t)), Some(at(secs)), "{secs}");
            secs += 9973 * 3600 + 61;
        }
    }

    #[test]
    fn http_date_agrees_with_the_calendar_on_known_days() {
        for (secs, s) in [
            (68_169_600, "Tue, 29 Feb 1972 00:00:00 GMT"),
            (946_684_799, "Fri, 31 Dec 1999 23:59:59 GMT"),
            (946_684_800, "Sat, 01 Jan 2000 00:00:00 GMT"),
            (1_704_164_645, "Tue, 02 Jan 2024 03:04:05 GMT"),
            (2_147_483_647, "Tue, 19 Jan 2038 03:14:07 GMT"),
            (4_102_444_800, "Fri, 01 Jan 2100 00:00:00 GMT"),
        ] {
            assert_eq!(http_date(at(secs)), s);
            assert_eq!(parse_http_date(s), Some(at(secs)));
        }
    }

    #[test]
    fn etag_is_strong_quoted_hex_of_mtime_size_and_inode() {
        let t = at_nanos(0x6593_7d25, 0x75b_cd15);
        assert_eq!(etag(1000, t, 0x2a), "\"65937d25.75bcd15-3e8-2a\"");
        assert!(parse_etag(etag(u64::MAX, t, u64::MAX).as_bytes()).is_some_and(|(weak, _)| !weak));
    }

    #[test]
    fn etag_changes_with_each_of_its_inputs() {
        let t = at_nanos(MTIME, 1);
        let base = etag(10, t, 7);
        assert_ne!(base, etag(11, t, 7));
        assert_ne!(base, etag(10, at_nanos(MTIME, 2), 7));
        assert_ne!(base, etag(10, at_nanos(MTIME + 1, 1), 7));
        assert_ne!(base, etag(10, t, 8));
        assert_eq!(base, etag(10, t, 7));
    }

    #[test]
    fn etag_of_a_time_before_1970_is_still_valid() {
        let e = etag(1, UNIX_EPOCH - Duration::from_nanos(1), 1);
        assert!(parse_etag(e.as_bytes()).is_some());
    }

    #[test]
    fn no_conditions_proceed() {
        assert_eq!(verdict(&[]), Verdict::Proceed);
    }

    #[test]
    fn if_match_with_the_current_etag_proceeds() {
        assert_eq!(verdict(&[(header::IF_MATCH, ETAG)]), Verdict::Proceed);
    }

    #[test]
    fn if_match_without_the_current_etag_is_412() {
        assert_eq!(
            verdict(&[(header::IF_MATCH, "\"other\"")]),
            Verdict::PreconditionFailed
        );
        assert_eq!(
            verdict(&[(header::IF_MATCH, "garbage")]),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_match_star_matches_an_existing_file() {
        assert_eq!(verdict(&[(header::IF_MATCH, "*")]), Verdict::Proceed);
        assert_eq!(verdict(&[(header::IF_MATCH, " * ")]), Verdict::Proceed);
    }

    #[test]
    fn if_match_compares_strongly_so_a_weak_tag_is_412() {
        let weak = format!("W/{ETAG}");
        assert_eq!(
            verdict(&[(header::IF_MATCH, &weak)]),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_match_finds_the_etag_anywhere_in_a_list() {
        let list = format!("\"a\", W/\"b\",{ETAG} , \"c\"");
        assert_eq!(verdict(&[(header::IF_MATCH, &list)]), Verdict::Proceed);
        let list = format!("junk, {ETAG}");
        assert_eq!(verdict(&[(header::IF_MATCH, &list)]), Verdict::Proceed);
    }

    #[test]
    fn if_match_in_two_fields_is_one_list() {
        assert_eq!(
            verdict(&[(header::IF_MATCH, "\"a\""), (header::IF_MATCH, ETAG)]),
            Verdict::Proceed
        );
    }

    #[test]
    fn an_opaque_tag_may_contain_a_comma() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"x\", \"a,b\""));
        let t = at(MTIME);
        assert_eq!(
            evaluate(&Method::GET, &h, "\"a,b\"", t, at(NOW)),
            Verdict::Proceed
        );
        assert_eq!(
            evaluate(&Method::GET, &h, "\"a\"", t, at(NOW)),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_unmodified_since_before_the_mtime_is_412() {
        assert_eq!(
            verdict(&[(header::IF_UNMODIFIED_SINCE, &date(MTIME - 1))]),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_unmodified_since_at_the_mtime_second_proceeds() {
        assert_eq!(
            verdict(&[(header::IF_UNMODIFIED_SINCE, &date(MTIME))]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[(header::IF_UNMODIFIED_SINCE, &date(MTIME + 10))]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_unmodified_since_is_ignored_when_invalid_or_repeated() {
        assert_eq!(
            verdict(&[(header::IF_UNMODIFIED_SINCE, "yesterday")]),
            Verdict::Proceed
        );
        let old = date(MTIME - 100);
        assert_eq!(
            verdict(&[
                (header::IF_UNMODIFIED_SINCE, &old),
                (header::IF_UNMODIFIED_SINCE, &old)
            ]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_unmodified_since_is_ignored_when_if_match_is_present() {
        assert_eq!(
            verdict(&[
                (header::IF_MATCH, ETAG),
                (header::IF_UNMODIFIED_SINCE, &date(MTIME - 1))
            ]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_none_match_with_the_current_etag_is_304_for_get_and_head() {
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, ETAG)]),
            Verdict::NotModified
        );
        assert_eq!(
            verdict_for(Method::HEAD, &[(header::IF_NONE_MATCH, ETAG)]),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_none_match_with_the_current_etag_is_412_for_other_methods() {
        assert_eq!(
            verdict_for(Method::POST, &[(header::IF_NONE_MATCH, ETAG)]),
            Verdict::PreconditionFailed
        );
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let weak = format!("W/{ETAG}");
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, &weak)]),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_none_match_star_is_304() {
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, "*")]),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_none_match_finds_the_etag_in_a_list_or_proceeds() {
        let list = format!("\"a\",{ETAG}");
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, &list)]),
            Verdict::NotModified
        );
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, "\"a\", \"b\"")]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, "a, b")]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[
                (header::IF_NONE_MATCH, "\"a\""),
                (header::IF_NONE_MATCH, ETAG)
            ]),
            Verdict::NotModified
        );
    }

    #[test]
    fn a_quoted_prefix_of_the_etag_does_not_match() {
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, "\"5f5e100.0-3e8-2\"")]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[(header::IF_NONE_MATCH, "\"5f5e100.0-3e8-2a\"x")]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_modified_since_at_or_after_the_mtime_is_304() {
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, &date(MTIME))]),
            Verdict::NotModified
        );
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, &date(MTIME + 60))]),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_modified_since_before_the_mtime_proceeds() {
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, &date(MTIME - 1))]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_modified_since_in_the_future_is_ignored() {
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, &date(NOW + 1))]),
            Verdict::Proceed
        );
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, &date(NOW))]),
            Verdict::NotModified
        );
    }

    #[test]
    fn if_modified_since_is_ignored_when_invalid_or_repeated() {
        assert_eq!(
            verdict(&[(header::IF_MODIFIED_SINCE, "not a date")]),
            Verdict::Proceed
        );
        let d = date(MTIME);
        assert_eq!(
            verdict(&[
                (header::IF_MODIFIED_SINCE, &d),
                (header::IF_MODIFIED_SINCE, &d)
            ]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_modified_since_accepts_surrounding_whitespace_and_obsolete_formats() {
        let t = at(MTIME);
        let asctime = "Tue Nov 14 22:13:20 2023";
        assert_eq!(parse_http_date(asctime), Some(t));
        for v in [
            asctime,
            "Tuesday, 14-Nov-23 22:13:20 GMT",
            " Tue, 14 Nov 2023 22:13:20 GMT\t",
        ] {
            assert_eq!(
                verdict(&[(header::IF_MODIFIED_SINCE, v)]),
                Verdict::NotModified,
                "{v:?}"
            );
        }
    }

    #[test]
    fn if_modified_since_is_ignored_when_if_none_match_is_present() {
        assert_eq!(
            verdict(&[
                (header::IF_NONE_MATCH, "\"other\""),
                (header::IF_MODIFIED_SINCE, &date(MTIME))
            ]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_modified_since_is_ignored_for_other_methods() {
        assert_eq!(
            verdict_for(Method::POST, &[(header::IF_MODIFIED_SINCE, &date(MTIME))]),
            Verdict::Proceed
        );
    }

    #[test]
    fn if_match_failure_wins_over_if_none_match() {
        assert_eq!(
            verdict(&[
                (header::IF_MATCH, "\"other\""),
                (header::IF_NONE_MATCH, ETAG)
            ]),
            Verdict::PreconditionFailed
        );
    }

    fn if_range(value: &str, modified: SystemTime) -> bool {
        if_range_matches(
            &HeaderValue::from_str(value).unwrap(),
            ETAG,
            modified,
            at(NOW),
        )
    }

    #[test]
    fn if_range_with_the_current_strong_etag_matches() {
        assert!(if_range(ETAG, at(MTIME)));
        assert!(if_range(&format!(" {ETAG} "), at(MTIME)));
    }

    #[test]
    fn if_range_with_another_etag_does_not_match() {
        assert!(!if_range("\"other\"", at(MTIME)));
        assert!(!if_range(&format!("{ETAG}, \"x\""), at(MTIME)));
    }

    #[test]
    fn a_weak_etag_in_if_range_never_matches() {
        assert!(!if_range(&format!("W/{ETAG}"), at(MTIME)));
        let h = HeaderValue::from_static("W/\"a\"");
        assert!(!if_range_matches(&h, "W/\"a\"", at(MTIME), at(NOW)));
        let h = HeaderValue::from_static("\"a\"");
        assert!(!if_range_matches(&h, "W/\"a\"", at(MTIME), at(NOW)));
    }

    #[test]
    fn if_range_with_the_last_modified_date_matches_a_settled_file() {
        assert!(if_range(&date(MTIME), at_nanos(MTIME, 999_999_999)));
        assert!(if_range("Tue Nov 14 22:13:20 2023", at(MTIME)));
    }

    #[test]
    fn if_range_date_is_weak_for_a_file_modified_within_the_last_second() {
        let h = HeaderValue::from_str(&date(MTIME)).unwrap();
        let modified = at_nanos(MTIME, 500_000_000);
        assert!(!if_range_matches(
            &h,
            ETAG,
            modified,
            at_nanos(MTIME + 1, 499_999_999)
        ));
        assert!(if_range_matches(
            &h,
            ETAG,
            modified,
            at_nanos(MTIME + 1, 500_000_000)
        ));
        assert!(!if_range_matches(&h, ETAG, modified, at(MTIME - 5)));
    }

    #[test]
    fn if_range_with_another_date_does_not_match() {
        assert!(!if_range(&date(MTIME - 1), at(MTIME)));
        assert!(!if_range(&date(MTIME + 1), at(MTIME)));
    }

    #[test]
    fn if_range_garbage_does_not_match() {
        for v in ["", "garbage", "\"unterminated", "*", "W/", "1700000000"] {
            assert!(!if_range(v, at(MTIME)), "{v:?}");
        }
    }
}
