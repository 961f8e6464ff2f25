//! The native half of `Buffer` (`js-api/bindings/buffer.js`): conversions between JS
//! strings and bytes in every Node encoding, and the byte-level search, compare, copy
//! and fill that `buffer.js` delegates, with the semantics of Node's `node_buffer.cc`.

use super::codec;
use super::{arg_f64, throw, OpError};
use crate::js::bytes::{bytes_to_uint8array, view_bytes, view_raw, view_slice};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Enc {
    Utf8,
    Ucs2,
    Latin1,
    Ascii,
    Base64,
    Base64Url,
    Hex,
}

impl Enc {
    pub fn from_id(id: f64) -> Enc {
        match id as u32 {
            1 => Enc::Ucs2,
            2 => Enc::Latin1,
            3 => Enc::Ascii,
            4 => Enc::Base64,
            5 => Enc::Base64Url,
            6 => Enc::Hex,
            _ => Enc::Utf8,
        }
    }
}

fn arg_i64(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
    i: i32,
    default: i64,
) -> i64 {
    let v = args.get(i);
    if v.is_undefined() {
        return default;
    }
    v.integer_value(scope).unwrap_or(default)
}

fn arg_str<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: &v8::FunctionCallbackArguments<'s>,
    i: i32,
) -> v8::Local<'s, v8::String> {
    args.get(i)
        .to_string(scope)
        .unwrap_or_else(|| v8::String::empty(scope))
}

/// The string's UTF-16 code units truncated to bytes (Node's one-byte view of a string,
/// used for latin1, ascii, hex and base64 input).
fn one_byte(scope: &mut v8::PinScope<'_, '_>, s: v8::Local<v8::String>) -> Vec<u8> {
    let mut buf = vec![0u8; s.length()];
    s.write_one_byte_v2(scope, 0, &mut buf, v8::WriteFlags::empty());
    buf
}

fn two_byte(scope: &mut v8::PinScope<'_, '_>, s: v8::Local<v8::String>) -> Vec<u16> {
    let mut buf = vec![0u16; s.length()];
    s.write_v2(scope, 0, &mut buf, v8::WriteFlags::empty());
    buf
}

fn utf8(scope: &mut v8::PinScope<'_, '_>, s: v8::Local<v8::String>) -> Vec<u8> {
    let mut buf = vec![0u8; s.utf8_length(scope)];
    let n = s.write_utf8_v2(scope, &mut buf, v8::WriteFlags::kReplaceInvalidUtf8, None);
    buf.truncate(n);
    buf
}

/// Encodes `s` into fresh bytes.
pub fn encode(scope: &mut v8::PinScope<'_, '_>, s: v8::Local<v8::String>, enc: Enc) -> Vec<u8> {
    match enc {
        Enc::Utf8 => utf8(scope, s),
        Enc::Ucs2 => two_byte(scope, s)
            .iter()
            .flat_map(|u| u.to_le_bytes())
            .collect(),
        Enc::Latin1 | Enc::Ascii => one_byte(scope, s),
        Enc::Base64 | Enc::Base64Url => codec::base64_decode_vec(&one_byte(scope, s)),
        Enc::Hex => {
            let src = one_byte(scope, s);
            let mut out = vec![0u8; src.len() / 2];
            let n = codec::hex_decode(&mut out, &src);
            out.truncate(n);
            out
        }
    }
}

