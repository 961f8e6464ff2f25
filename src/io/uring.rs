//! The io_uring driver behind [`super::file`], and the memory reads go into. One ring
//! per worker thread, driven by that worker's own tokio loop: the ring posts
//! completions to an eventfd that tokio watches; a small task spawned on the same
//! runtime reaps them, and read futures reap too when polled, so a read whose data is
//! already cached finishes without a trip through the reactor. The buffer pool is here
//! too (both of the reader's paths use it) because its lifetime rules are the ring's.
//!
//! The rule this module exists to keep: memory the kernel may still write into (or
//! read from) is never freed or reused. Every operation in flight owns its memory and
//! its descriptors in a slab keyed by the entry's `user_data`: a read its buffer and
//! file, an open its path, its `open_how` and the directory it resolves under. Only
//! the operation's completion releases them. A future that is dropped (a client that
//! went away) merely detaches from its operation; a detached open's completion closes
//! the descriptor it delivers. Nothing here decides what to open or read; it never
//! blocks the thread except when the ring itself is torn down with operations still in
//! the kernel. All of the reader's `unsafe` code is in this file.

use bytes::Bytes;
use io_uring::{opcode, types, IoUring};
use std::alloc::Layout;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// Submission queue depth of a worker's ring. Reads beyond it wait in the queue for a
/// submit, they are not refused.
const RING_ENTRIES: u32 = 256;
/// Completion queue size: room for every entry of a few full submission queues
/// before the kernel has to hold completions back.
const CQ_ENTRIES: u32 = 1024;
/// `user_data` of entries that are not the reader's operations (the probe's NOP);
/// never a slab key.
const NOT_AN_OP: u64 = u64::MAX;
/// How often an operation failing with EINTR or EAGAIN is tried again before the
/// error is returned.
const MAX_RETRIES: u32 = 64;
/// How long tearing a ring down waits for reads still in the kernel before it gives
/// up on them and leaks their buffers rather than free memory being written.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Registered buffers are indexed by `u16`, and the kernel takes at most this many.
const MAX_REGISTERED: usize = 1 << 14;
/// Pool buffers start on a page boundary.
const BUFFER_ALIGN: usize = 4096;

/// Checks that io_uring can be used here: sets up a small ring, checks the kernel
/// knows the read operations used, and runs a NOP. The error says why not, in words
/// fit for a log line.
pub fn probe() -> Result<(), String> {
    let mut ring = IoUring::new(2).map_err(|e| setup_error(&e))?;
    let mut ops = io_uring::Probe::new();
    ring.submitter().register_probe(&mut ops).map_err(|e| {
        format!("the kernel cannot list its io_uring operations ({e}); it predates 5.6")
    })?;
    for (name, code) in [
        ("READ", opcode::Read::CODE),
        ("READ_FIXED", opcode::ReadFixed::CODE),
    ] {
        if !ops.is_supported(code) {
            return Err(format!("the kernel's io_uring lacks {name}"));
        }
    }
    let nop = opcode::Nop::new().build().user_data(NOT_AN_OP);
    // SAFETY: a NOP names no memory and no file.
    unsafe { ring.submission().push(&nop) }
        .map_err(|_| "the probe ring has no room".to_string())?;
    ring.submit_and_wait(1)
        .map_err(|e| format!("io_uring_enter failed ({e})"))?;
    let cqe = ring.completion().next();
    match cqe {
        Some(cqe) if cqe.user_data() == NOT_AN_OP && cqe.result() == 0 => Ok(()),
        Some(cqe) => Err(format!("a NOP completed with {}", cqe.result())),
        None => Err("a NOP did not complete".to_string()),
    }
}

fn setup_error(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::ENOSYS) => format!(
            "io_uring_setup is not available ({e}): a kernel built without io_uring, or a \
             seccomp profile that blocks it, as Docker's default does"
        ),
        Some(libc::EPERM) => format!(
            "io_uring_setup was refused ({e}): kernel.io_uring_disabled, kernel.io_uring_group, \
             or a seccomp profile"
        ),
        Some(libc::ENOMEM) => {
            format!("io_uring_setup ran out of memory ({e}); RLIMIT_MEMLOCK may be too low")
        }
        _ => format!("io_uring_setup failed ({e})"),
    }
}

/// One operation the kernel owns (or owned: `Done` waits for its future to collect
/// it).
struct Op {
    kind: OpKind,
    retries: u32,
    state: OpState,
}

enum OpKind {
    Read(ReadOp),
    Open(OpenOp),
}

struct ReadOp {
    /// Kept open while the kernel may read from it, whatever happened to the caller's
    /// handle.
    file: Arc<File>,
    buf: Buf,
    offset: u64,
    len: usize,
    filled: usize,
}

struct OpenOp {
    /// The directory `path` is resolved under. Held open while the kernel may use its
    /// number: closed early, the number could name another directory by the time the
    /// kernel resolves the path.
    dir: Arc<OwnedFd>,
    /// Heap memory the entry points at; moving the Op within the slab does not move it.
    path: CString,
    how: Box<types::OpenHow>,
    /// The descriptor the completion delivered; closed with the Op unless collected.
    opened: Option<OwnedFd>,
}

