//! One isolate, one context, one event loop: what a `weir run` process or one server
//! worker runs JavaScript on.
//!
//! The loop follows Node's phases on tokio (see DESIGN.md): due timers, queued
//! `import()`s, a poll for completed ops (all settled in one batch), then
//! `setImmediate`s. After every call into JS from the loop (a "macrotask") the
//! `process.nextTick` queue and the microtask queue are drained by Node's own
//! `processTicksAndRejections`. The isolate is only ever touched from the thread that
//! created it.

use crate::js::builtins;
use crate::js::errors;
use crate::js::limits::{HeapGuard, Watchdog};
use crate::js::modules;
use crate::js::platform;
use crate::js::state::{state, LoopState, SharedState, Termination};
use crate::ops::{self, v8_str};
use futures::StreamExt;
use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::{Duration, Instant};

/// What a runtime is created with.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    /// `process.argv`: `[execPath, script, ...args]`.
    pub argv: Vec<String>,
    pub exec_argv: Vec<String>,
    /// Heap ceiling of the isolate, in MiB.
    pub max_heap_mb: usize,
    /// CPU budget of one invocation (top-level evaluation, one timer batch, ...).
    pub cpu_limit: Option<Duration>,
    /// Whether running past the CPU budget stops only the offending invocation (the
    /// server: the loop goes on) rather than the whole runtime (`weir run`).
    pub recover_from_cpu_limit: bool,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            argv: vec!["weir".into()],
            exec_argv: Vec::new(),
            max_heap_mb: 512,
            cpu_limit: None,
            recover_from_cpu_limit: false,
        }
    }
}

/// What one poll of the loop found ready.
#[derive(Default)]
struct Ready {
    completions: Vec<crate::js::state::Completion>,
    batches: Vec<(v8::Global<v8::Function>, Box<dyn crate::js::state::Batch>)>,
}

/// Exit codes for the limits (documented in the README).
pub const EXIT_HEAP_LIMIT: i32 = 134;
pub const EXIT_CPU_LIMIT: i32 = 124;
/// Node's exit code for a top-level await that can never settle.
pub const EXIT_UNSETTLED_TLA: i32 = 13;

struct Guards {
    heap: Box<HeapGuard>,
    watchdog: Option<Watchdog>,
    cpu_limit: Option<Duration>,
    max_heap_mb: usize,
    recover_from_cpu_limit: bool,
}

impl Guards {
    fn arm(&self) {
        if let (Some(w), Some(limit)) = (&self.watchdog, self.cpu_limit) {
            w.arm(limit);
        }
    }
    fn disarm(&self) {
        if let Some(w) = &self.watchdog {
            w.disarm();
        }
    }

    /// Why execution is stopping, if it is.
    fn terminated(&self, scope: &mut v8::PinScope<'_, '_>) -> Option<Termination> {
        let st = state(scope);
        if let Some(t) = st.borrow().termination {
            return Some(t);
        }
        let why = if self.heap.hit.load(Ordering::SeqCst) {
            Termination::HeapLimit
        } else if self
            .watchdog
            .as_ref()
            .is_some_and(|w| w.data.fired.load(Ordering::SeqCst))
        {
            Termination::CpuLimit
        } else if scope.is_execution_terminating() {
            Termination::Exit(1)
        } else {
            return None;
        };
        st.borrow_mut().termination = Some(why);
        Some(why)
    }
}

pub struct JsRuntime {
    context: v8::Global<v8::Context>,
    state: SharedState,
    guards: Guards,
    // Dropped after the handles above, before nothing that V8 still points to: the
    // heap guard is referenced by V8 until the isolate is disposed, so it lives in
    // `guards`, which is declared before but holds only a Box V8 does not free.
    isolate: v8::OwnedIsolate,
}

type Result<T> = std::result::Result<T, Termination>;