/// Decodes bytes into a JS string; `None` (with `ERR_STRING_TOO_LONG` thrown) when the
/// result would exceed V8's string length limit.
pub fn decode<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: &[u8],
    enc: Enc,
) -> Option<v8::Local<'s, v8::String>> {
    let normal = v8::NewStringType::Normal;
    let s = match enc {
        Enc::Utf8 => v8::String::new_from_utf8(scope, bytes, normal),
        Enc::Latin1 => v8::String::new_from_one_byte(scope, bytes, normal),
        Enc::Ascii => {
            if bytes.is_ascii() {
                v8::String::new_from_one_byte(scope, bytes, normal)
            } else {
                let masked: Vec<u8> = bytes.iter().map(|b| b & 0x7f).collect();
                v8::String::new_from_one_byte(scope, &masked, normal)
            }
        }
        Enc::Ucs2 => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            v8::String::new_from_two_byte(scope, &units, normal)
        }
        Enc::Base64 => {
            v8::String::new_from_one_byte(scope, &codec::base64_encode(bytes, false), normal)
        }
        Enc::Base64Url => {
            v8::String::new_from_one_byte(scope, &codec::base64_encode(bytes, true), normal)
        }
        Enc::Hex => v8::String::new_from_one_byte(scope, &codec::hex_encode(bytes), normal),
    };
    if s.is_none() {
        throw(
            scope,
            OpError::new(
                super::ErrorClass::Error,
                "ERR_STRING_TOO_LONG",
                "Cannot create a string longer than 0x1fffffe8 characters",
            ),
        );
    }
    s
}

pub fn op_buffer_byte_length_utf8<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_str(scope, &args, 0);
    rv.set_double(s.utf8_length(scope) as f64);
}

/// `op_buffer_slice(view, enc, start, end)`.
pub fn op_buffer_slice<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let enc = Enc::from_id(arg_f64(scope, &args, 1, 0.0));
    let Some(bytes) = view_bytes(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    let len = bytes.len() as i64;
    let start = arg_i64(scope, &args, 2, 0).clamp(0, len) as usize;
    let end = arg_i64(scope, &args, 3, len).clamp(0, len) as usize;
    if end <= start {
        rv.set(v8::String::empty(scope).into());
        return;
    }
    if let Some(s) = decode(scope, &bytes[start..end], enc) {
        rv.set(s.into());
    }
}

/// `op_buffer_write(view, string, offset, length, enc)`: bytes written. UTF-8 never
/// writes a partial character; UCS-2 writes whole code units.
pub fn op_buffer_write<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_str(scope, &args, 1);
    let enc = Enc::from_id(arg_f64(scope, &args, 4, 0.0));
    let Some(buf) = view_slice(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    let total = buf.len() as i64;
    let offset = arg_i64(scope, &args, 2, 0);
    if offset < 0 || offset > total {
        return throw(
            scope,
            OpError::range_error(
                "ERR_BUFFER_OUT_OF_BOUNDS",
                "\"offset\" is outside of buffer bounds",
            ),
        );
    }
    let max = arg_i64(scope, &args, 3, total - offset).clamp(0, total - offset) as usize;
    let dst = &mut buf[offset as usize..offset as usize + max];
    let written = match enc {
        Enc::Utf8 => s.write_utf8_v2(scope, dst, v8::WriteFlags::kReplaceInvalidUtf8, None),
        Enc::Ucs2 => {
            let units = two_byte(scope, s);
            let n = units.len().min(dst.len() / 2);
            for (i, u) in units[..n].iter().enumerate() {
                dst[2 * i..2 * i + 2].copy_from_slice(&u.to_le_bytes());
            }
            n * 2
        }
        Enc::Latin1 | Enc::Ascii => {
            let n = s.length().min(dst.len());
            s.write_one_byte_v2(scope, 0, &mut dst[..n], v8::WriteFlags::empty());
            n
        }
        Enc::Hex => codec::hex_decode(dst, &one_byte(scope, s)),
        Enc::Base64 | Enc::Base64Url => codec::base64_decode(dst, &one_byte(scope, s)),
    };
    rv.set_double(written as f64);
}

/// `op_buffer_from_string(string, enc)`: a new `Uint8Array` over the encoded bytes.
pub fn op_buffer_from_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_str(scope, &args, 0);
    let enc = Enc::from_id(arg_f64(scope, &args, 1, 0.0));
    let bytes = encode(scope, s, enc);
    rv.set(bytes_to_uint8array(scope, bytes.into()).into());
}

