//! Process-wide V8 set-up: the platform, the ICU data and the engine flags. It runs
//! once, before the first isolate; every thread that creates an isolate calls
//! [`init`] and the first call wins.

use std::sync::Once;

static INIT: Once = Once::new();

/// Initializes V8 for the whole process. Safe to call from any thread, any number of
/// times.
pub fn init() {
    INIT.call_once(|| {
        // ICU reads its data from memory the embedder owns; the data must outlive every
        // isolate, which a `'static` slice does.
        let _ = v8::icu::set_common_data_78(deno_core_icudata::ICU_DATA);
        // `--stack-size` stays at V8's default (984 KiB): weir's worker threads get a
        // larger native stack (see `js::runtime`), so deep JS recursion ends in a
        // RangeError, never a segfault.
        v8::V8::set_flags_from_string("--no-freeze-flags-after-init --harmony-import-attributes");
        // ArrayBuffers are swept on the thread that uses them. Streams allocate and drop
        // a backing store per chunk; handing their sweeping to a background thread made
        // a pipeline of three Transforms over 1 GiB of 64 KiB Buffers 1.5x slower on 2
        // cores (0.149 s against 0.096, `load-tests/streams/bench.py`), the main thread
        // waiting on the sweeper at each GC, while scripts without that churn are
        // unchanged. `WEIR_V8_FLAGS=--concurrent-array-buffer-sweeping` restores V8's
        // default.
        v8::V8::set_flags_from_string("--no-concurrent-array-buffer-sweeping");
        // Extra engine flags for profiling and debugging (e.g. `--perf-basic-prof`).
        if let Ok(flags) = std::env::var("WEIR_V8_FLAGS") {
            v8::V8::set_flags_from_string(&flags);
        }
        let platform = v8::new_default_platform(0, false).make_shared();
        v8::V8::initialize_platform(platform);
        v8::V8::initialize();
    });
}