enum OpState {
    /// In the kernel; its future is waiting for it.
    Waiting(Option<Waker>),
    /// In the kernel; its future was dropped, so the completion just releases it.
    Detached,
    /// Finished; its future collects the result (a read's `buf` and `filled`, an
    /// open's descriptor).
    Done(io::Result<()>),
}

/// A slab: operations keyed by index, which is the entry's `user_data`.
#[derive(Default)]
struct Slab {
    entries: Vec<Option<Op>>,
    vacant: Vec<usize>,
}

impl Slab {
    fn insert(&mut self, op: Op) -> usize {
        match self.vacant.pop() {
            Some(key) => {
                self.entries[key] = Some(op);
                key
            }
            None => {
                self.entries.push(Some(op));
                self.entries.len() - 1
            }
        }
    }
    fn get_mut(&mut self, key: usize) -> Option<&mut Op> {
        self.entries.get_mut(key).and_then(Option::as_mut)
    }
    fn remove(&mut self, key: usize) -> Option<Op> {
        let op = self.entries.get_mut(key)?.take()?;
        self.vacant.push(key);
        Some(op)
    }
}

struct State {
    /// `None` only while the driver is being dropped.
    ring: Option<IoUring>,
    ops: Slab,
    /// Operations the kernel owns (`Waiting` or `Detached`).
    in_kernel: usize,
    /// Reused between reaps.
    cqes: Vec<(u64, i32)>,
    /// The pool's buffers are registered with the ring (`ReadFixed`).
    fixed: bool,
}

/// A worker's ring. Shared (`Arc`) by its [`super::file::FileReader`], the operations
/// in flight and the task that reaps completions; the mutex is uncontended in practice,
/// since all of them run on the worker's thread.
pub(crate) struct Driver {
    state: Mutex<State>,
    /// Readable when the ring has posted completions.
    eventfd: AsyncFd<OwnedFd>,
    /// Copied from the state, to be read without the lock.
    fixed: bool,
    /// The kernel's io_uring knows OPENAT2 (5.6 and later).
    openat2: bool,
    /// Tests: opens go to the kernel's workers (IOSQE_ASYNC), as a path missing from
    /// the dentry cache does, so they stay in flight for a while.
    #[cfg(test)]
    pub(crate) force_async: AtomicBool,
    /// The reader is gone: the reaper stops once the kernel owns nothing.
    closed: AtomicBool,
    /// Closed after the ring is gone, so registered memory outlives its registration.
    pool: Arc<Pool>,
}

impl Driver {
    /// Sets up a ring on the current tokio runtime and registers `pool`'s buffers with
    /// it when the kernel lets us (registration fails without CAP_IPC_LOCK when the
    /// pool exceeds RLIMIT_MEMLOCK; reads then use plain `Read` into the same buffers).
    /// Must be called within a runtime with IO enabled.
    pub(crate) fn start(pool: Arc<Pool>) -> Result<Arc<Driver>, String> {
        tokio::runtime::Handle::try_current().map_err(|e| format!("no tokio runtime ({e})"))?;
        let ring = IoUring::builder()
            .setup_cqsize(CQ_ENTRIES)
            .build(RING_ENTRIES)
            .map_err(|e| setup_error(&e))?;
        // SAFETY: eventfd takes no pointers; a non-negative result is a new descriptor
        // that only this OwnedFd closes.
        let efd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if efd < 0 {
            return Err(format!("eventfd failed ({})", io::Error::last_os_error()));
        }
        // SAFETY: `efd` was just created and is owned by nothing else.
        let efd = unsafe { OwnedFd::from_raw_fd(efd) };
        ring.submitter()
            .register_eventfd(efd.as_raw_fd())
            .map_err(|e| format!("cannot register an eventfd with the ring ({e})"))?;
        // SAFETY: the OwnedFd is moved into the AsyncFd, which alone closes it, so the
        // descriptor stays open and the same for the AsyncFd's whole life.
        let eventfd = unsafe { AsyncFd::register_with_interest(efd, Interest::READABLE) }
            .map_err(|e| format!("cannot watch the ring's eventfd ({e})"))?;

        let mut ops = io_uring::Probe::new();
        let openat2 = ring.submitter().register_probe(&mut ops).is_ok()
            && ops.is_supported(opcode::OpenAt2::CODE);

        let mut fixed = false;
        let iovecs = pool.iovecs();
        if !iovecs.is_empty() && iovecs.len() <= MAX_REGISTERED {
            // SAFETY: the iovecs describe the pool's allocations, which the pool frees
            // only once closed, and `Driver::drop` closes it after dropping the ring,
            // so they stay valid for as long as they are registered.
            match unsafe { ring.submitter().register_buffers(&iovecs) } {
                Ok(()) => fixed = true,
                Err(e) => {
                    // Once per process: every worker meets the same limit.
                    static SAID: AtomicBool = AtomicBool::new(false);
                    if !SAID.swap(true, Ordering::Relaxed) {
                        tracing::info!(
                            "io_uring: cannot register {} read buffers of {} KiB ({e}); reads \
                             use unregistered buffers (raise RLIMIT_MEMLOCK to register them)",
                            iovecs.len(),
                            iovecs[0].iov_len / 1024
                        );
                    }
                }
            }
        }
        let driver = Arc::new(Driver {
            state: Mutex::new(State {
                ring: Some(ring),
                ops: Slab::default(),
                in_kernel: 0,
                cqes: Vec::new(),
                fixed,
            }),
            eventfd,
            fixed,
            openat2,
            #[cfg(test)]
            force_async: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            pool,
        });
        tokio::spawn(reap_completions(driver.clone()));
        Ok(driver)
    }

