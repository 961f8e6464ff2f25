//! `TextEncoder` / `TextDecoder` (UTF-8) in native code: the encoder writes V8's
//! string straight into the destination, the decoder validates with the standard
//! library and builds the string without an intermediate copy where it can.

use super::{throw, OpError};
use crate::js::bytes::{bytes_to_uint8array, view_bytes, view_slice};

pub fn op_encoding_encode_utf8<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = args
        .get(0)
        .to_string(scope)
        .unwrap_or_else(|| v8::String::empty(scope));
    let bytes = super::buffer::encode(scope, s, super::buffer::Enc::Utf8);
    rv.set(bytes_to_uint8array(scope, bytes.into()).into());
}

/// `op_encoding_encode_into(string, dest, result)`: `result[0]` = UTF-16 units read,
/// `result[1]` = bytes written. Never writes a partial character.
pub fn op_encoding_encode_into<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let s = args
        .get(0)
        .to_string(scope)
        .unwrap_or_else(|| v8::String::empty(scope));
    let Some(dst) = view_slice(args.get(1)) else {
        return super::throw_type_error(scope, "destination must be a Uint8Array");
    };
    let mut read = 0usize;
    let written = s.write_utf8_v2(
        scope,
        dst,
        v8::WriteFlags::kReplaceInvalidUtf8,
        Some(&mut read),
    );
    // `read` counts characters; a character outside the BMP is two UTF-16 units. Count
    // the units in the prefix that was written.
    let units = if written == read {
        read
    } else {
        let text = s.to_rust_string_lossy(scope);
        text.chars().take(read).map(char::len_utf16).sum()
    };
    if let Some(result) = view_slice(args.get(2)) {
        if result.len() >= 8 {
            result[0..4].copy_from_slice(&(units as u32).to_ne_bytes());
            result[4..8].copy_from_slice(&(written as u32).to_ne_bytes());
        }
    }
}

/// `op_encoding_decode_utf8(bytes, ignoreBOM, fatal)`.
pub fn op_encoding_decode_utf8<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let value = args.get(0);
    let bytes: &[u8] = if let Some(b) = view_bytes(value) {
        b
    } else if let Ok(ab) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
        match ab.data() {
            // SAFETY: the ArrayBuffer handle keeps its memory alive for this sync op.
            Some(p) => unsafe {
                std::slice::from_raw_parts(p.as_ptr() as *const u8, ab.byte_length())
            },
            None => &[],
        }
    } else {
        return throw(
            scope,
            OpError::type_error(
                "ERR_INVALID_ARG_TYPE",
                "The \"input\" argument must be an instance of ArrayBuffer or ArrayBufferView.",
            ),
        );
    };
    let ignore_bom = args.get(1).is_true();
    let fatal = args.get(2).is_true();
    let bytes = if !ignore_bom && bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        &bytes[3..]
    } else {
        bytes
    };
    if fatal && std::str::from_utf8(bytes).is_err() {
        return throw(
            scope,
            OpError::type_error(
                "ERR_ENCODING_INVALID_ENCODED_DATA",
                "The encoded data was not valid for encoding utf-8",
            ),
        );
    }
    match v8::String::new_from_utf8(scope, bytes, v8::NewStringType::Normal) {
        Some(s) => rv.set(s.into()),
        None => throw(
            scope,
            OpError::new(
                super::ErrorClass::Error,
                "ERR_STRING_TOO_LONG",
                "Cannot create a string longer than 0x1fffffe8 characters",
            ),
        ),
    }
}
