//! The limits that keep one script from taking its host down: a heap ceiling per
//! isolate and a CPU budget per invocation. Both end in `terminate_execution`, which
//! unwinds the JS stack without killing the process; the loop then reports which limit
//! was hit (`ERR_WORKER_OUT_OF_MEMORY`, `ERR_SCRIPT_EXECUTION_TIMEOUT`).

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
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

struct WatchState {
    deadline: Option<Instant>,
    shutdown: bool,
}

/// A thread that terminates the isolate's JS when an armed budget runs out.
pub struct Watchdog {
    shared: Arc<(Mutex<WatchState>, Condvar)>,
    pub fired: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn new(handle: v8::IsolateHandle) -> Watchdog {
        let shared = Arc::new((
            Mutex::new(WatchState {
                deadline: None,
                shutdown: false,
            }),
            Condvar::new(),
        ));
        let fired = Arc::new(AtomicBool::new(false));
        let (s, f) = (shared.clone(), fired.clone());
        let thread = std::thread::Builder::new()
            .name("weir-watchdog".into())
            .spawn(move || {
                let (lock, cvar) = &*s;
                let mut st = lock.lock().unwrap_or_else(|e| e.into_inner());
                loop {
                    if st.shutdown {
                        return;
                    }
                    match st.deadline {
                        None => st = cvar.wait(st).unwrap_or_else(|e| e.into_inner()),
                        Some(d) => {
                            let now = Instant::now();
                            if now >= d {
                                st.deadline = None;
                                f.store(true, Ordering::SeqCst);
                                handle.terminate_execution();
                            } else {
                                st = cvar
                                    .wait_timeout(st, d - now)
                                    .unwrap_or_else(|e| e.into_inner())
                                    .0;
                            }
                        }
                    }
                }
            })
            .expect("spawn the watchdog thread");
        Watchdog {
            shared,
            fired,
            thread: Some(thread),
        }
    }

    /// Starts a budget of `budget` for the invocation about to run.
    pub fn arm(&self, budget: Duration) {
        let (lock, cvar) = &*self.shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).deadline = Some(Instant::now() + budget);
        cvar.notify_one();
    }

    /// Ends the current budget.
    pub fn disarm(&self) {
        let (lock, _) = &*self.shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).deadline = None;
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let (lock, cvar) = &*self.shared;
        lock.lock().unwrap_or_else(|e| e.into_inner()).shutdown = true;
        cvar.notify_one();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
