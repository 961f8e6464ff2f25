//! Response fields for weir's own HTTP/1.1 writer, serialized as they are given: names
//! keep the handler's spelling (as Node sends them), and nothing is hashed or
//! allocated per field. What the writer needs to frame the body is noted on the way.
//! HTTP/2, HTTP/3 and hyper's HTTP/1.1 over TLS take an `http::HeaderMap` instead.

/// Serialized `name: value\r\n` lines, without the fields whose framing is weir's to
/// say (`Transfer-Encoding`, `Connection`, and `Content-Length` when it cannot stand).
#[derive(Debug, Default)]
pub struct Fields {
    lines: Vec<u8>,
    /// Where the field lines start: after the status line, when the head was begun
    /// with one ([`Fields::with_status_line`]).
    start: usize,
    /// A valid `Content-Length` the handler gave (kept in `lines`).
    content_length: Option<u64>,
    /// The handler gave a `Content-Length` (valid or not) or a `Transfer-Encoding`.
    framed: bool,
    /// `Connection: close` was asked for.
    close: bool,
    has_date: bool,
    has_keep_alive: bool,
}

/// A field weir cannot send.
#[derive(Debug, PartialEq, Eq)]
pub enum Invalid {
    Name,
    Value,
}

/// RFC 9110 `tchar`.
const fn token_table() -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
}
static TOKEN: [bool; 256] = token_table();

/// A name `http::HeaderName` accepts: a non-empty token.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= 0xffff && name.iter().all(|&b| TOKEN[b as usize])
}

/// A value `http::HeaderValue` accepts (and Node's `validateHeaderValue`): no control
/// characters but tab.
pub fn valid_value(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t')
}

impl Fields {
    pub fn with_capacity(bytes: usize) -> Fields {
        Fields {
            lines: Vec::with_capacity(bytes),
            ..Fields::default()
        }
    }

    /// A response head begun with its status line, `reason` being the phrase to send
    /// (the writer finishes the head in this buffer: room for its fields is kept).
    pub fn with_status_line(status: http::StatusCode, reason: &[u8], bytes: usize) -> Fields {
        let mut lines = Vec::with_capacity(bytes + reason.len() + 160);
        status_line(&mut lines, status, reason);
        Fields {
            start: lines.len(),
            lines,
            ..Fields::default()
        }
    }

    /// The head so far, status line first, for the writer to finish: the buffer
    /// itself when it was begun with the status line.
    pub fn into_head(self, status: http::StatusCode, reason: &[u8]) -> Vec<u8> {
        if self.start > 0 {
            return self.lines;
        }
        let mut head = Vec::with_capacity(self.lines.len() + reason.len() + 160);
        status_line(&mut head, status, reason);
        head.extend_from_slice(&self.lines);
        head
    }

    /// Adds `Content-Length: n` (where weir says a whole body's length itself).
    pub fn push_content_length(&mut self, n: u64) {
        self.line(b"Content-Length", itoa::Buffer::new().format(n).as_bytes());
        self.content_length = Some(n);
    }

    /// Adds a field, checked. `bodiless`: the status has no body, so a
    /// `Content-Length` is not sent.
    pub fn push(&mut self, name: &[u8], value: &[u8], bodiless: bool) -> Result<(), Invalid> {
        if !valid_name(name) {
            return Err(Invalid::Name);
        }
        if !valid_value(value) {
            return Err(Invalid::Value);
        }
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"date") => self.has_date = true,
            10 if name.eq_ignore_ascii_case(b"keep-alive") => self.has_keep_alive = true,
            10 if name.eq_ignore_ascii_case(b"connection") => {
                if value
                    .split(|&b| b == b',')
                    .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
                {
                    self.close = true;
                }
                return Ok(());
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                self.framed = true;
                let n = crate::http::content_length(value.trim_ascii());
                // Only the first valid one frames the body; a second would contradict it.
                if bodiless || n.is_none() || self.content_length.is_some() {
                    return Ok(());
                }
                self.content_length = n;
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.framed = true;
                return Ok(());
            }
            _ => {}
        }
        self.line(name, value);
        Ok(())
    }

    /// Adds a line unchecked: for fields from a `HeaderMap` or weir itself.
    fn line(&mut self, name: &[u8], value: &[u8]) {
        self.lines.extend_from_slice(name);
        self.lines.extend_from_slice(b": ");
        self.lines.extend_from_slice(value);
        self.lines.extend_from_slice(b"\r\n");
    }

    /// The fields of a `HeaderMap` (valid by construction; names in lower case).
    pub fn from_map(map: &http::HeaderMap, bodiless: bool) -> Fields {
        let mut f = Fields::with_capacity(map.len() * 32);
        for (name, value) in map {
            let _ = f.push(name.as_str().as_bytes(), value.as_bytes(), bodiless);
        }
        f
    }

    /// The field lines (without the status line).
    pub fn lines(&self) -> &[u8] {
        &self.lines[self.start..]
    }

    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Whether the handler gave a field that frames the body (`Content-Length`, valid
    /// or not, or `Transfer-Encoding`).
    pub fn framed(&self) -> bool {
        self.framed
    }

    pub fn close(&self) -> bool {
        self.close
    }

    pub fn has_date(&self) -> bool {
        self.has_date
    }

    pub fn has_keep_alive(&self) -> bool {
        self.has_keep_alive
    }
}

