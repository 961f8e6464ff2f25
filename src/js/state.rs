//! What one isolate's event loop knows between two turns: the JS callbacks the loop
//! calls (tick, timers, immediates, rejections), the pending async ops, the timer
//! deadline and the reason execution was stopped. It lives in an isolate slot as
//! `Rc<RefCell<LoopState>>`, so ops reach it from their `PinScope`; a borrow is never
//! held across a call into JS.

use crate::js::modules::ModuleMap;
use crate::ops::{OpError, OpValue};
use crate::resources::ResourceTable;
use futures::stream::FuturesUnordered;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

pub type SharedState = Rc<RefCell<LoopState>>;

/// Why JS execution was cut short with `terminate_execution`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Termination {
    /// `process.exit(code)`, or a fatal uncaught exception.
    Exit(i32),
    /// One invocation ran past `--cpu-limit-ms`.
    CpuLimit,
    /// The heap reached `--max-heap-mb`.
    HeapLimit,
}

/// An async op's settled value, produced off the JS stack and delivered in a batch.
pub struct Completion {
    pub promise_id: u32,
    pub result: Result<OpValue, OpError>,
}

pub type OpFuture = Pin<Box<dyn Future<Output = Completion>>>;

/// Polled by the loop for a source's next batch.
pub type PollBatch =
    Box<dyn FnMut(&mut std::task::Context<'_>) -> std::task::Poll<Option<Box<dyn Batch>>>>;

/// A native source of event batches (for example a server's incoming requests) that
/// the loop polls with the ops and delivers by calling `callback(batch)` as its own
/// macrotask, never through a promise: a batch cannot be lost with a microtask queue
/// that a terminated invocation abandoned. A source keeps the loop alive until it
/// reports its end (`Ready(None)`).
pub struct EventSource {
    pub poll: PollBatch,
    pub callback: v8::Global<v8::Function>,
}

/// What an [`EventSource`] produces: turned into one JS value on the loop's thread
/// right before the callback runs (sources build V8 values directly, with no
/// intermediate copies).
pub trait Batch {
    fn into_v8<'s>(self: Box<Self>, scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value>;
}

impl Batch for OpValue {
    fn into_v8<'s>(self: Box<Self>, scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value> {
        self.to_v8(scope)
    }
}

/// Node's `immediateInfo` (`[kCount, kRefCount, kHasOutstanding]`, a `Uint32Array`
/// that JS updates), read by the loop every turn straight from its memory.
pub struct ImmediateInfo {
    store: v8::SharedRef<v8::BackingStore>,
    offset: usize,
}

impl ImmediateInfo {
    pub fn new(
        array: v8::Local<v8::Uint32Array>,
        scope: &mut v8::PinScope<'_, '_>,
    ) -> Option<ImmediateInfo> {
        let buffer = array.buffer(scope)?;
        let offset = array.byte_offset();
        let store = buffer.get_backing_store();
        (offset + 12 <= store.byte_length()).then_some(ImmediateInfo { store, offset })
    }

    fn get(&self, index: usize) -> u32 {
        match self.store.data() {
            // SAFETY: the offset and index were checked against the store's length
            // (three u32s), the shared ref keeps the memory alive, and JS writes it only
            // on this same thread, never while this read runs.
            Some(p) => unsafe {
                std::ptr::read_unaligned(
                    (p.as_ptr() as *const u8).add(self.offset + 4 * index) as *const u32
                )
            },
            None => 0,
        }
    }

    pub fn count(&self) -> u32 {
        self.get(0)
    }

    pub fn ref_count(&self) -> u32 {
        self.get(1)
    }
}