    pub(crate) fn registered_buffers(&self) -> bool {
        self.fixed
    }

    /// Whether [`Driver::open_at`] may be used: the kernel's io_uring knows OPENAT2.
    pub(crate) fn opens(&self) -> bool {
        self.openat2
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands a read of `len` bytes at `offset` into `buf` to the kernel. `buf` and
    /// `file` stay in the slab until the read's last completion.
    pub(crate) fn read(
        self: &Arc<Self>,
        file: Arc<File>,
        buf: Buf,
        offset: u64,
        len: usize,
    ) -> UringRead {
        UringRead(self.begin(OpKind::Read(ReadOp {
            file,
            buf,
            offset,
            len,
            filled: 0,
        })))
    }

    /// Hands `openat2(dir, path, {flags, resolve})` to the kernel (call only when
    /// [`Driver::opens`]). The path, the `open_how` and `dir` stay in the slab until
    /// the completion; a completion whose future is gone closes what it opened.
    pub(crate) fn open_at(
        self: &Arc<Self>,
        dir: Arc<OwnedFd>,
        path: CString,
        flags: u64,
        resolve: u64,
    ) -> UringOpen {
        UringOpen(self.begin(OpKind::Open(OpenOp {
            dir,
            path,
            how: Box::new(types::OpenHow::new().flags(flags).resolve(resolve)),
            opened: None,
        })))
    }

    /// Puts `kind` in the slab and hands it to the kernel.
    fn begin(self: &Arc<Self>, kind: OpKind) -> Claim {
        let mut wake = Vec::new();
        let key = {
            let mut st = self.lock();
            let key = st.ops.insert(Op {
                kind,
                retries: 0,
                state: OpState::Waiting(None),
            });
            st.in_kernel += 1;
            #[cfg(test)]
            let force_async = self.force_async.load(Ordering::Relaxed);
            #[cfg(not(test))]
            let force_async = false;
            if st.push_with(key, &mut wake, force_async) {
                st.submit(&mut wake);
            } else {
                let stuck = io::Error::other("the io_uring submission queue is stuck");
                st.finish(key, Err(stuck), &mut wake);
            }
            key
        };
        wake.into_iter().for_each(Waker::wake);
        Claim {
            driver: self.clone(),
            key,
            finished: false,
        }
    }

    /// The reader is gone: once the kernel owns nothing, the reaper stops and the ring
    /// is torn down.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::Release);
        self.poke();
    }

    /// Makes the eventfd readable, so the reaper looks at the ring.
    fn poke(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live local to a descriptor this driver owns.
        unsafe {
            libc::write(
                self.eventfd.get_ref().as_raw_fd(),
                (&one as *const u64).cast(),
                8,
            )
        };
    }

    /// Empties the eventfd's counter.
    fn drain_eventfd(&self) {
        let mut count = 0u64;
        // SAFETY: reads 8 bytes into a live local from a descriptor this driver owns;
        // it is non-blocking, so an empty counter returns EAGAIN.
        unsafe {
            libc::read(
                self.eventfd.get_ref().as_raw_fd(),
                (&mut count as *mut u64).cast(),
                8,
            )
        };
    }
}

impl State {
    /// Queues the entry for what remains of operation `key`. False when the kernel
    /// would take nothing, so the entry could not be queued.
    fn push(&mut self, key: usize, wake: &mut Vec<Waker>) -> bool {
        self.push_with(key, wake, false)
    }

    /// [`State::push`], sending the entry to the kernel's workers when `force_async`.
    fn push_with(&mut self, key: usize, wake: &mut Vec<Waker>, force_async: bool) -> bool {
        let fixed = self.fixed;
        let op = self
            .ops
            .get_mut(key)
            .expect("a queued operation is in the slab");
        let entry = match &mut op.kind {
            OpKind::Read(r) => {
                let fd = types::Fd(r.file.as_raw_fd());
                // SAFETY: `filled < len <= capacity`, so the pointer stays inside the buffer.
                let ptr = unsafe { r.buf.as_mut_ptr().add(r.filled) };
                let len = (r.len - r.filled) as u32;
                let offset = r.offset + r.filled as u64;
                match r.buf.pool_index().filter(|_| fixed) {
                    Some(index) => opcode::ReadFixed::new(fd, ptr, len, index)
                        .offset(offset)
                        .build(),
                    None => opcode::Read::new(fd, ptr, len).offset(offset).build(),
                }
            }
            OpKind::Open(o) => {
                let entry = opcode::OpenAt2::new(
                    types::Fd(o.dir.as_raw_fd()),
                    o.path.as_ptr(),
                    &*o.how as *const types::OpenHow,
                )
                .build();
                if force_async {
                    entry.flags(io_uring::squeue::Flags::ASYNC)
                } else {
                    entry
                }
            }
        }
        .user_data(key as u64);
        for _ in 0..64 {
            let ring = self.ring.as_mut().expect("the ring is up");
            // SAFETY: the entry points into memory owned by the slab entry `key` (a
            // read's buffer; an open's path and `open_how`) and names descriptors it
            // holds open (a read's file, an open's directory). The entry is removed only
            // after the kernel's last completion for it (or leaked, see `Drop for
            // Driver`), and the memory is on the heap, so moving the Op within the slab
            // does not move it.
            if unsafe { ring.submission().push(&entry) }.is_ok() {
                return true;
            }
            // The submission queue is full: hand it to the kernel to make room.
            if !self.submit(wake) {
                // The kernel takes nothing right now; reaping frees its backlog.
                self.reap(wake);
                std::thread::yield_now();
            }
        }
        false
    }

