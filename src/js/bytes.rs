//! Bytes across the boundary without copies.
//!
//! A Rust [`Bytes`] becomes a JS `Uint8Array` whose backing store *owns* the `Bytes`
//! (it is dropped when V8 collects the last view), and a JS `ArrayBufferView` becomes a
//! `Bytes` whose owner is a reference to V8's backing store (so the memory stays alive
//! for as long as Rust holds the `Bytes`, even after JS dropped the array). Neither
//! direction copies; the tests prove it by comparing addresses.
//!
//! Memory shared this way is shared for real: a handler that writes into a chunk it was
//! given writes into the one copy every other holder of that `Bytes` sees, as with
//! Node's pooled `Buffer` slices.

use bytes::Bytes;
use std::ffi::c_void;

/// Wraps `bytes` in a new `ArrayBuffer` + `Uint8Array` without copying.
pub fn bytes_to_uint8array<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    bytes: Bytes,
) -> v8::Local<'s, v8::Uint8Array> {
    let len = bytes.len();
    let buffer = if len == 0 {
        v8::ArrayBuffer::new(scope, 0)
    } else {
        let data = bytes.as_ptr() as *mut c_void;
        let owner = Box::into_raw(Box::new(bytes)) as *mut c_void;
        unsafe extern "C" fn drop_owner(_data: *mut c_void, _len: usize, owner: *mut c_void) {
            // SAFETY: `owner` is the `Box<Bytes>` leaked just below; V8 calls this
            // deleter exactly once, when the backing store is freed.
            drop(unsafe { Box::from_raw(owner as *mut Bytes) });
        }
        // SAFETY: the memory at `data..data+len` belongs to the `Bytes` boxed in
        // `owner`, which the deleter keeps alive until V8 releases the store.
        let store =
            unsafe { v8::ArrayBuffer::new_backing_store_from_ptr(data, len, drop_owner, owner) };
        v8::ArrayBuffer::with_backing_store(scope, &store.make_shared())
    };
    v8::Uint8Array::new(scope, buffer, 0, len).expect("a Uint8Array over a fresh ArrayBuffer")
}

/// Keeps a V8 backing store alive for as long as a `Bytes` points into it.
struct StoreOwner {
    store: v8::SharedRef<v8::BackingStore>,
    offset: usize,
    len: usize,
}

impl AsRef<[u8]> for StoreOwner {
    fn as_ref(&self) -> &[u8] {
        match self.store.data() {
            // SAFETY: `offset + len` was checked against the view's bounds when the
            // owner was made, and the shared ref keeps the store's memory alive. A
            // resizable buffer cannot shrink under us: only a copy of those is kept
            // (see `view_to_bytes`).
            Some(ptr) => unsafe {
                std::slice::from_raw_parts((ptr.as_ptr() as *const u8).add(self.offset), self.len)
            },
            None => &[],
        }
    }
}

// SAFETY: a backing store is reference-counted with atomics and its memory is plain
// bytes; V8 allows a `std::shared_ptr<BackingStore>` to be held and released on any
// thread.
unsafe impl Send for StoreOwner {}
unsafe impl Sync for StoreOwner {}

/// Takes the bytes of an `ArrayBufferView` (or a whole `ArrayBuffer`) without copying.
/// Returns `None` for values that are neither.
pub fn view_to_bytes(
    scope: &mut v8::PinScope<'_, '_>,
    value: v8::Local<v8::Value>,
) -> Option<Bytes> {
    let (buffer, offset, len) = if let Ok(view) = v8::Local::<v8::ArrayBufferView>::try_from(value)
    {
        (view.buffer(scope)?, view.byte_offset(), view.byte_length())
    } else if let Ok(buffer) = v8::Local::<v8::ArrayBuffer>::try_from(value) {
        (buffer, 0, buffer.byte_length())
    } else {
        return None;
    };
    if len == 0 {
        return Some(Bytes::new());
    }
    let store = buffer.get_backing_store();
    if offset.checked_add(len)? > store.byte_length() {
        return None;
    }
    let owner = StoreOwner { store, offset, len };
    if owner.store.is_resizable_by_user_javascript() || owner.store.is_shared() {
        // A resizable buffer can shrink (and its pages be released) under a `Bytes`,
        // and a shared one be written from elsewhere: their bytes are copied, now.
        return Some(Bytes::copy_from_slice(owner.as_ref()));
    }
    // Recorded so that a connection gathering its writes can hold these bytes instead
    // of copying them (see `crate::io::held`).
    Some(crate::io::held::hand_on(owner))
}

/// The address and length of a view's bytes, for ops that must handle overlapping
/// views themselves (`copy`).
pub fn view_raw(value: v8::Local<v8::Value>) -> Option<(*mut u8, usize)> {
    let view = v8::Local::<v8::ArrayBufferView>::try_from(value).ok()?;
    let len = view.byte_length();
    let ptr = view.data() as *mut u8;
    if ptr.is_null() && len != 0 {
        return None;
    }
    Some((ptr, len))
}

/// Shared read access to a view's bytes for the duration of a synchronous op (two such
/// slices may alias; neither is written).
pub fn view_bytes<'a>(value: v8::Local<'a, v8::Value>) -> Option<&'a [u8]> {
    let (ptr, len) = view_raw(value)?;
    if len == 0 {
        return Some(&[]);
    }
    // SAFETY: as for `view_slice`; the slice is only read.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Borrows the bytes of a view for the duration of a synchronous op. The slice must not