impl JsRuntime {
    pub fn new(options: RuntimeOptions) -> JsRuntime {
        platform::init();
        let params = v8::CreateParams::default()
            .heap_limits(0, options.max_heap_mb.max(16) << 20)
            .array_buffer_allocator(crate::js::allocator::new());
        let mut isolate = v8::Isolate::new(params);
        isolate.set_microtasks_policy(v8::MicrotasksPolicy::Explicit);
        isolate.set_promise_reject_callback(ops::core::promise_reject_callback);
        isolate.set_host_import_module_dynamically_callback(modules::dynamic_import_callback);
        isolate.set_host_initialize_import_meta_object_callback(modules::import_meta_callback);
        isolate.set_oom_error_handler(crate::js::limits::oom_handler);
        isolate.add_message_listener(errors::message_listener);
        let heap = HeapGuard::install(&mut isolate);
        let watchdog = options
            .cpu_limit
            .map(|budget| Watchdog::new(isolate.thread_safe_handle(), budget));
        let mut st = LoopState::new(options.argv.clone());
        st.exec_argv = options.exec_argv.clone();
        st.cpu_limit = options.cpu_limit;
        st.heap_limit_mb = options.max_heap_mb;
        let state = Rc::new(RefCell::new(st));
        isolate.set_slot(state.clone());
        let context = {
            v8::scope!(let scope, &mut isolate);
            let context = v8::Context::new(scope, Default::default());
            v8::Global::new(scope, context)
        };
        state.borrow_mut().context = Some(context.clone());
        let guards = Guards {
            heap,
            watchdog,
            cpu_limit: options.cpu_limit,
            max_heap_mb: options.max_heap_mb,
            recover_from_cpu_limit: options.recover_from_cpu_limit,
        };
        let mut rt = JsRuntime {
            context,
            state,
            guards,
            isolate,
        };
        rt.bootstrap();
        rt
    }

    /// Runs `bootstrap/primordials.js`, `loader.js` and `node.js`: after this the
    /// context has Node's globals and the loop hooks are registered.
    fn bootstrap(&mut self) {
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        v8::tc_scope!(let tc, scope);
        let ok = (|| {
            let primordials = v8::Object::new(tc);
            run_bootstrap_file(tc, "primordials", &["primordials"], &[primordials.into()])?;
            let ops_obj = v8::Object::new(tc);
            ops::install(tc, ops_obj);
            let process = v8::Object::new(tc);
            let loader = run_bootstrap_file(
                tc,
                "loader",
                &["process", "ops", "primordials"],
                &[process.into(), ops_obj.into(), primordials.into()],
            )?;
            run_bootstrap_file(
                tc,
                "node",
                &["process", "loader", "primordials"],
                &[process.into(), loader, primordials.into()],
            )?;
            Some(())
        })();
        if ok.is_none() {
            let exception = tc.exception().unwrap_or_else(|| v8::undefined(tc).into());
            let message = tc.message();
            tc.reset();
            errors::print_fatal(tc, exception, message);
            panic!("weir's built-in bootstrap failed; this is a bug in weir");
        }
    }

