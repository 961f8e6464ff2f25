//! Byte codecs with Node's exact semantics (`src/base64-inl.h`, `string_bytes.cc`):
//! lenient base64 decoding that accepts both alphabets and skips what it does not
//! know, hex decoding that stops at the first bad pair. Pure functions over bytes.

const fn unbase64_table() -> [u8; 256] {
    let mut t = [255u8; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t[b'-' as usize] = 62;
    t[b'_' as usize] = 63;
    t
}

static UNBASE64: [u8; 256] = unbase64_table();

/// Upper bound of the decoded size, as Node computes it (trailing `=` discounted).
pub fn base64_decoded_size(src: &[u8]) -> usize {
    let mut size = src.len();
    if size < 2 {
        return 0;
    }
    if src[size - 1] == b'=' {
        size -= 1;
        if src[size - 1] == b'=' {
            size -= 1;
        }
    }
    if size > 1 {
        (size / 4) * 3 + (size % 4).div_ceil(2)
    } else {
        0
    }
}

/// One group of four symbols, skipping characters outside the alphabet. Returns
/// false when decoding must stop (`=`, end of input, or `dst` full).
fn decode_group_slow(dst: &mut [u8], src: &[u8], i: &mut usize, k: &mut usize) -> bool {
    let mut hi = 0u8;
    for step in 0..4 {
        let lo = loop {
            if *i >= src.len() {
                return false;
            }
            let c = src[*i];
            let lo = UNBASE64[c as usize];
            *i += 1;
            if lo < 64 {
                break lo;
            }
            if c == b'=' || *i >= src.len() {
                return false;
            }
        };
        match step {
            1 => {
                dst[*k] = ((hi & 0x3F) << 2) | ((lo & 0x30) >> 4);
                *k += 1;
            }
            2 => {
                dst[*k] = ((hi & 0x0F) << 4) | ((lo & 0x3C) >> 2);
                *k += 1;
            }
            3 => {
                dst[*k] = ((hi & 0x03) << 6) | (lo & 0x3F);
                *k += 1;
            }
            _ => {}
        }
        if *i >= src.len() || *k >= dst.len() {
            return false;
        }
        hi = lo;
    }
    true
}

/// Decodes base64 or base64url (mixed, with whitespace or junk) into `dst`; returns
/// the number of bytes written.
pub fn base64_decode(dst: &mut [u8], src: &[u8]) -> usize {
    let decoded_size = base64_decoded_size(src);
    let available = dst.len().min(decoded_size);
    let max_k = available / 3 * 3;
    let mut max_i = src.len() / 4 * 4;
    let (mut i, mut k) = (0usize, 0usize);
    while i < max_i && k < max_k {
        let q = [
            UNBASE64[src[i] as usize],
            UNBASE64[src[i + 1] as usize],
            UNBASE64[src[i + 2] as usize],
            UNBASE64[src[i + 3] as usize],
        ];
        if q.iter().any(|&b| b >= 64) {
            if !decode_group_slow(dst, src, &mut i, &mut k) {
                return k;
            }
            max_i = i + (src.len() - i) / 4 * 4;
        } else {
            dst[k] = (q[0] << 2) | (q[1] >> 4);
            dst[k + 1] = (q[1] << 4) | (q[2] >> 2);
            dst[k + 2] = (q[2] << 6) | q[3];
            i += 4;
            k += 3;
        }
    }
    if i < src.len() && k < dst.len() {
        decode_group_slow(dst, src, &mut i, &mut k);
    }
    k
}

pub fn base64_decode_vec(src: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; base64_decoded_size(src)];
    let n = base64_decode(&mut out, src);
    out.truncate(n);
    out
}

/// Standard base64 with padding, or base64url without.
pub fn base64_encode(src: &[u8], url: bool) -> Vec<u8> {
    let table: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = Vec::with_capacity(src.len().div_ceil(3) * 4);
    for chunk in src.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = ((b[0] as u32) << 16) | ((b[1] as u32) << 8) | b[2] as u32;
        let symbols = chunk.len() + 1;
        for j in 0..4 {
            if j < symbols {
                out.push(table[((n >> (18 - 6 * j)) & 63) as usize]);
            } else if !url {
                out.push(b'=');
            }
        }
    }
    out
}

fn unhex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Decodes pairs of hex digits into `dst` until a pair is invalid, the input ends or
/// `dst` is full; returns the number of bytes written.
pub fn hex_decode(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len() / 2);
    for i in 0..n {
        match (unhex(src[2 * i]), unhex(src[2 * i + 1])) {
            (Some(a), Some(b)) => dst[i] = a * 16 + b,
            _ => return i,
        }
    }
    n
}

pub fn hex_encode(src: &[u8]) -> Vec<u8> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(src.len() * 2);
    for &b in src {
        out.push(DIGITS[(b >> 4) as usize]);
        out.push(DIGITS[(b & 15) as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = base64_encode(&data[..len], false);
            assert_eq!(base64_decode_vec(&enc), &data[..len]);
            let url = base64_encode(&data[..len], true);
            assert!(!url.contains(&b'='));
            assert_eq!(base64_decode_vec(&url), &data[..len]);
        }
    }

    #[test]
    fn base64_matches_known_vectors() {
        assert_eq!(base64_encode(b"hello", false), b"aGVsbG8=");
        assert_eq!(base64_encode(b"\xfb\xff", true), b"-_8");
        assert_eq!(base64_encode(b"\xfb\xff", false), b"+/8=");
    }

    #[test]
    fn base64_decoding_skips_whitespace_and_junk_and_stops_at_padding() {
        assert_eq!(base64_decode_vec(b"aGVs bG8="), b"hello");
        assert_eq!(base64_decode_vec(b"aGVs\nbG8"), b"hello");
        assert_eq!(base64_decode_vec(b"aGVsbG8=aGVsbG8="), b"hello");
        assert_eq!(base64_decode_vec(b"a"), b"");
        assert_eq!(base64_decode_vec(b"-_8"), b"\xfb\xff");
    }

    #[test]
    fn hex_stops_at_the_first_invalid_pair() {
        let mut out = [0u8; 8];
        assert_eq!(hex_decode(&mut out, b"0aff"), 2);
        assert_eq!(&out[..2], &[0x0a, 0xff]);
        assert_eq!(hex_decode(&mut out, b"0azz11"), 1);
        assert_eq!(hex_decode(&mut out, b"abc"), 1);
        assert_eq!(hex_encode(&[0, 15, 255]), b"000fff");
    }
}