    /// Hands queued entries to the kernel. False when it took none of them.
    fn submit(&mut self, wake: &mut Vec<Waker>) -> bool {
        for _ in 0..8 {
            let ring = self.ring.as_mut().expect("the ring is up");
            if ring.submission().is_empty() {
                return true;
            }
            match ring.submit() {
                Ok(_) => return true,
                Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
                // Completions are backed up in the kernel (EBUSY) or it is short of
                // memory (EAGAIN): collect what is there and try again.
                Err(e) if matches!(e.raw_os_error(), Some(libc::EBUSY | libc::EAGAIN)) => {
                    self.reap(wake);
                }
                Err(e) => {
                    tracing::warn!("io_uring submit failed: {e}");
                    return false;
                }
            }
        }
        false
    }

    /// Collects every posted completion: finishes, retries or releases operations,
    /// and leaves the wakers of finished reads in `wake` (woken once the lock is
    /// released).
    fn reap(&mut self, wake: &mut Vec<Waker>) {
        for _ in 0..64 {
            let mut cqes = std::mem::take(&mut self.cqes);
            cqes.clear();
            let overflowed = {
                let ring = self.ring.as_mut().expect("the ring is up");
                cqes.extend(ring.completion().map(|c| (c.user_data(), c.result())));
                ring.submission().cq_overflow()
            };
            let got = !cqes.is_empty();
            let mut resubmit = false;
            for &(user_data, result) in &cqes {
                if user_data != NOT_AN_OP {
                    resubmit |= self.complete(user_data as usize, result, wake);
                }
            }
            self.cqes = cqes;
            if resubmit {
                self.submit(wake);
            }
            if overflowed {
                // The kernel holds completions that did not fit; an enter flushes them.
                let _ = self.ring.as_mut().expect("the ring is up").submit();
                continue;
            }
            if !got {
                return;
            }
        }
    }

    /// Applies one completion to operation `key`. True when it queued a retry.
    fn complete(&mut self, key: usize, result: i32, wake: &mut Vec<Waker>) -> bool {
        let Some(op) = self.ops.get_mut(key) else {
            debug_assert!(false, "a completion for no operation in flight ({key})");
            return false;
        };
        let detached = matches!(op.state, OpState::Detached);
        let outcome = if result < 0 {
            let errno = -result;
            if matches!(errno, libc::EINTR | libc::EAGAIN) && op.retries < MAX_RETRIES && !detached
            {
                op.retries += 1;
                None
            } else {
                Some(Err(io::Error::from_raw_os_error(errno)))
            }
        } else {
            match &mut op.kind {
                // End of file.
                OpKind::Read(_) if result == 0 => Some(Ok(())),
                OpKind::Read(r) => {
                    r.filled += result as usize;
                    if r.filled < r.len && !detached {
                        // A short read before end of file: read the rest.
                        None
                    } else {
                        Some(Ok(()))
                    }
                }
                OpKind::Open(o) => {
                    // SAFETY: a non-negative result of an open is the new descriptor,
                    // which nothing else owns. Held by the Op, it is closed with it if
                    // its future is gone.
                    o.opened = Some(unsafe { OwnedFd::from_raw_fd(result) });
                    Some(Ok(()))
                }
            }
        };
        let outcome = match outcome {
            None if self.push(key, wake) => return true,
            None => Err(io::Error::other("the io_uring submission queue is stuck")),
            Some(result) => result,
        };
        self.finish(key, outcome, wake);
        false
    }

    /// Operation `key` left the kernel with `result`: hands it to its future, or
    /// releases it if the future is gone.
    fn finish(&mut self, key: usize, result: io::Result<()>, wake: &mut Vec<Waker>) {
        self.in_kernel -= 1;
        let op = self
            .ops
            .get_mut(key)
            .expect("a finishing operation is in the slab");
        match std::mem::replace(&mut op.state, OpState::Done(result)) {
            OpState::Waiting(waker) => wake.extend(waker),
            // Nobody waits: a read's buffer goes back to its pool and its file closes;
            // an open's new descriptor is closed.
            OpState::Detached => drop(self.ops.remove(key)),
            OpState::Done(_) => unreachable!("an operation finished twice"),
        }
    }
}