    /// Stores `value` in the isolate for ops to find (one value per type).
    pub fn set_slot<T: 'static>(&mut self, value: T) {
        self.isolate.set_slot(value);
    }

    /// Sets the hook the loop calls after stopping a handler that overran its CPU
    /// budget, with the request it was working for.
    pub fn on_cpu_limit(&mut self, hook: fn(&mut v8::PinScope<'_, '_>, Option<u32>)) {
        self.state.borrow_mut().on_cpu_limit = Some(hook);
    }

    /// Calls `require(id)[function](...args)` as one macrotask.
    pub fn call_builtin(
        &mut self,
        id: &str,
        function: &str,
        args: &[crate::ops::OpValue],
    ) -> Result<()> {
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        let loader = state(scope).borrow().hooks.builtin_load.clone();
        let Some(loader) = loader else { return Ok(()) };
        macrotask(scope, &self.guards, |s| {
            let loader = v8::Local::new(s, loader);
            let undefined = v8::undefined(s).into();
            let id = v8_str(s, id).into();
            let Some(exports) = loader.call(s, undefined, &[id]) else {
                return;
            };
            let Ok(exports) = v8::Local::<v8::Object>::try_from(exports) else {
                return;
            };
            let key = v8_str(s, function).into();
            let Some(f) = exports.get(s, key) else { return };
            let Ok(f) = v8::Local::<v8::Function>::try_from(f) else {
                return;
            };
            let args: Vec<v8::Local<v8::Value>> = args.iter().map(|a| a.to_v8(s)).collect();
            f.call(s, exports.into(), &args);
        })
    }

    /// Runs the file at `path` as the main module (ESM or CommonJS by Node's rules),
    /// then the event loop until nothing is pending. Returns the process exit code.
    pub async fn run_main(&mut self, path: &Path) -> i32 {
        let main_promise = {
            let isolate = &mut self.isolate;
            v8::scope!(let scope, isolate);
            let context = v8::Local::new(scope, &self.context);
            let scope = &mut v8::ContextScope::new(scope, context);
            let format = modules::file_format(scope, path);
            let guards = &self.guards;
            let mut promise = None;
            let r = macrotask(scope, guards, |s| {
                if format == crate::js::resolve::Format::Esm {
                    promise = start_esm(s, path);
                } else {
                    let hook = state(s).borrow().hooks.cjs_load.clone();
                    if let Some(hook) = hook {
                        let hook = v8::Local::new(s, hook);
                        let undefined = v8::undefined(s).into();
                        let p = v8_str(s, &path.display().to_string()).into();
                        let is_main = v8::Boolean::new(s, true).into();
                        hook.call(s, undefined, &[p, is_main]);
                    }
                }
            });
            r.map(|()| promise)
        };
        let main_promise = match main_promise {
            Ok(p) => p,
            Err(t) => return self.finish(Err(t), None),
        };
        let result = self.run_event_loop().await;
        self.finish(result, main_promise)
    }

    /// Runs `code` the way `node -e` does: as CommonJS with `require` relative to the
    /// working directory, or as an ES module when it uses module syntax.
    pub async fn run_eval(&mut self, code: &str) -> i32 {
        let main_promise = {
            let isolate = &mut self.isolate;
            v8::scope!(let scope, isolate);
            let context = v8::Local::new(scope, &self.context);
            let scope = &mut v8::ContextScope::new(scope, context);
            let guards = &self.guards;
            let esm = modules::looks_like_esm(scope, code);
            let mut promise = None;
            let r = macrotask(scope, guards, |s| {
                if esm {
                    promise = start_esm_source(s, code, &modules::virtual_referrer("eval1"));
                } else {
                    let hook = state(s).borrow().hooks.eval_cjs.clone();
                    if let Some(hook) = hook {
                        let hook = v8::Local::new(s, hook);
                        let undefined = v8::undefined(s).into();
                        let src = v8_str(s, code).into();
                        hook.call(s, undefined, &[src]);
                    }
                }
            });
            r.map(|()| promise)
        };
        let main_promise = match main_promise {
            Ok(p) => p,
            Err(t) => return self.finish(Err(t), None),
        };
        let result = self.run_event_loop().await;
        self.finish(result, main_promise)
    }

    /// Turns the loop's outcome into an exit code: `'exit'` listeners run on a normal
    /// end; limits are reported; an unsettled top-level await is Node's exit 13.
    fn finish(&mut self, result: Result<()>, main: Option<v8::Global<v8::Promise>>) -> i32 {
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        let guards = &self.guards;
        match result {
            Err(Termination::Exit(code)) => code,
            Err(Termination::HeapLimit) => {
                ops::core::write_stderr(&format!(
                    "Error [ERR_WORKER_OUT_OF_MEMORY]: JavaScript heap out of memory: the isolate reached its limit of {} MiB (--max-heap-mb)\n",
                    guards.max_heap_mb
                ));
                EXIT_HEAP_LIMIT
            }
            Err(Termination::CpuLimit) => {
                ops::core::write_stderr(&format!(
                    "Error [ERR_SCRIPT_EXECUTION_TIMEOUT]: Script execution timed out after {}ms (--cpu-limit-ms)\n",
                    guards.cpu_limit.map(|d| d.as_millis()).unwrap_or(0)
                ));
                EXIT_CPU_LIMIT
            }
            Ok(()) => {
                if let Some(p) = main {
                    let p = v8::Local::new(scope, p);
                    if p.state() == v8::PromiseState::Pending {
                        report_unsettled_tla(scope);
                        return EXIT_UNSETTLED_TLA;
                    }
                }
                let hook = state(scope).borrow().hooks.exit.clone();
                let mut code = 0;
                if let Some(hook) = hook {
                    let r = macrotask(scope, guards, |s| {
                        let hook = v8::Local::new(s, &hook);
                        let undefined = v8::undefined(s).into();
                        if let Some(v) = hook.call(s, undefined, &[]) {
                            code = v.int32_value(s).unwrap_or(0);
                        }
                    });
                    if let Err(t) = r {
                        return termination_code(t);
                    }
                }
                code
            }
        }
    }

    /// Runs the loop until nothing keeps it alive, or execution is terminated.
    pub async fn run_event_loop(&mut self) -> Result<()> {
        loop {
            let now = Instant::now();
            self.state.borrow_mut().now = now;
            self.run_timers()?;
            self.run_dynamic_imports()?;

            if !self.state.borrow().is_alive() {
                self.emit_before_exit()?;
                if !self.state.borrow().is_alive() {
                    return Ok(());
                }
                continue;
            }

            let timeout = {
                let st = self.state.borrow();
                if st.immediate_ref || st.modules.has_pending_dynamic_imports() {
                    Some(Duration::ZERO)
                } else {
                    st.timer_deadline
                        .map(|d| d.saturating_duration_since(Instant::now()))
                }
            };
            let ready = self.poll_completions(timeout).await;
            self.state.borrow_mut().now = Instant::now();
            if !ready.completions.is_empty() {
                self.deliver(ready.completions)?;
            }
            for (callback, batch) in ready.batches {
                self.deliver_batch(callback, batch)?;
            }
            self.run_immediates()?;
        }
    }

    /// Waits (up to `timeout`) for completed ops and source batches, and takes all
    /// that are ready.
    async fn poll_completions(&self, timeout: Option<Duration>) -> Ready {
        let st = self.state.clone();
        let drain = futures::future::poll_fn(move |cx| {
            let mut out = Ready::default();
            let mut st = st.borrow_mut();
            while let Poll::Ready(Some(c)) = st.pending.poll_next_unpin(cx) {
                out.completions.push(c);
            }
            let mut ended = false;
            let mut i = 0;
            while i < st.sources.len() {
                match (st.sources[i].poll)(cx) {
                    Poll::Ready(Some(batch)) => {
                        out.batches.push((st.sources[i].callback.clone(), batch));
                        i += 1;
                    }
                    Poll::Ready(None) => {
                        st.sources.remove(i);
                        ended = true;
                    }
                    Poll::Pending => i += 1,
                }
            }
            // A source that ended may have been the last thing keeping the loop alive:
            // return so that the loop looks again.
            if out.completions.is_empty() && out.batches.is_empty() && !ended {
                Poll::Pending
            } else {
                Poll::Ready(out)
            }
        });
        match timeout {
            Some(Duration::ZERO) => futures::FutureExt::now_or_never(drain).unwrap_or_default(),
            Some(t) => tokio::time::timeout(t, drain).await.unwrap_or_default(),
            None => drain.await,
        }
    }

    fn run_timers(&mut self) -> Result<()> {
        let due = {
            let st = self.state.borrow();
            matches!(st.timer_deadline, Some(d) if d <= st.now)
        };
        if !due {
            return Ok(());
        }
        let hook = {
            let mut st = self.state.borrow_mut();
            st.timer_deadline = None;
            st.hooks.process_timers.clone()
        };
        let Some(hook) = hook else { return Ok(()) };
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        let st = self.state.clone();
        // Node's RunTimers: when a timer callback throws (and 'uncaughtException'
        // handled it), call processTimers again so the remaining due timers run.
        loop {
            let mut returned = false;
            macrotask(scope, &self.guards, |s| {
                let hook = v8::Local::new(s, &hook);
                let undefined = v8::undefined(s).into();
                let now = v8::Number::new(s, st.borrow().now_ms()).into();
                let Some(next) = hook.call(s, undefined, &[now]) else {
                    return;
                };
                returned = true;
                // The next expiry, negative when only unref'ed timers remain.
                let next = next.number_value(s).unwrap_or(0.0);
                let mut st = st.borrow_mut();
                if next != 0.0 {
                    let wait = (next.abs() - st.now_ms()).max(1.0);
                    st.timer_deadline = Some(st.now + Duration::from_millis(wait as u64));
                    st.timer_ref = next > 0.0;
                }
            })?;
            if returned {
                return Ok(());
            }
        }
    }

    fn run_immediates(&mut self) -> Result<()> {
        let hook = {
            let st = self.state.borrow();
            match (&st.hooks.process_immediate, &st.hooks.immediate_info) {
                (Some(hook), Some(info)) if info.count() > 0 => hook.clone(),
                _ => return Ok(()),
            }
        };
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        let r = macrotask(scope, &self.guards, |s| {
            let hook = v8::Local::new(s, &hook);
            let undefined = v8::undefined(s).into();
            hook.call(s, undefined, &[]);
        });
        let mut st = self.state.borrow_mut();
        if st
            .hooks
            .immediate_info
            .as_ref()
            .is_some_and(|i| i.ref_count() == 0)
        {
            st.immediate_ref = false;
        }
        r
    }

    fn run_dynamic_imports(&mut self) -> Result<()> {
        if !self.state.borrow().modules.has_pending_dynamic_imports() {
            return Ok(());
        }
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        macrotask(scope, &self.guards, |s| {
            modules::run_dynamic_imports(s);
        })
    }

    fn emit_before_exit(&mut self) -> Result<()> {
        let Some(hook) = self.state.borrow().hooks.before_exit.clone() else {
            return Ok(());
        };
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        macrotask(scope, &self.guards, |s| {
            let hook = v8::Local::new(s, &hook);
            let undefined = v8::undefined(s).into();
            hook.call(s, undefined, &[]);
        })
    }

    /// Calls a source's callback with one batch, as its own macrotask.
    fn deliver_batch(
        &mut self,
        callback: v8::Global<v8::Function>,
        batch: Box<dyn crate::js::state::Batch>,
    ) -> Result<()> {
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        macrotask(scope, &self.guards, |s| {
            let callback = v8::Local::new(s, callback);
            let undefined = v8::undefined(s).into();
            let batch = batch.into_v8(s);
            callback.call(s, undefined, &[batch]);
        })
    }

    /// Settles the promises of a batch of completed ops, then drains ticks once.
    fn deliver(&mut self, completions: Vec<crate::js::state::Completion>) -> Result<()> {
        let isolate = &mut self.isolate;
        v8::scope!(let scope, isolate);
        let context = v8::Local::new(scope, &self.context);
        let scope = &mut v8::ContextScope::new(scope, context);
        let st = self.state.clone();
        macrotask(scope, &self.guards, |s| {
            for c in completions {
                let entry = {
                    let mut st = st.borrow_mut();
                    let e = st.resolvers.remove(&c.promise_id);
                    if let Some((_, true)) = e {
                        st.refed_ops -= 1;
                    }
                    e
                };
                let Some((resolver, _)) = entry else { continue };
                let resolver = v8::Local::new(s, resolver);
                crate::ops::settle(s, resolver, c.result);
            }
        })
    }
}