fn normalize_compare(val: std::cmp::Ordering, a_len: usize, b_len: usize) -> i32 {
    match val {
        std::cmp::Ordering::Equal => match a_len.cmp(&b_len) {
            std::cmp::Ordering::Greater => 1,
            std::cmp::Ordering::Less => -1,
            std::cmp::Ordering::Equal => 0,
        },
        std::cmp::Ordering::Greater => 1,
        std::cmp::Ordering::Less => -1,
    }
}

pub fn op_buffer_compare<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (Some(a), Some(b)) = (view_bytes(args.get(0)), view_bytes(args.get(1))) else {
        return super::throw_type_error(scope, "arguments must be buffers");
    };
    let n = a.len().min(b.len());
    rv.set_int32(normalize_compare(a[..n].cmp(&b[..n]), a.len(), b.len()));
}

/// `op_buffer_compare_offset(source, target, targetStart, sourceStart, targetEnd, sourceEnd)`.
pub fn op_buffer_compare_offset<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (Some(source), Some(target)) = (view_bytes(args.get(0)), view_bytes(args.get(1))) else {
        return super::throw_type_error(scope, "arguments must be buffers");
    };
    let target_start = arg_i64(scope, &args, 2, 0).max(0) as usize;
    let source_start = arg_i64(scope, &args, 3, 0).max(0) as usize;
    let target_end = arg_i64(scope, &args, 4, target.len() as i64).max(0) as usize;
    let source_end = arg_i64(scope, &args, 5, source.len() as i64).max(0) as usize;
    if source_start > source.len() {
        return throw(
            scope,
            OpError::range_error(
                "ERR_OUT_OF_RANGE",
                "The value of \"sourceStart\" is out of range.",
            ),
        );
    }
    if target_start > target.len() {
        return throw(
            scope,
            OpError::range_error(
                "ERR_OUT_OF_RANGE",
                "The value of \"targetStart\" is out of range.",
            ),
        );
    }
    let source_len = source_end.saturating_sub(source_start);
    let target_len = target_end.saturating_sub(target_start);
    let n = source_len
        .min(target_len)
        .min(source.len() - source_start)
        .min(target.len() - target_start);
    let ord = source[source_start..source_start + n].cmp(&target[target_start..target_start + n]);
    rv.set_int32(normalize_compare(ord, source_len, target_len));
}

/// `op_buffer_copy(source, target, targetStart, sourceStart, nb)`: bytes copied
/// (`memmove`, so overlapping views of one buffer are fine).
pub fn op_buffer_copy<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (Some((src, src_len)), Some((dst, dst_len))) =
        (view_raw(args.get(0)), view_raw(args.get(1)))
    else {
        return super::throw_type_error(scope, "arguments must be buffers");
    };
    let target_start = arg_i64(scope, &args, 2, 0).max(0) as usize;
    let source_start = arg_i64(scope, &args, 3, 0).max(0) as usize;
    let nb = arg_i64(scope, &args, 4, 0).max(0) as usize;
    if target_start >= dst_len || source_start >= src_len {
        rv.set_int32(0);
        return;
    }
    let n = nb.min(dst_len - target_start).min(src_len - source_start);
    // SAFETY: both ranges were clamped to their views' lengths; `copy` is memmove.
    unsafe { std::ptr::copy(src.add(source_start), dst.add(target_start), n) };
    rv.set_double(n as f64);
}