/// The reaper: waits for the eventfd and collects completions, until the reader is
/// gone and the kernel owns nothing.
async fn reap_completions(driver: Arc<Driver>) {
    loop {
        let mut guard = match driver.eventfd.readable().await {
            Ok(guard) => guard,
            Err(e) => {
                tracing::warn!("io_uring: cannot watch the ring's eventfd: {e}");
                return;
            }
        };
        // Clear first: a completion posted after the drain makes the fd readable anew.
        guard.clear_ready();
        driver.drain_eventfd();
        let mut wake = Vec::new();
        let done = {
            let mut st = driver.lock();
            st.reap(&mut wake);
            driver.closed.load(Ordering::Acquire) && st.in_kernel == 0
        };
        wake.into_iter().for_each(Waker::wake);
        if done {
            return;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        // Reads can still be in the kernel here only when the runtime dropped the
        // reaper (shutdown); their futures are gone, since each holds the driver. Their
        // buffers must not be freed while the kernel may write them: wait for them.
        let deadline = Instant::now() + DRAIN_TIMEOUT;
        let mut wake = Vec::new();
        while st.in_kernel > 0 && Instant::now() < deadline {
            let ring = st.ring.as_mut().expect("the ring is up");
            let ts = types::Timespec::new().nsec(100_000_000);
            let args = types::SubmitArgs::new().timespec(&ts);
            if let Err(e) = ring.submitter().submit_with_args(1, &args) {
                if !matches!(
                    e.raw_os_error(),
                    Some(libc::ETIME | libc::EINTR | libc::EBUSY)
                ) {
                    // Without EXT_ARG (before 5.11): wait without a timeout.
                    let _ = ring.submit_and_wait(1);
                }
            }
            st.reap(&mut wake);
        }
        if st.in_kernel > 0 {
            tracing::warn!(
                "io_uring: {} operation(s) still in the kernel after {:?}; leaking their memory",
                st.in_kernel,
                DRAIN_TIMEOUT
            );
            for op in st.ops.entries.drain(..).flatten() {
                std::mem::forget(op);
            }
        }
        // Closing the ring unregisters the buffers; only then may the pool free them.
        st.ring = None;
        self.pool.close();
    }
}

/// A claim on an operation in the slab: collects it once done. Dropping it before
/// then leaves everything the operation owns with it until its completion arrives.
struct Claim {
    driver: Arc<Driver>,
    key: usize,
    finished: bool,
}

impl Claim {
    /// The operation and its result, once the kernel is done with it.
    fn poll_done(&mut self, cx: &mut Context<'_>) -> Poll<(OpKind, io::Result<()>)> {
        assert!(
            !self.finished,
            "an io_uring future polled after it finished"
        );
        let mut wake = Vec::new();
        let ready = {
            let mut st = self.driver.lock();
            st.reap(&mut wake);
            let op = st
                .ops
                .get_mut(self.key)
                .expect("an unfinished operation is in the slab");
            match &mut op.state {
                OpState::Done(_) => {
                    let op = st.ops.remove(self.key).expect("just seen");
                    let OpState::Done(result) = op.state else {
                        unreachable!()
                    };
                    Some((op.kind, result))
                }
                OpState::Waiting(waker) => {
                    match waker {
                        Some(w) if w.will_wake(cx.waker()) => {}
                        _ => *waker = Some(cx.waker().clone()),
                    }
                    None
                }
                OpState::Detached => unreachable!("a live future's operation is not detached"),
            }
        };
        wake.into_iter().for_each(Waker::wake);
        match ready {
            Some(done) => {
                self.finished = true;
                Poll::Ready(done)
            }
            None => Poll::Pending,
        }
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let removed = {
            let mut st = self.driver.lock();
            let Some(op) = st.ops.get_mut(self.key) else {
                return;
            };
            if matches!(op.state, OpState::Done(_)) {
                // Finished but never collected: release it now.
                st.ops.remove(self.key)
            } else {
                // Still in the kernel: the completion will release it.
                op.state = OpState::Detached;
                None
            }
        };
        // Outside the lock: a buffer goes back to its pool, descriptors close.
        drop(removed);
    }
}

/// A read handed to the ring. Dropping it before it finishes leaves the buffer and
/// the file with the operation until its completion arrives.
pub(crate) struct UringRead(Claim);

impl Future for UringRead {
    type Output = io::Result<(Buf, usize)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_done(cx).map(|(kind, result)| {
            let OpKind::Read(r) = kind else {
                unreachable!("a read's claim holds a read")
            };
            result.map(|()| (r.buf, r.filled))
        })
    }
}

/// An open handed to the ring; resolves to the new descriptor. Dropping it before it
/// finishes leaves the path and the directory with the operation until its completion
/// arrives, which then closes whatever it opened.
pub(crate) struct UringOpen(Claim);

impl Future for UringOpen {
    type Output = io::Result<OwnedFd>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_done(cx).map(|(kind, result)| {
            let OpKind::Open(o) = kind else {
                unreachable!("an open's claim holds an open")
            };
            result.map(|()| o.opened.expect("a finished open holds its descriptor"))
        })
    }
}

// ---------------------------------------------------------------------------
// The memory reads go into. It lives here, beside the ring that registers it, because
// its lifetime rules are the ring's: a buffer is freed only when nothing, the kernel
// included, can still write into it.

/// One pool buffer's memory: `buffer_size` bytes, page-aligned, zeroed when made.
struct RawBuf {
    ptr: NonNull<u8>,
    index: u16,
}

// SAFETY: a RawBuf is the only handle to its allocation; whoever holds it may use it
// from any thread.
unsafe impl Send for RawBuf {}