fn termination_code(t: Termination) -> i32 {
    match t {
        Termination::Exit(c) => c,
        Termination::HeapLimit => EXIT_HEAP_LIMIT,
        Termination::CpuLimit => EXIT_CPU_LIMIT,
    }
}

/// One macrotask: runs `f` under the CPU budget, routes an exception it throws to the
/// uncaught-exception path, then drains `process.nextTick` and microtasks (Node's
/// `InternalCallbackScope::Close`).
fn macrotask(
    scope: &mut v8::PinScope<'_, '_>,
    guards: &Guards,
    f: impl FnOnce(&mut v8::PinScope<'_, '_>),
) -> Result<()> {
    guards.arm();
    let r = (|| {
        run_guarded(scope, guards, f)?;
        let tick = state(scope).borrow().hooks.tick.clone();
        match tick {
            Some(tick) => run_guarded(scope, guards, |s| {
                let tick = v8::Local::new(s, &tick);
                let undefined = v8::undefined(s).into();
                tick.call(s, undefined, &[]);
            }),
            None => {
                scope.perform_microtask_checkpoint();
                guards.terminated(scope).map_or(Ok(()), Err)
            }
        }
    })();
    guards.disarm();
    match r {
        Err(Termination::CpuLimit) if guards.recover_from_cpu_limit => {
            recover_from_cpu_limit(scope, guards);
            Ok(())
        }
        other => other,
    }
}

