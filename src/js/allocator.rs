//! The isolate's `ArrayBuffer` allocator: memory from the C allocator, zeroed as V8
//! requires, except while Node's zero-fill toggle is off (`Buffer.allocUnsafe`, the
//! Buffer pool), when it is left uninitialized as in Node. The toggle is a one-element
//! `Uint32Array` that JS flips; the allocator reads it straight from its memory.

use std::cell::RefCell;
use std::ffi::c_void;

thread_local! {
    /// The toggle of the isolate running on this thread: its backing store (kept
    /// alive here) and the address of its one u32.
    static TOGGLE: RefCell<Option<(v8::SharedRef<v8::BackingStore>, *const u32)>> = const { RefCell::new(None) };
}

fn zero_fill() -> bool {
    TOGGLE.with(|t| match &*t.borrow() {
        // SAFETY: the pointer is into the backing store held alongside it, written only
        // by JS on this same thread, never during this read.
        Some((_, ptr)) => unsafe { std::ptr::read_volatile(*ptr) != 0 },
        None => true,
    })
}

/// Points this thread's allocator at `toggle` (a `Uint32Array` of length ≥ 1).
pub fn set_zero_fill_toggle(
    scope: &mut v8::PinScope<'_, '_>,
    toggle: v8::Local<v8::Uint32Array>,
) -> bool {
    let Some(buffer) = toggle.buffer(scope) else {
        return false;
    };
    let store = buffer.get_backing_store();
    let offset = toggle.byte_offset();
    let Some(base) = store.data() else {
        return false;
    };
    if offset + 4 > store.byte_length() {
        return false;
    }
    // SAFETY: `offset + 4` is within the store, checked above.
    let ptr = unsafe { (base.as_ptr() as *const u8).add(offset) } as *const u32;
    TOGGLE.with(|t| *t.borrow_mut() = Some((store, ptr)));
    true
}

struct State;

unsafe extern "C" fn allocate(_: &State, len: usize) -> *mut c_void {
    // SAFETY: plain C allocation; a non-zero size so that 0-byte buffers get a
    // distinct non-null pointer.
    unsafe {
        if zero_fill() {
            libc::calloc(len.max(1), 1)
        } else {
            libc::malloc(len.max(1))
        }
    }
}

unsafe extern "C" fn allocate_uninitialized(_: &State, len: usize) -> *mut c_void {
    // SAFETY: plain C allocation.
    unsafe { libc::malloc(len.max(1)) }
}

unsafe extern "C" fn free(_: &State, data: *mut c_void, _len: usize) {
    // SAFETY: `data` came from `allocate` or `allocate_uninitialized` above.
    unsafe { libc::free(data) }
}

unsafe extern "C" fn drop_state(state: *const State) {
    // SAFETY: `state` is the box leaked by `new`, dropped once by V8.
    drop(unsafe { Box::from_raw(state as *mut State) });
}

static VTABLE: v8::RustAllocatorVtable<State> = v8::RustAllocatorVtable {
    allocate,
    allocate_uninitialized,
    free,
    drop: drop_state,
};

pub fn new() -> v8::UniqueRef<v8::Allocator> {
    let state = Box::into_raw(Box::new(State));
    // SAFETY: `state` lives until V8 calls `drop_state`; the vtable is static.
    unsafe { v8::new_rust_allocator(state, &VTABLE) }
}