/// A worker's read buffers. Shared (`Arc`) with every buffer taken from it, since a
/// buffer comes back when the last `Bytes` over it is dropped, on any thread.
pub(crate) struct Pool {
    buffer_size: usize,
    size: usize,
    inner: Mutex<PoolInner>,
    /// Reads that found the pool empty (counted by the reader).
    pub(crate) heap_reads: AtomicU64,
}

struct PoolInner {
    free: Vec<RawBuf>,
    /// The reader (and its ring) is gone: returned buffers are freed.
    closed: bool,
}

impl Pool {
    pub(crate) fn new(buffer_size: usize, size: usize) -> Arc<Pool> {
        let layout = Self::layout(buffer_size);
        let free = (0..size)
            .map(|i| {
                // SAFETY: the layout's size is non-zero (buffer_size >= 1).
                let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
                let ptr =
                    NonNull::new(ptr).unwrap_or_else(|| std::alloc::handle_alloc_error(layout));
                #[cfg(test)]
                // SAFETY: a fresh allocation of `buffer_size` bytes.
                unsafe {
                    std::ptr::write_bytes(ptr.as_ptr(), POISON, buffer_size)
                };
                RawBuf {
                    ptr,
                    index: u16::try_from(i).unwrap_or(u16::MAX),
                }
            })
            .collect();
        Arc::new(Pool {
            buffer_size,
            size,
            inner: Mutex::new(PoolInner {
                free,
                closed: false,
            }),
            heap_reads: AtomicU64::new(0),
        })
    }

    fn layout(buffer_size: usize) -> Layout {
        Layout::from_size_align(buffer_size, BUFFER_ALIGN).expect("buffer size fits a layout")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The buffers, for registering with a ring. Only meaningful before any is taken.
    pub(crate) fn iovecs(&self) -> Vec<libc::iovec> {
        let inner = self.lock();
        if inner.free.len() != self.size || self.size > usize::from(u16::MAX) {
            return Vec::new();
        }
        let mut iovecs: Vec<_> = inner.free.iter().map(|b| (b.index, b.ptr)).collect();
        iovecs.sort_by_key(|&(index, _)| index);
        iovecs
            .into_iter()
            .map(|(_, ptr)| libc::iovec {
                iov_base: ptr.as_ptr().cast(),
                iov_len: self.buffer_size,
            })
            .collect()
    }

    /// A buffer, or `None` when all are in use (the caller then reads into
    /// [`Buf::heap`] rather than wait).
    pub(crate) fn take(self: &Arc<Self>) -> Option<PoolBuf> {
        let raw = self.lock().free.pop()?;
        Some(PoolBuf {
            raw: Some(raw),
            pool: self.clone(),
        })
    }

    fn put(&self, raw: RawBuf) {
        #[cfg(test)]
        // SAFETY: the buffer is ours again; nothing else refers to it.
        unsafe {
            std::ptr::write_bytes(raw.ptr.as_ptr(), POISON, self.buffer_size)
        };
        let mut inner = self.lock();
        if inner.closed {
            drop(inner);
            self.free(raw);
        } else {
            inner.free.push(raw);
        }
    }

    fn free(&self, raw: RawBuf) {
        // SAFETY: `raw` was allocated with this layout and is given up here for good.
        unsafe { std::alloc::dealloc(raw.ptr.as_ptr(), Self::layout(self.buffer_size)) };
    }

    /// Frees the idle buffers now and every other one as it comes back. Called once
    /// nothing can read into them any more (the ring is gone).
    pub(crate) fn close(&self) {
        let free = {
            let mut inner = self.lock();
            inner.closed = true;
            std::mem::take(&mut inner.free)
        };
        free.into_iter().for_each(|raw| self.free(raw));
    }

    pub(crate) fn buffer_size(&self) -> usize {
        self.buffer_size
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    pub(crate) fn idle(&self) -> usize {
        self.lock().free.len()
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Every buffer holds the pool, so all of them are back by now.
        let free = std::mem::take(&mut self.lock().free);
        free.into_iter().for_each(|raw| self.free(raw));
    }
}

/// Written over a buffer as it returns to the pool in tests, so a late write into
/// it shows.
#[cfg(test)]
const POISON: u8 = 0xDB;

/// A buffer taken from a pool; dropping it returns it.
pub(crate) struct PoolBuf {
    raw: Option<RawBuf>,
    pool: Arc<Pool>,
}

impl Drop for PoolBuf {
    fn drop(&mut self) {
        if let Some(raw) = self.raw.take() {
            self.pool.put(raw);
        }
    }
}

/// The memory a read goes into: a pool buffer, or a heap buffer of just the read's
/// length when the pool is empty.
pub(crate) enum Buf {
    Pooled(PoolBuf),
    Heap(Vec<u8>),
}

impl Buf {
    pub(crate) fn as_mut_ptr(&mut self) -> *mut u8 {
        match self {
            Buf::Pooled(b) => b.raw.as_ref().expect("a live buffer").ptr.as_ptr(),
            Buf::Heap(v) => v.as_mut_ptr(),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        match self {
            Buf::Pooled(b) => b.pool.buffer_size,
            Buf::Heap(v) => v.capacity(),
        }
    }

    /// The index the buffer is registered under, if it is a pool buffer.
    pub(crate) fn pool_index(&self) -> Option<u16> {
        match self {
            Buf::Pooled(b) => b.raw.as_ref().map(|r| r.index),
            Buf::Heap(..) => None,
        }
    }

    /// A heap buffer of `len` bytes, for a read that found the pool empty. Its memory
    /// is not initialized: only the kernel writes into it (a read), and only the bytes
    /// a read filled are ever looked at (see [`Buf::into_bytes`]). Zeroing it first
    /// cost a memset and page faults per read when many responses are in flight.
    pub(crate) fn heap(len: usize) -> Buf {
        Buf::Heap(Vec::with_capacity(len))
    }

    /// [`Buf::pread_at`] from the page cache only (`RWF_NOWAIT`): bytes the cache does
    /// not hold make it stop short, or fail with `WouldBlock`, rather than wait for the
    /// disk. `Unsupported` where the kernel or file system has no such reads.
    pub(crate) fn pread_cached(
        &mut self,
        file: &File,
        filled: usize,
        len: usize,
        offset: u64,
    ) -> io::Result<usize> {
        self.preadv2(file, filled, len, offset, libc::RWF_NOWAIT)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL) => {
                    io::Error::new(io::ErrorKind::Unsupported, e)
                }
                _ => e,
            })
    }

