//! Bytes that can be found again by their address.
//!
//! A body's bytes reach a connection as `Bytes` (a file read, a JavaScript buffer), but
//! some protocol layers hand them on only as borrowed slices: hyper's HTTP/2 writes a
//! DATA frame as `&[IoSlice]`, and a connection that gathers its writes would have to
//! copy them. Memory handed on through [`hand_on`] is recorded here, by address, for
//! as long as some `Bytes` over it lives; [`share`] turns a slice of it back into
//! `Bytes` (a new reference, no copy), and `None` for any other memory.
//!
//! Each thread has its own record (a worker's connections, reads and JavaScript run on
//! its thread); `Bytes` may still be dropped on any thread.

use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

/// Smaller memory is not recorded: copying it costs less than finding it.
pub const MIN: usize = 4 * 1024;

/// What [`hand_on`] takes: an owner of immutable bytes, whose `as_ref` gives the same
/// address and length every time.
pub trait Owner: AsRef<[u8]> + Send + Sync + 'static {}
impl<T: AsRef<[u8]> + Send + Sync + 'static> Owner for T {}

trait Memory: Send + Sync {
    fn bytes(&self) -> &[u8];
}

/// An owner with its entry in a record; the entry goes when the last holder does.
struct Held<T: Owner> {
    owner: T,
    record: Arc<Record>,
}

impl<T: Owner> Memory for Held<T> {
    fn bytes(&self) -> &[u8] {
        self.owner.as_ref()
    }
}

impl<T: Owner> Drop for Held<T> {
    fn drop(&mut self) {
        // Before the owner (a field) goes and its memory can be reused.
        self.record.returned(self.owner.as_ref().as_ptr() as usize);
    }
}

/// `Bytes`'s owner over a recorded memory.
struct Shared(Arc<dyn Memory>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.bytes()
    }
}

#[derive(Default)]
struct Record {
    /// By start address. Several owners of the same memory (one JavaScript buffer sent
    /// in many responses) share one entry, the latest's; when it goes first, the
    /// memory is no longer found (and gets copied), which is only slower.
    by_address: Mutex<BTreeMap<usize, Weak<dyn Memory>>>,
}

impl Record {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<usize, Weak<dyn Memory>>> {
        self.by_address.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn returned(&self, at: usize) {
        let mut map = self.lock();
        if map.get(&at).is_some_and(|w| w.strong_count() == 0) {
            map.remove(&at);
        }
    }
}

thread_local! {
    static RECORD: Arc<Record> = Arc::new(Record::default());
}

/// `owner`'s bytes as `Bytes`, recorded for [`share`] on this thread when they are at
/// least [`MIN`] long. The bytes must not change while any `Bytes` over them lives
/// (as for any `Bytes`).
pub fn hand_on<T: Owner>(owner: T) -> Bytes {
    if owner.as_ref().len() < MIN {
        return Bytes::from_owner(owner);
    }
    // A thread being torn down no longer records (its bytes are then only copied).
    let Ok(record) = RECORD.try_with(Arc::clone) else {
        return Bytes::from_owner(owner);
    };
    let at = owner.as_ref().as_ptr() as usize;
    let held: Arc<dyn Memory> = Arc::new(Held {
        owner,
        record: record.clone(),
    });
    record.lock().insert(at, Arc::downgrade(&held));
    Bytes::from_owner(Shared(held))
}

/// `slice` as `Bytes` without a copy, when it lies within memory handed on through
/// [`hand_on`] on this thread whose `Bytes` are still held somewhere; the memory then
/// stays alive (and unchanged) while the returned `Bytes` does. `None` otherwise.
pub fn share(slice: &[u8]) -> Option<Bytes> {
    let start = slice.as_ptr() as usize;
    let memory = RECORD
        .try_with(|record| {
            let map = record.lock();
            let (_, weak) = map.range(..=start).next_back()?;
            weak.upgrade()
        })
        .ok()??;
    let bytes = memory.bytes();
    let offset = start - bytes.as_ptr() as usize;
    // `memory` is alive, so what lies at its address is its bytes; a slice within
    // them is those bytes.
    if offset.checked_add(slice.len())? > bytes.len() {
        return None;
    }
    Some(Bytes::from_owner(Shared(memory)).slice(offset..offset + slice.len()))
}

#[cfg(test)]
pub(crate) fn recorded() -> usize {
    RECORD.with(|r| r.lock().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_of_held_memory_are_shared_and_other_memory_is_not() {
        let data: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 31) as u8).collect();
        let first = hand_on(data.clone());
        let part = &first[100..20_000];
        let shared = share(part).expect("a slice of held memory");
        assert_eq!(shared.as_ptr(), part.as_ptr(), "a copy");
        assert_eq!(&shared[..], &data[100..20_000]);
        assert!(share(&first[..]).is_some());
        assert!(share(&data[..]).is_none(), "memory never handed on");
        let small = hand_on(vec![1u8; MIN - 1]);
        assert!(
            share(&small[..]).is_none(),
            "below the minimum: not recorded"
        );

        // The shared `Bytes` keeps the memory (and its entry) after the first goes.
        let at = first.as_ptr();
        drop(first);
        assert_eq!(shared.as_ptr(), at.wrapping_add(100));
        assert!(share(&shared[..10]).is_some());
        drop(shared);
        assert_eq!(recorded(), 0, "an entry outlived its memory");
    }

    #[test]
    fn memory_past_what_the_owner_holds_is_not_shared() {
        struct Prefix(Vec<u8>, usize);
        impl AsRef<[u8]> for Prefix {
            fn as_ref(&self) -> &[u8] {
                &self.0[..self.1]
            }
        }
        let whole: Vec<u8> = vec![3u8; 3 * MIN];
        let ptr = whole.as_ptr();
        let held = hand_on(Prefix(whole, 2 * MIN));
        assert_eq!(held.as_ptr(), ptr);
        // SAFETY: the vector (3 * MIN initialized bytes) lives inside `held`.
        let beyond = unsafe { std::slice::from_raw_parts(ptr, 2 * MIN + 1) };
        assert!(share(beyond).is_none(), "past the held bytes");
        // SAFETY: as above, 16 bytes within the vector.
        let tail = unsafe { std::slice::from_raw_parts(ptr.add(2 * MIN), 16) };
        assert!(share(tail).is_none(), "after the held bytes");
        assert!(share(&held[MIN..]).is_some());
    }

    #[test]
    fn two_owners_of_the_same_memory_keep_it_findable_while_the_later_lives() {
        let data: Arc<Vec<u8>> = Arc::new(vec![7u8; 16 * 1024]);
        struct View(Arc<Vec<u8>>);
        impl AsRef<[u8]> for View {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
        let a = hand_on(View(data.clone()));
        let b = hand_on(View(data.clone()));
        drop(a);
        assert!(
            share(&b[..]).is_some(),
            "the later owner's entry went with the earlier"
        );
        drop(b);
        assert!(share(&data[..]).is_none());
        assert_eq!(recorded(), 0);
    }
}