/// The server's way out of a handler that overran its budget: execution resumes, and
/// the loop's `on_cpu_limit` hook answers for the request that was running.
fn recover_from_cpu_limit(scope: &mut v8::PinScope<'_, '_>, guards: &Guards) {
    scope.cancel_terminate_execution();
    let culprit = guards
        .watchdog
        .as_ref()
        .map(|w| w.data.culprit.load(Ordering::SeqCst))
        .filter(|c| *c > 0)
        .map(|c| c as u32);
    if let Some(w) = &guards.watchdog {
        w.reset();
    }
    let hook = {
        let st = state(scope);
        let mut st = st.borrow_mut();
        st.termination = None;
        st.on_cpu_limit
    };
    if let Some(hook) = hook {
        hook(scope, culprit);
    }
}

/// The request id the running JS works for (the continuation-preserved embedder
/// data the server's dispatcher sets), read from inside an interrupt.
pub fn current_request(isolate: &mut v8::Isolate) -> Option<i64> {
    let context = isolate
        .get_slot::<SharedState>()?
        .borrow()
        .context
        .clone()?;
    v8::scope!(let scope, isolate);
    let context = v8::Local::new(scope, context);
    let scope = &mut v8::ContextScope::new(scope, context);
    let data = scope.get_continuation_preserved_embedder_data();
    data.is_number()
        .then(|| data.integer_value(scope))
        .flatten()
}