/// The JS functions the loop calls, registered by the bootstrap through ops.
#[derive(Default)]
pub struct Hooks {
    pub tick: Option<v8::Global<v8::Function>>,
    pub promise_reject: Option<v8::Global<v8::Function>>,
    pub process_immediate: Option<v8::Global<v8::Function>>,
    pub process_timers: Option<v8::Global<v8::Function>>,
    pub immediate_info: Option<ImmediateInfo>,
    pub prepare_stack_trace: Option<v8::Global<v8::Function>>,
    /// `(err, fromPromise) => true | exitCode`: emits `'uncaughtException'`, or
    /// emits `'exit'` and returns the exit code when nobody listens.
    pub on_uncaught: Option<v8::Global<v8::Function>>,
    /// `(err) => string`: `util.inspect(err)` for fatal error reports.
    pub inspect_error: Option<v8::Global<v8::Function>>,
    /// `() => void`: emits `'beforeExit'`.
    pub before_exit: Option<v8::Global<v8::Function>>,
    /// `() => code`: emits `'exit'` unless already exiting; returns the exit code.
    pub exit: Option<v8::Global<v8::Function>>,
    /// `(path) => module.exports`: loads a CommonJS module for an ES import.
    pub cjs_load: Option<v8::Global<v8::Function>>,
    /// `(code) => void`: runs `weir eval` code as CommonJS.
    pub eval_cjs: Option<v8::Global<v8::Function>>,
    /// `(builtinId) => exports`: loads a built-in for an ES import.
    pub builtin_load: Option<v8::Global<v8::Function>>,
}

pub struct LoopState {
    pub hooks: Hooks,
    /// Origin of `op_timers_now` (Node's `timer_base`).
    pub start: Instant,
    /// The loop's notion of "now", refreshed once per turn like libuv's `uv_now`.
    pub now: Instant,
    pub timer_deadline: Option<Instant>,
    pub timer_ref: bool,
    pub immediate_ref: bool,
    pub pending: FuturesUnordered<OpFuture>,
    pub sources: Vec<EventSource>,
    pub resolvers: std::collections::HashMap<u32, (v8::Global<v8::PromiseResolver>, bool)>,
    pub next_promise_id: u32,
    /// Async ops that keep the process alive (`ref`ed), as opposed to all pending ones.
    pub refed_ops: usize,
    pub termination: Option<Termination>,
    pub modules: ModuleMap,
    /// The entry module, for the unsettled top-level-await report.
    pub main_module: Option<v8::Global<v8::Module>>,
    pub resources: ResourceTable,
    pub argv: Vec<String>,
    pub exec_argv: Vec<String>,
    pub cpu_limit: Option<Duration>,
    pub heap_limit_mb: usize,
    /// The isolate's one context (for callbacks that arrive without one).
    pub context: Option<v8::Global<v8::Context>>,
    /// Called after a recovered CPU-budget overrun with the request that caused it.
    pub on_cpu_limit: Option<fn(&mut v8::PinScope<'_, '_>, Option<u32>)>,
}

impl LoopState {
    pub fn new(argv: Vec<String>) -> Self {
        let now = Instant::now();
        LoopState {
            hooks: Hooks::default(),
            start: now,
            now,
            timer_deadline: None,
            timer_ref: true,
            immediate_ref: false,
            pending: FuturesUnordered::new(),
            sources: Vec::new(),
            resolvers: Default::default(),
            next_promise_id: 1,
            refed_ops: 0,
            termination: None,
            modules: ModuleMap::default(),
            main_module: None,
            resources: ResourceTable::default(),
            argv,
            exec_argv: Vec::new(),
            cpu_limit: None,
            heap_limit_mb: 0,
            context: None,
            on_cpu_limit: None,
        }
    }

    /// Milliseconds since the loop started, at the loop's cached "now".
    pub fn now_ms(&self) -> f64 {
        self.now.duration_since(self.start).as_millis() as f64
    }

    /// Whether anything that keeps a process alive is pending (libuv's `uv_loop_alive`).
    pub fn is_alive(&self) -> bool {
        (self.timer_deadline.is_some() && self.timer_ref)
            || self.immediate_ref
            || self.refed_ops > 0
            || !self.sources.is_empty()
            || self.modules.has_pending_dynamic_imports()
    }
}

pub fn state(isolate: &v8::Isolate) -> SharedState {
    isolate
        .get_slot::<SharedState>()
        .expect("every weir isolate has a loop state")
        .clone()
}