    /// `pread` into the buffer at `filled`, up to `len` bytes in all: the bytes read.
    /// (`pread`, which every kernel has: the fallback path must work where nothing
    /// newer does.)
    pub(crate) fn pread_at(
        &mut self,
        file: &File,
        filled: usize,
        len: usize,
        offset: u64,
    ) -> io::Result<usize> {
        let at = self.unfilled(filled, len);
        // SAFETY: `at` points at `len - filled` bytes this Buf owns alone; the kernel
        // writes at most that many, and nothing reads them before this call returns.
        let n = unsafe {
            libc::pread(
                file.as_raw_fd(),
                at.cast(),
                len - filled,
                offset as libc::off_t,
            )
        };
        Buf::read_result(n)
    }

    fn preadv2(
        &mut self,
        file: &File,
        filled: usize,
        len: usize,
        offset: u64,
        flags: libc::c_int,
    ) -> io::Result<usize> {
        let iov = libc::iovec {
            iov_base: self.unfilled(filled, len).cast(),
            iov_len: len - filled,
        };
        // SAFETY: one iovec over `len - filled` bytes this Buf owns alone; the kernel
        // writes at most that many, and nothing reads them before this call returns.
        let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, offset as libc::off_t, flags) };
        Buf::read_result(n)
    }

    /// Where bytes `filled..len` of the buffer start.
    fn unfilled(&mut self, filled: usize, len: usize) -> *mut u8 {
        assert!(filled <= len && len <= self.capacity());
        // SAFETY: `filled` is within the allocation of at least `len` bytes.
        unsafe { self.as_mut_ptr().add(filled) }
    }

    fn read_result(n: isize) -> io::Result<usize> {
        if n < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(n as usize)
        }
    }

    /// The first `len` bytes as `Bytes`, without a copy.
    pub(crate) fn into_bytes(self, len: usize) -> Bytes {
        assert!(len <= self.capacity());
        if len == 0 {
            return Bytes::new();
        }
        let mem = match self {
            Buf::Pooled(buf) => Mem::Pooled(buf),
            Buf::Heap(mut v) => {
                // SAFETY: the read that filled this buffer wrote its first `len` bytes
                // (callers pass the count the kernel returned), and `len <= capacity`.
                unsafe { v.set_len(len) };
                Mem::Heap(v)
            }
        };
        // Recorded so that a connection gathering its writes can hold these bytes
        // instead of copying them (see `crate::io::held`).
        crate::io::held::hand_on(Filled { mem, len })
    }
}

/// The owner behind a read's `Bytes`: when the last `Bytes` goes, so does this, and
/// the buffer returns to its pool (or is freed, if the pool is closed or it came
/// from the heap).
struct Filled {
    mem: Mem,
    len: usize,
}

enum Mem {
    Pooled(PoolBuf),
    Heap(Vec<u8>),
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        match &self.mem {
            Mem::Pooled(buf) => {
                let raw = buf.raw.as_ref().expect("a live buffer");
                // SAFETY: `len <= buffer_size`, the memory is initialized, and it is not
                // written again until this owner (and so every `Bytes` over it) is gone.
                unsafe { std::slice::from_raw_parts(raw.ptr.as_ptr(), self.len) }
            }
            Mem::Heap(v) => v,
        }
    }
}

// SAFETY: a `Filled` is only ever read (its bytes do not change while it exists), so
// shared references to it may be used from any thread.
unsafe impl Sync for Filled {}

#[cfg(test)]
impl Pool {
    /// Every idle buffer still holds nothing but the poison written when it came
    /// back: nothing wrote into it after its release.
    pub(crate) fn idle_buffers_poisoned(&self) -> bool {
        let inner = self.lock();
        inner.free.iter().all(|raw| {
            // SAFETY: idle buffers are the pool's alone, `buffer_size` initialized bytes.
            let bytes = unsafe { std::slice::from_raw_parts(raw.ptr.as_ptr(), self.buffer_size) };
            bytes.iter().all(|&b| b == POISON)
        })
    }
}

// ---------------------------------------------------------------------------
// Small system calls the reader needs, kept here with the rest of the unsafe code.

