//! The limits that keep one script from taking its host down: a heap ceiling per
//! isolate and a CPU budget per invocation. Both end in `terminate_execution`, which
//! unwinds the JS stack without killing the process; the loop then reports which limit
//! was hit (`ERR_WORKER_OUT_OF_MEMORY`, `ERR_SCRIPT_EXECUTION_TIMEOUT`).

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Shared with V8's near-heap-limit callback through a raw pointer; it lives in a
/// `Box` owned by the runtime for as long as the isolate.
pub struct HeapGuard {
    handle: v8::IsolateHandle,
    pub hit: AtomicBool,
}

impl HeapGuard {
    pub fn install(isolate: &mut v8::Isolate) -> Box<HeapGuard> {
        let guard = Box::new(HeapGuard {
            handle: isolate.thread_safe_handle(),
            hit: AtomicBool::new(false),
        });
        let data = &*guard as *const HeapGuard as *mut c_void;
        isolate.add_near_heap_limit_callback(near_heap_limit, data);
        guard
    }
}

extern "C" fn near_heap_limit(data: *mut c_void, current: usize, _initial: usize) -> usize {
    // SAFETY: `data` is the `HeapGuard` boxed by `install`; the runtime keeps the box
    // alive until after the isolate is disposed.
    let guard = unsafe { &*(data as *const HeapGuard) };
    guard.hit.store(true, Ordering::SeqCst);
    guard.handle.terminate_execution();
    // Head-room for the stack to unwind; the isolate is not used for new work after.
    current.saturating_mul(2)
}

/// V8 gives up entirely only if unwinding itself cannot allocate; say so plainly and
/// exit instead of aborting with a core dump.
///
/// # Safety
///
/// Called by V8 only, with `location` null or a NUL-terminated string.
pub unsafe extern "C" fn oom_handler(
    location: *const std::os::raw::c_char,
    _details: &v8::OomDetails,
) {
    let location = if location.is_null() {
        String::from("unknown")
    } else {
        // SAFETY: V8 passes a NUL-terminated C string.
        unsafe { std::ffi::CStr::from_ptr(location) }
            .to_string_lossy()
            .into_owned()
    };
    crate::ops::core::write_stderr(&format!(
        "FATAL ERROR: {location} JavaScript heap out of memory [ERR_WORKER_OUT_OF_MEMORY]\n"
    ));
    std::process::exit(134);
}

/// Shared with the interrupt callback, which runs on the isolate's own thread.
pub struct InterruptData {
    /// Bumped by every `arm` and `disarm`; an interrupt requested for an older
    /// invocation is ignored when it finally runs.
    generation: AtomicU64,
    /// Nanoseconds since the watchdog's epoch at which the armed invocation overruns;
    /// 0 when nothing is armed.
    deadline: AtomicU64,
    requested: AtomicU64,
    /// Set by the callback when it stopped JS for exceeding the budget.
    pub fired: AtomicBool,
    /// The `continuation-preserved embedder data` of the JS that was running (the
    /// server puts the request id there), or -1.
    pub culprit: AtomicI64,
    shutdown: AtomicBool,
}

/// A thread that stops the isolate's JS when an armed budget runs out. Arming and
/// disarming are two atomic stores (they happen around every macrotask, so they must
/// not wake a thread); the watchdog polls at a tenth of the budget (1 ms to 50 ms),
/// so an overrun is caught within about 10 % of the budget. It asks the isolate to
/// interrupt itself, so the callback sees which piece of JS was running (for the
/// server: which request) before it terminates execution.
pub struct Watchdog {
    epoch: Instant,
    pub data: Arc<InterruptData>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn new(handle: v8::IsolateHandle, budget: Duration) -> Watchdog {
        let epoch = Instant::now();
        let data = Arc::new(InterruptData {
            generation: AtomicU64::new(0),
            deadline: AtomicU64::new(0),
            requested: AtomicU64::new(0),
            fired: AtomicBool::new(false),
            culprit: AtomicI64::new(-1),
            shutdown: AtomicBool::new(false),
        });
        let tick = (budget / 10).clamp(Duration::from_millis(1), Duration::from_millis(50));
        let d = data.clone();
        let thread = std::thread::Builder::new()
            .name("weir-watchdog".into())
            .spawn(move || {
                while !d.shutdown.load(Ordering::Acquire) {
                    std::thread::park_timeout(tick);
                    let deadline = d.deadline.load(Ordering::Acquire);
                    if deadline == 0 || (epoch.elapsed().as_nanos() as u64) < deadline {
                        continue;
                    }
                    let generation = d.generation.load(Ordering::Acquire);
                    // Only once per armed invocation.
                    if d.deadline
                        .compare_exchange(deadline, 0, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        d.requested.store(generation, Ordering::Release);
                        let ptr = Arc::as_ptr(&d) as *mut c_void;
                        handle.request_interrupt(on_budget_exceeded, ptr);
                    }
                }
            })
            .expect("spawn the watchdog thread");
        Watchdog {
            epoch,
            data,
            thread: Some(thread),
        }
    }

    /// Starts a budget of `budget` for the invocation about to run.
    pub fn arm(&self, budget: Duration) {
        self.data.generation.fetch_add(1, Ordering::AcqRel);
        let deadline = (self.epoch.elapsed() + budget).as_nanos() as u64;
        self.data.deadline.store(deadline.max(1), Ordering::Release);
    }

    /// Ends the current budget.
    pub fn disarm(&self) {
        self.data.deadline.store(0, Ordering::Release);
        self.data.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Clears the record of a past expiry after the runtime recovered from it.
    pub fn reset(&self) {
        self.data.fired.store(false, Ordering::SeqCst);
        self.data.culprit.store(-1, Ordering::SeqCst);
    }
}

/// Runs on the isolate's thread, inside the JS that overran its budget.
extern "C" fn on_budget_exceeded(mut isolate: v8::UnsafeRawIsolatePtr, data: *mut c_void) {
    // SAFETY: `data` points into the `Arc<InterruptData>` held by the `Watchdog`,
    // which outlives the isolate's use (the runtime drops the watchdog after the
    // isolate has stopped running JS).
    let data = unsafe { &*(data as *const InterruptData) };
    if data.requested.load(Ordering::SeqCst) != data.generation.load(Ordering::SeqCst) {
        return; // that invocation already ended
    }
    // SAFETY: V8 calls interrupt callbacks on the isolate's thread with the isolate
    // entered; no other reference to it is in use while JS is interrupted.
    let isolate = unsafe { v8::Isolate::ref_from_raw_isolate_ptr_mut(&mut isolate) };
    let culprit = crate::js::runtime::current_request(isolate).unwrap_or(-1);
    data.culprit.store(culprit, Ordering::SeqCst);
    data.fired.store(true, Ordering::SeqCst);
    isolate.terminate_execution();
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.data.shutdown.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