/// `op_buffer_fill(buf, value, start, end, enc)`: `undefined`, `-1` when a string fill
/// value encodes to nothing, `-2` when the range is out of bounds.
pub fn op_buffer_fill<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let start = arg_i64(scope, &args, 2, 0);
    let end = arg_i64(scope, &args, 3, 0);
    let value = args.get(1);
    let pattern: Vec<u8> = if let Some(p) = view_bytes(value) {
        p.to_vec()
    } else if value.is_string() {
        let s = arg_str(scope, &args, 1);
        let enc = Enc::from_id(arg_f64(scope, &args, 4, 0.0));
        encode(scope, s, enc)
    } else {
        let byte = (value.uint32_value(scope).unwrap_or(0) & 255) as u8;
        vec![byte]
    };
    let Some(buf) = view_slice(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    if start < 0 || end < 0 || start > end || end as usize > buf.len() {
        rv.set_int32(-2);
        return;
    }
    let dst = &mut buf[start as usize..end as usize];
    if dst.is_empty() {
        return;
    }
    if pattern.is_empty() {
        rv.set_int32(-1);
        return;
    }
    for chunk in dst.chunks_mut(pattern.len()) {
        chunk.copy_from_slice(&pattern[..chunk.len()]);
    }
}

/// Node's `IndexOfOffset`: where a search starts, or -1 for "no match possible".
fn index_of_offset(length: usize, offset: i64, needle_length: usize, forward: bool) -> i64 {
    let len = length as i64;
    let nl = needle_length as i64;
    if offset < 0 {
        if offset + len >= 0 {
            len + offset
        } else if forward || nl == 0 {
            0
        } else {
            -1
        }
    } else if offset + nl <= len {
        offset
    } else if nl == 0 {
        len
    } else if forward {
        -1
    } else {
        len - 1
    }
}

fn search<T: PartialEq>(hay: &[T], needle: &[T], start: usize, forward: bool) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let last = hay.len() - needle.len();
    if forward {
        (start..=last).find(|&i| hay[i..i + needle.len()] == *needle)
    } else {
        (0..=start.min(last))
            .rev()
            .find(|&i| hay[i..i + needle.len()] == *needle)
    }
}

fn search_bytes(hay: &[u8], needle: &[u8], offset: i64, ucs2: bool, forward: bool) -> f64 {
    let opt = index_of_offset(hay.len(), offset, needle.len(), forward);
    if needle.is_empty() {
        return opt as f64;
    }
    if hay.is_empty() || opt <= -1 {
        return -1.0;
    }
    let offset = opt as usize;
    if (forward && needle.len() + offset > hay.len()) || needle.len() > hay.len() {
        return -1.0;
    }
    if ucs2 {
        if hay.len() < 2 || needle.len() < 2 {
            return -1.0;
        }
        let h: Vec<u16> = hay
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let n: Vec<u16> = needle
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return search(&h, &n, offset / 2, forward).map_or(-1.0, |i| (i * 2) as f64);
    }
    search(hay, needle, offset, forward).map_or(-1.0, |i| i as f64)
}

/// `op_buffer_index_of_string(buf, string, byteOffset, enc, forward)`.
pub fn op_buffer_index_of_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = arg_str(scope, &args, 1);
    let offset = arg_i64(scope, &args, 2, 0);
    let enc = Enc::from_id(arg_f64(scope, &args, 3, 0.0));
    let forward = args.get(4).is_true();
    let needle = encode(scope, s, enc);
    let Some(hay) = view_bytes(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    rv.set_double(search_bytes(
        hay,
        &needle,
        offset,
        enc == Enc::Ucs2,
        forward,
    ));
}

/// `op_buffer_index_of_buffer(buf, needle, byteOffset, enc, forward)`.
pub fn op_buffer_index_of_buffer<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let offset = arg_i64(scope, &args, 2, 0);
    let enc = Enc::from_id(arg_f64(scope, &args, 3, 0.0));
    let forward = args.get(4).is_true();
    let (Some(hay), Some(needle)) = (view_bytes(args.get(0)), view_bytes(args.get(1))) else {
        return super::throw_type_error(scope, "arguments must be buffers");
    };
    rv.set_double(search_bytes(hay, needle, offset, enc == Enc::Ucs2, forward));
}