/// Whether `file`'s first bytes can be read from the page cache without waiting
/// (`RWF_NOWAIT`), for tests that depend on it.
#[cfg(test)]
pub(crate) fn reads_from_cache(file: &File) -> bool {
    let mut b = [0u8; 16];
    let iov = libc::iovec {
        iov_base: b.as_mut_ptr().cast(),
        iov_len: b.len(),
    };
    // SAFETY: one iovec over a live stack buffer of its length.
    unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, 0, libc::RWF_NOWAIT) > 0 }
}

/// Clears `O_NONBLOCK` on `file`: io_uring answers EAGAIN instead of waiting on a
/// file opened non-blocking (which the reader does, so that a FIFO cannot hang it).
/// The reader's files are opened with none of the other flags `F_SETFL` changes
/// (`O_APPEND`, `O_ASYNC`, `O_DIRECT`, `O_NOATIME`), so one call setting none does it.
pub(crate) fn clear_nonblocking(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: a plain fcntl call on a descriptor `file` keeps open; no memory passed.
    let ok = unsafe { libc::fcntl(fd, libc::F_SETFL, 0) >= 0 };
    if ok {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `open_how` as `openat2(2)` takes it (libc's is not constructible outside libc).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// `openat2(2)` on the calling thread: opens `path` relative to `dir` (the working
/// directory when `None`) with `flags` and the `RESOLVE_*` bits in `resolve`. Retries
/// EINTR; returns every other error as the kernel gave it (ENOSYS before Linux 5.6).
pub(crate) fn openat2(
    dir: Option<BorrowedFd<'_>>,
    path: &CStr,
    flags: u64,
    resolve: u64,
) -> io::Result<OwnedFd> {
    let how = OpenHow {
        flags,
        mode: 0,
        resolve,
    };
    let dirfd = dir.map_or(libc::AT_FDCWD, |d| d.as_raw_fd());
    loop {
        // SAFETY: `path` is NUL-terminated and `how` is an `open_how` of the size
        // passed; both outlive the call, which copies them. No other memory is named.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                dirfd,
                path.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        if fd >= 0 {
            let fd = i32::try_from(fd).expect("a descriptor fits an int");
            // SAFETY: a non-negative result is a new descriptor that nothing else owns.
            return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

#[cfg(test)]
impl Driver {
    /// No operation is in the kernel or waiting in the slab to be collected.
    pub(crate) fn is_idle(&self) -> bool {
        let st = self.lock();
        st.in_kernel == 0 && st.ops.entries.iter().all(Option::is_none)
    }
}

/// System calls the reader's tests need.
#[cfg(test)]
pub(crate) mod test_support {
    use std::io;
    use std::os::fd::AsRawFd;

    /// Drops `file`'s clean pages from the page cache, so reads of it wait for the disk.
    pub(crate) fn evict(file: &std::fs::File) {
        // SAFETY: an advisory call on a descriptor `file` keeps open.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }

    pub(crate) fn mkfifo(path: &std::path::Path) -> io::Result<()> {
        let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())?;
        // SAFETY: a NUL-terminated path that outlives the call.
        match unsafe { libc::mkfifo(c.as_ptr(), 0o600) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }

    /// Installs a seccomp filter on this thread (and the threads it starts) that
    /// fails the io_uring system calls with `errno`, as a container's profile does.
    pub(crate) fn refuse_io_uring(errno: i32) {
        refuse_syscalls(
            &[
                libc::SYS_io_uring_setup,
                libc::SYS_io_uring_enter,
                libc::SYS_io_uring_register,
            ],
            errno,
        );
    }

    /// Installs a seccomp filter on this thread (and the threads it starts) that
    /// fails the system calls `nrs` with `errno`.
    pub(crate) fn refuse_syscalls(nrs: &[libc::c_long], errno: i32) {
        use libc::{
            sock_filter, sock_fprog, BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W,
        };
        let stmt = |code: u32, k: u32| sock_filter {
            code: code as u16,
            jt: 0,
            jf: 0,
            k,
        };
        let jeq = |k: u32, jt: u8| sock_filter {
            code: (BPF_JMP | BPF_JEQ | BPF_K) as u16,
            jt,
            jf: 0,
            k,
        };
        assert!(nrs.len() < 250);
        let mut filter = vec![stmt(BPF_LD | BPF_W | BPF_ABS, 0)]; // seccomp_data.nr
        for (i, &nr) in nrs.iter().enumerate() {
            // A match jumps over the remaining tests and the ALLOW to the ERRNO.
            filter.push(jeq(nr as u32, (nrs.len() - i) as u8));
        }
        filter.push(stmt(BPF_RET | BPF_K, libc::SECCOMP_RET_ALLOW));
        filter.push(stmt(
            BPF_RET | BPF_K,
            libc::SECCOMP_RET_ERRNO | errno as u32,
        ));
        let prog = sock_fprog {
            len: filter.len() as u16,
            filter: filter.as_mut_ptr(),
        };
        // SAFETY: `prog` points at `filter`; both outlive the calls, which copy them.
        unsafe {
            assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
            let set = libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog as *const sock_fprog,
            );
            assert_eq!(set, 0, "{}", io::Error::last_os_error());
        }
    }
}