/// `HTTP/1.1 <code> <reason>\r\n`.
fn status_line(out: &mut Vec<u8>, status: http::StatusCode, reason: &[u8]) {
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(reason);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_keep_their_spelling_and_framing_fields_are_noted_not_sent() {
        let mut f = Fields::default();
        f.push(b"Content-Type", b"text/plain", false).unwrap();
        f.push(b"X-Custom-ID", b"a\tb", false).unwrap();
        f.push(b"Content-Length", b" 12 ", false).unwrap();
        f.push(b"content-length", b"99", false).unwrap();
        f.push(b"Transfer-Encoding", b"chunked", false).unwrap();
        f.push(b"Connection", b"keep-alive, Close", false).unwrap();
        f.push(b"Date", b"Tue, 01 Jan 2030 00:00:00 GMT", false)
            .unwrap();
        assert_eq!(
            std::str::from_utf8(f.lines()).unwrap(),
            "Content-Type: text/plain\r\nX-Custom-ID: a\tb\r\nContent-Length:  12 \r\n\
             Date: Tue, 01 Jan 2030 00:00:00 GMT\r\n"
        );
        assert_eq!(f.content_length(), Some(12));
        assert!(f.close());
        assert!(f.has_date());
    }

    #[test]
    fn an_unusable_content_length_is_dropped() {
        for bad in [
            &b"12abc"[..],
            b"+12",
            b"-1",
            b"",
            b"1 2",
            b"99999999999999999999",
        ] {
            let mut f = Fields::default();
            f.push(b"content-length", bad, false).unwrap();
            assert_eq!((f.lines(), f.content_length()), (&b""[..], None), "{bad:?}");
        }
        let mut f = Fields::default();
        f.push(b"content-length", b"4", true).unwrap();
        assert_eq!((f.lines(), f.content_length()), (&b""[..], None));
    }

    #[test]
    fn what_http_refuses_is_refused_here_too() {
        let names: [&[u8]; 6] = [b"", b"a b", b"a:b", b"caf\xe9", b"a\r\nb", b"(x)"];
        for name in names {
            let mut f = Fields::default();
            assert_eq!(f.push(name, b"v", false), Err(Invalid::Name), "{name:?}");
            assert!(http::HeaderName::from_bytes(name).is_err(), "{name:?}");
        }
        let values: [&[u8]; 4] = [b"a\r\nb", b"a\nb", b"nul\0", b"del\x7f"];
        for value in values {
            let mut f = Fields::default();
            assert_eq!(f.push(b"x", value, false), Err(Invalid::Value), "{value:?}");
            assert!(http::HeaderValue::from_bytes(value).is_err(), "{value:?}");
        }
        // Latin-1 text and every token character pass, as with `http`.
        let mut f = Fields::default();
        f.push(b"!#$%&'*+-.^_`|~09azAZ", b"caf\xe9 \x80\xff", false)
            .unwrap();
        assert!(http::HeaderName::from_bytes(b"!#$%&'*+-.^_`|~09azAZ").is_ok());
        assert!(http::HeaderValue::from_bytes(b"caf\xe9 \x80\xff").is_ok());
    }

    #[test]
    fn token_checks_agree_with_http_for_every_byte() {
        for b in 0..=255u8 {
            assert_eq!(
                valid_name(&[b]),
                http::HeaderName::from_bytes(&[b]).is_ok(),
                "byte {b:#x}"
            );
            assert_eq!(
                valid_value(&[b]),
                http::HeaderValue::from_bytes(&[b]).is_ok(),
                "byte {b:#x}"
            );
        }
    }
}