/// `op_buffer_index_of_number(buf, number, byteOffset, forward)`.
pub fn op_buffer_index_of_number<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let needle = (args.get(1).uint32_value(scope).unwrap_or(0) & 255) as u8;
    let offset = arg_i64(scope, &args, 2, 0);
    let forward = args.get(3).is_true();
    let Some(hay) = view_bytes(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    let opt = index_of_offset(hay.len(), offset, 1, forward);
    if opt <= -1 || hay.is_empty() {
        rv.set_int32(-1);
        return;
    }
    let offset = opt as usize;
    let found = if forward {
        hay[offset..]
            .iter()
            .position(|&b| b == needle)
            .map(|i| i + offset)
    } else {
        hay[..=offset.min(hay.len() - 1)]
            .iter()
            .rposition(|&b| b == needle)
    };
    rv.set_double(found.map_or(-1.0, |i| i as f64));
}

fn swap<const N: usize>(scope: &mut v8::PinScope<'_, '_>, args: &v8::FunctionCallbackArguments) {
    let Some(buf) = view_slice(args.get(0)) else {
        return super::throw_type_error(scope, "argument must be a buffer");
    };
    for chunk in buf.chunks_exact_mut(N) {
        chunk.reverse();
    }
}

pub fn op_buffer_swap16<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    swap::<2>(scope, &args);
}
pub fn op_buffer_swap32<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    swap::<4>(scope, &args);
}
pub fn op_buffer_swap64<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    swap::<8>(scope, &args);
}

pub fn op_buffer_is_utf8<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    match view_bytes(args.get(0)) {
        Some(b) => rv.set_bool(std::str::from_utf8(b).is_ok()),
        None => super::throw_type_error(scope, "argument must be a buffer"),
    }
}

pub fn op_buffer_is_ascii<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    match view_bytes(args.get(0)) {
        Some(b) => rv.set_bool(b.is_ascii()),
        None => super::throw_type_error(scope, "argument must be a buffer"),
    }
}

/// `op_buffer_zero_fill_toggle(uint32array)`: registers Node's zero-fill toggle with
/// this thread's allocator.
pub fn op_buffer_zero_fill_toggle<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ok = v8::Local::<v8::Uint32Array>::try_from(args.get(0))
        .ok()
        .is_some_and(|t| crate::js::allocator::set_zero_fill_toggle(scope, t));
    if !ok {
        super::throw_type_error(scope, "op_buffer_zero_fill_toggle(Uint32Array)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_of_offset_follows_node() {
        assert_eq!(index_of_offset(10, -3, 1, true), 7);
        assert_eq!(index_of_offset(10, -30, 1, true), 0);
        assert_eq!(index_of_offset(10, -30, 1, false), -1);
        assert_eq!(index_of_offset(10, 20, 0, true), 10);
        assert_eq!(index_of_offset(10, 20, 1, true), -1);
        assert_eq!(index_of_offset(10, 20, 1, false), 9);
    }

    #[test]
    fn byte_search_forward_and_backward() {
        let hay = b"abcabc";
        assert_eq!(search_bytes(hay, b"bc", 0, false, true), 1.0);
        assert_eq!(search_bytes(hay, b"bc", 2, false, true), 4.0);
        assert_eq!(search_bytes(hay, b"bc", 5, false, false), 4.0);
        assert_eq!(search_bytes(hay, b"bc", 3, false, false), 1.0);
        assert_eq!(search_bytes(hay, b"", 3, false, true), 3.0);
        assert_eq!(search_bytes(hay, b"zz", 0, false, true), -1.0);
    }

    #[test]
    fn ucs2_search_is_on_code_units() {
        let hay = [0x61, 0x00, 0x62, 0x00, 0x63, 0x00];
        assert_eq!(search_bytes(&hay, &[0x62, 0x00], 0, true, true), 2.0);
        assert_eq!(search_bytes(&hay, &[0x00, 0x62], 0, true, true), -1.0);
    }
}
