//! Per-isolate table of the Rust objects JS refers to by integer id (`rid`): sockets,
//! files, byte sources and sinks. JS never holds a pointer; a stale or forged rid is an
//! error (`ERR_BAD_RESOURCE`), never memory unsafety.

use std::any::Any;
use std::collections::HashMap;
use std::rc::Rc;

/// Something a resource id can name. `close` releases what the resource holds; it may
/// be called more than once. A resource that is a byte source or sink says so, so that
/// ops can pipe any source into any sink.
pub trait Resource: Any {
    fn name(&self) -> &'static str;
    fn close(&self) {}
    fn source(self: Rc<Self>) -> Option<Rc<dyn crate::io::ByteSource>> {
        None
    }
    fn sink(self: Rc<Self>) -> Option<Rc<dyn crate::io::ByteSink>> {
        None
    }
}

#[derive(Default)]
pub struct ResourceTable {
    next: u32,
    map: HashMap<u32, Rc<dyn Resource>>,
}

impl ResourceTable {
    /// Stores `resource` and returns its id. Ids are not reused while the table lives
    /// (until they wrap after 2^32 allocations), so a stale id cannot alias a new one.
    pub fn add<R: Resource>(&mut self, resource: R) -> u32 {
        self.add_rc(Rc::new(resource))
    }

    pub fn add_rc(&mut self, resource: Rc<dyn Resource>) -> u32 {
        loop {
            self.next = self.next.wrapping_add(1);
            if self.next != 0 && !self.map.contains_key(&self.next) {
                break;
            }
        }
        self.map.insert(self.next, resource);
        self.next
    }

    /// The resource named `rid`, whatever its type.
    pub fn get_any(&self, rid: u32) -> Option<Rc<dyn Resource>> {
        self.map.get(&rid).cloned()
    }

    /// Removes `rid` without closing it (ownership moves to the caller).
    pub fn take(&mut self, rid: u32) -> Option<Rc<dyn Resource>> {
        self.map.remove(&rid)
    }

    /// The resource named `rid`, if it exists and is an `R`.
    pub fn get<R: Resource>(&self, rid: u32) -> Option<Rc<R>> {
        let rc = self.map.get(&rid)?.clone();
        let any: Rc<dyn Any> = rc;
        any.downcast::<R>().ok()
    }

    /// Removes `rid` and closes it. Returns false if there was no such resource.
    pub fn close(&mut self, rid: u32) -> bool {
        match self.map.remove(&rid) {
            Some(r) => {
                r.close();
                true
            }
            None => false,
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Closes every resource (isolate teardown).
    pub fn close_all(&mut self) {
        for (_, r) in self.map.drain() {
            r.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Counter(Rc<Cell<u32>>);
    impl Resource for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn close(&self) {
            self.0.set(self.0.get() + 1);
        }
    }
    struct Other;
    impl Resource for Other {
        fn name(&self) -> &'static str {
            "other"
        }
    }

    #[test]
    fn get_returns_the_resource_only_with_its_own_type() {
        let mut t = ResourceTable::default();
        let closed = Rc::new(Cell::new(0));
        let rid = t.add(Counter(closed.clone()));
        assert!(t.get::<Counter>(rid).is_some());
        assert!(t.get::<Other>(rid).is_none());
        assert!(t.get::<Counter>(rid + 1).is_none());
    }

    #[test]
    fn close_releases_once_and_the_id_is_not_reused() {
        let mut t = ResourceTable::default();
        let closed = Rc::new(Cell::new(0));
        let a = t.add(Counter(closed.clone()));
        assert!(t.close(a));
        assert!(!t.close(a));
        assert_eq!(closed.get(), 1);
        let b = t.add(Other);
        assert_ne!(a, b);
        assert!(t.get::<Counter>(a).is_none());
    }

    #[test]
    fn close_all_closes_everything() {
        let mut t = ResourceTable::default();
        let closed = Rc::new(Cell::new(0));
        t.add(Counter(closed.clone()));
        t.add(Counter(closed.clone()));
        t.close_all();
        assert_eq!(closed.get(), 2);
        assert!(t.is_empty());
    }
}