fn run_guarded(
    scope: &mut v8::PinScope<'_, '_>,
    guards: &Guards,
    f: impl FnOnce(&mut v8::PinScope<'_, '_>),
) -> Result<()> {
    {
        v8::tc_scope!(let tc, scope);
        f(tc);
        if tc.has_caught() && !tc.has_terminated() {
            let exception = tc.exception().unwrap_or_else(|| v8::undefined(tc).into());
            let message = tc.message();
            tc.reset();
            if guards.terminated(tc).is_none() {
                errors::trigger_uncaught(tc, exception, message, false);
            }
        }
    }
    match guards.terminated(scope) {
        Some(t) => Err(t),
        None => Ok(()),
    }
}

/// Compiles `js-api/bootstrap/<name>.js` as a function of `params` and calls it.
fn run_bootstrap_file<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    name: &str,
    params: &[&str],
    args: &[v8::Local<'s, v8::Value>],
) -> Option<v8::Local<'s, v8::Value>> {
    let source = builtins::find(builtins::Kind::Bootstrap, name)?;
    let f = builtins::compile_function(
        scope,
        &source,
        &format!("node:internal/bootstrap/{name}"),
        params,
    )?;
    let recv = scope.get_current_context().global(scope).into();
    f.call(scope, recv, args)
}

/// Loads the ES module graph at `path`, evaluates it and routes a rejection of its
/// evaluation to the uncaught-exception path. Returns the evaluation promise.
fn start_esm(scope: &mut v8::PinScope<'_, '_>, path: &Path) -> Option<v8::Global<v8::Promise>> {
    let resolved = crate::js::resolve::Resolved::File(path.to_path_buf());
    let module = modules::load(scope, &resolved)?;
    evaluate_main(scope, module)
}

fn start_esm_source(
    scope: &mut v8::PinScope<'_, '_>,
    code: &str,
    name: &Path,
) -> Option<v8::Global<v8::Promise>> {
    let resource = name.display().to_string();
    let module = modules::compile_module(scope, code, &resource)?;
    modules::register(scope, module, &resource, Vec::new());
    modules::link_imports(scope, module, name)?;
    evaluate_main(scope, module)
}

fn evaluate_main<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    module: v8::Local<'s, v8::Module>,
) -> Option<v8::Global<v8::Promise>> {
    let promise = modules::instantiate_and_evaluate(scope, module)?;
    state(scope).borrow_mut().main_module = Some(v8::Global::new(scope, module));
    let on_reject = v8::Function::new(
        scope,
        |s: &mut v8::PinScope, args: v8::FunctionCallbackArguments, _rv: v8::ReturnValue| {
            errors::trigger_uncaught(s, args.get(0), None, false);
        },
    )?;
    promise.catch(scope, on_reject);
    Some(v8::Global::new(scope, promise))
}

/// Node's warning for a main module whose top-level await can never settle.
fn report_unsettled_tla(scope: &mut v8::PinScope<'_, '_>) {
    let main = state(scope).borrow().main_module.clone();
    let mut text = String::from("Warning: Detected unsettled top-level await");
    if let Some(m) = main {
        let m = v8::Local::new(scope, m);
        let stalled = m.get_stalled_top_level_await_message(scope);
        if let Some((_, message)) = stalled.first() {
            if let Some(arrow) = errors::arrow(scope, *message, false) {
                text.push_str(" at ");
                text.push_str(&arrow);
            }
        }
    }
    ops::core::write_stderr(&format!("{text}\n"));
}