/// outlive the call: JS can detach or write the buffer once control returns to it.
pub fn view_slice<'a>(value: v8::Local<'a, v8::Value>) -> Option<&'a mut [u8]> {
    let view = v8::Local::<v8::ArrayBufferView>::try_from(value).ok()?;
    let len = view.byte_length();
    if len == 0 {
        return Some(&mut []);
    }
    let ptr = view.data() as *mut u8;
    if ptr.is_null() {
        return None;
    }
    // SAFETY: `data()` points at `byte_length()` bytes of the view's live buffer; the
    // handle keeps the buffer alive for the callback, and no JS runs while the slice is
    // in use (sync ops only).
    Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_context(f: impl FnOnce(&mut v8::PinScope<'_, '_>)) {
        crate::js::platform::init();
        let isolate = &mut v8::Isolate::new(Default::default());
        v8::scope!(let scope, isolate);
        let context = v8::Context::new(scope, Default::default());
        let scope = &mut v8::ContextScope::new(scope, context);
        f(scope);
    }

    fn eval<'s>(scope: &mut v8::PinScope<'s, '_>, code: &str) -> v8::Local<'s, v8::Value> {
        let code = v8::String::new(scope, code).unwrap();
        v8::Script::compile(scope, code, None)
            .unwrap()
            .run(scope)
            .unwrap()
    }

    #[test]
    fn rust_bytes_become_a_uint8array_over_the_same_memory() {
        with_context(|scope| {
            let bytes = Bytes::from(vec![7u8; 4096]);
            let rust_ptr = bytes.as_ptr();
            let array = bytes_to_uint8array(scope, bytes.clone());
            assert_eq!(
                array.data() as *const u8,
                rust_ptr,
                "the Uint8Array must view the Bytes, not a copy"
            );
            assert_eq!(array.byte_length(), 4096);
            // JS sees the contents.
            let global = scope.get_current_context().global(scope);
            let key = v8::String::new(scope, "chunk").unwrap();
            global.set(scope, key.into(), array.into());
            assert_eq!(
                eval(scope, "chunk[0] + chunk[4095]").uint32_value(scope),
                Some(14)
            );
        });
    }

    #[test]
    fn a_js_uint8array_becomes_bytes_over_the_same_memory() {
        with_context(|scope| {
            let value = eval(
                scope,
                "globalThis.big = new Uint8Array(1 << 16).fill(3); big.subarray(16, 1040)",
            );
            let view = v8::Local::<v8::ArrayBufferView>::try_from(value).unwrap();
            let js_ptr = view.data() as *const u8;
            let bytes = view_to_bytes(scope, value).unwrap();
            assert_eq!(
                bytes.as_ptr(),
                js_ptr,
                "the Bytes must point into the JS buffer, not a copy"
            );
            assert_eq!(bytes.len(), 1024);
            // A write from JS after the hand-over is visible through the Bytes: one memory.
            eval(scope, "big[16] = 99");
            assert_eq!(bytes[0], 99);
        });
    }

    #[test]
    fn resizable_and_shared_buffers_are_copied_and_large_views_are_found_again() {
        with_context(|scope| {
            for src in [
                "const r = new ArrayBuffer(8192, { maxByteLength: 65536 }); new Uint8Array(r).fill(5)",
                "new Uint8Array(new SharedArrayBuffer(8192)).fill(5)",
            ] {
                let value = eval(scope, src);
                let view = v8::Local::<v8::ArrayBufferView>::try_from(value).unwrap();
                let js_ptr = view.data() as *const u8;
                let bytes = view_to_bytes(scope, value).unwrap();
                assert_ne!(bytes.as_ptr(), js_ptr, "{src}: not copied");
                assert_eq!(&bytes[..], &[5u8; 8192][..], "{src}");
            }
            // A plain view of 4 KiB or more can be found by address while held (what
            // HTTP/2 write gathering relies on); a small one is not recorded.
            let value = eval(scope, "new Uint8Array(8192).fill(6)");
            let bytes = view_to_bytes(scope, value).unwrap();
            let again = crate::io::held::share(&bytes[100..200]).expect("recorded");
            assert_eq!(again.as_ptr(), bytes[100..].as_ptr());
            let value = eval(scope, "new Uint8Array(100).fill(6)");
            let small = view_to_bytes(scope, value).unwrap();
            assert!(crate::io::held::share(&small[..]).is_none());
        });
    }

    #[test]
    fn bytes_outlive_the_js_array_they_came_from() {
        let bytes = {
            let mut kept = None;
            with_context(|scope| {
                let value = eval(scope, "new Uint8Array([1, 2, 3, 4])");
                kept = view_to_bytes(scope, value);
            });
            kept.unwrap()
        };
        // The isolate is gone; the backing store lives on through the Bytes' owner.
        assert_eq!(&bytes[..], &[1, 2, 3, 4]);
    }

    #[test]
    fn non_views_are_refused() {
        with_context(|scope| {
            let value = eval(scope, "'a string'");
            assert!(view_to_bytes(scope, value).is_none());
            let value = eval(scope, "new ArrayBuffer(8)");
            assert_eq!(view_to_bytes(scope, value).unwrap().len(), 8);
        });
    }
}
