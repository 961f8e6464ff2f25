//! Ops the runtime itself needs: output, the built-in module compiler, the event-loop
//! hooks (ticks, microtasks, timers, immediates, promise rejections), the
//! uncaught-exception path and `structuredClone`.

use super::{arg_f64, arg_string, throw, v8_str, OpError};
use crate::js::builtins;
use crate::js::state::state;
use std::io::Write;
use v8::{ValueDeserializerHelper, ValueSerializerHelper};

fn write_fd(fd: i32, bytes: &[u8]) {
    // A closed stdout (EPIPE, `weir run x | head`) is not an error worth dying for.
    if fd == 2 {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }
}

pub fn write_stdout(s: &str) {
    write_fd(1, s.as_bytes());
}

pub fn write_stderr(s: &str) {
    write_fd(2, s.as_bytes());
}

/// `op_print(data, fd)`: synchronous write of a string (as UTF-8) or of a
/// `Uint8Array`'s bytes to stdout (1) or stderr (2).
pub fn op_print<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let fd = arg_f64(scope, &args, 1, 1.0) as i32;
    if let Some(bytes) = crate::js::bytes::view_bytes(args.get(0)) {
        write_fd(fd, bytes);
    } else {
        let text = arg_string(scope, &args, 0);
        write_fd(fd, text.as_bytes());
    }
}

/// `op_isatty(fd)`.
pub fn op_isatty<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let fd = arg_f64(scope, &args, 0, -1.0) as i32;
    // SAFETY: isatty has no memory preconditions.
    rv.set_bool(fd >= 0 && unsafe { libc::isatty(fd) } == 1);
}

/// `op_builtin_compile(id, kind)`: compiles `js-api/<kind>/<id>.js` as the body of
/// `function (exports, require, module, process, internalBinding, primordials)`.
/// `kind` is `'lib'` or `'bindings'`. Throws `ERR_UNKNOWN_BUILTIN_MODULE` when absent.
pub fn op_builtin_compile<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let id = arg_string(scope, &args, 0);
    let kind = arg_string(scope, &args, 1);
    let (kind, resource) = match kind.as_str() {
        "bindings" => (
            builtins::Kind::Bindings,
            format!("node:internal/bindings/{id}"),
        ),
        _ => (builtins::Kind::Lib, format!("node:{id}")),
    };
    let Some(source) = builtins::find(kind, &id) else {
        throw(
            scope,
            OpError::new(
                super::ErrorClass::Error,
                "ERR_UNKNOWN_BUILTIN_MODULE",
                format!("No such built-in module: {id}"),
            ),
        );
        return;
    };
    let params = [
        "exports",
        "require",
        "module",
        "process",
        "internalBinding",
        "primordials",
    ];
    if let Some(f) = builtins::compile_function(scope, &source, &resource, &params) {
        rv.set(f.into());
    }
}

/// `op_builtin_ids()`: the ids of every public built-in module (no `internal/`).
pub fn op_builtin_ids<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ids: Vec<v8::Local<v8::Value>> = builtins::public_ids()
        .iter()
        .map(|id| v8_str(scope, id).into())
        .collect();
    rv.set(v8::Array::new_with_elements(scope, &ids).into());
}

fn function_prop<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    obj: v8::Local<'s, v8::Object>,
    name: &str,
) -> Option<v8::Global<v8::Function>> {
    let key = v8_str(scope, name);
    let value = obj.get(scope, key.into())?;
    let f = v8::Local::<v8::Function>::try_from(value).ok()?;
    Some(v8::Global::new(scope, f))
}

/// `op_runtime_set_hooks({ onUncaught, inspectError, beforeExit, exit, cjsLoad, builtinLoad, evalCjs })`.
pub fn op_runtime_set_hooks<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Ok(obj) = v8::Local::<v8::Object>::try_from(args.get(0)) else {
        return super::throw_type_error(scope, "hooks must be an object");
    };
    let on_uncaught = function_prop(scope, obj, "onUncaught");
    let inspect_error = function_prop(scope, obj, "inspectError");
    let before_exit = function_prop(scope, obj, "beforeExit");
    let exit = function_prop(scope, obj, "exit");
    let cjs_load = function_prop(scope, obj, "cjsLoad");
    let builtin_load = function_prop(scope, obj, "builtinLoad");
    let eval_cjs = function_prop(scope, obj, "evalCjs");
    let st = state(scope);
    let mut st = st.borrow_mut();
    let h = &mut st.hooks;
    h.on_uncaught = on_uncaught.or(h.on_uncaught.take());
    h.inspect_error = inspect_error.or(h.inspect_error.take());
    h.before_exit = before_exit.or(h.before_exit.take());
    h.exit = exit.or(h.exit.take());
    h.cjs_load = cjs_load.or(h.cjs_load.take());
    h.builtin_load = builtin_load.or(h.builtin_load.take());
    h.eval_cjs = eval_cjs.or(h.eval_cjs.take());
}

pub fn op_task_enqueue_microtask<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    match v8::Local::<v8::Function>::try_from(args.get(0)) {
        Ok(f) => scope.enqueue_microtask(f),
        Err(_) => super::throw_type_error(scope, "microtask must be a function"),
    }
}

pub fn op_task_run_microtasks<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    scope.perform_microtask_checkpoint();
}

pub fn op_task_set_tick_callback<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Ok(f) = v8::Local::<v8::Function>::try_from(args.get(0)) {
        let g = v8::Global::new(scope, f);
        state(scope).borrow_mut().hooks.tick = Some(g);
    }
}

pub fn op_task_set_promise_reject_callback<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Ok(f) = v8::Local::<v8::Function>::try_from(args.get(0)) {
        let g = v8::Global::new(scope, f);
        state(scope).borrow_mut().hooks.promise_reject = Some(g);
    }
}

/// V8's promise-reject callback: forwards `(type, promise, reason)` to the JS callback
/// (Node's `internal/process/promises` keeps the bookkeeping).
pub extern "C" fn promise_reject_callback(message: v8::PromiseRejectMessage) {
    let promise = message.get_promise();
    v8::callback_scope!(unsafe scope, promise);
    let Some(context) = promise.get_creation_context(scope) else {
        return;
    };
    let scope = &mut v8::ContextScope::new(scope, context);
    let st = state(scope);
    let Some(callback) = st.borrow().hooks.promise_reject.clone() else {
        return;
    };
    let kind = match message.get_event() {
        v8::PromiseRejectEvent::PromiseRejectWithNoHandler => 0,
        v8::PromiseRejectEvent::PromiseHandlerAddedAfterReject => 1,
        v8::PromiseRejectEvent::PromiseResolveAfterResolved => 2,
        v8::PromiseRejectEvent::PromiseRejectAfterResolved => 3,
    };
    let kind = v8::Integer::new(scope, kind).into();
    let value = message
        .get_value()
        .unwrap_or_else(|| v8::undefined(scope).into());
    let callback = v8::Local::new(scope, callback);
    let undefined = v8::undefined(scope).into();
    // An exception here (there should be none) stays pending and surfaces in the
    // caller, as it does in Node.
    callback.call(scope, undefined, &[kind, promise.into(), value]);
}

/// `op_timers_setup(processImmediate, processTimers, immediateInfo)`.
pub fn op_timers_setup<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let (Ok(immediate), Ok(timers), Ok(info)) = (
        v8::Local::<v8::Function>::try_from(args.get(0)),
        v8::Local::<v8::Function>::try_from(args.get(1)),
        v8::Local::<v8::Uint32Array>::try_from(args.get(2)),
    ) else {
        return super::throw_type_error(scope, "op_timers_setup(function, function, Uint32Array)");
    };
    let Some(info) = crate::js::state::ImmediateInfo::new(info, scope) else {
        return super::throw_type_error(scope, "immediateInfo must hold three Uint32 values");
    };
    let (immediate, timers) = (
        v8::Global::new(scope, immediate),
        v8::Global::new(scope, timers),
    );
    let st = state(scope);
    let mut st = st.borrow_mut();
    st.hooks.process_immediate = Some(immediate);
    st.hooks.process_timers = Some(timers);
    st.hooks.immediate_info = Some(info);
}

/// `op_timers_schedule(ms)`: (re)arms the one loop timer, `ms` after the loop's now.
pub fn op_timers_schedule<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let ms = arg_f64(scope, &args, 0, 1.0).max(1.0);
    let st = state(scope);
    let mut st = st.borrow_mut();
    let deadline = st.now + std::time::Duration::from_millis(ms as u64);
    st.timer_deadline = Some(deadline);
}

pub fn op_timers_toggle_ref<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let on = args.get(0).boolean_value(scope);
    state(scope).borrow_mut().timer_ref = on;
}

pub fn op_timers_toggle_immediate_ref<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let on = args.get(0).boolean_value(scope);
    state(scope).borrow_mut().immediate_ref = on;
}

/// `op_timers_now()`: the loop clock in ms, refreshed first (Node's `getLibuvNow`,
/// which calls `uv_update_time`), so a timer created late in a long macrotask counts
/// from when it was created.
pub fn op_timers_now<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let st = state(scope);
    let mut st = st.borrow_mut();
    st.now = std::time::Instant::now();
    rv.set_double(st.now_ms());
}

/// `op_errors_trigger_uncaught(err, fromPromise)`.
pub fn op_errors_trigger_uncaught<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let exception = args.get(0);
    let from_promise = args.get(1).is_true();
    crate::js::errors::trigger_uncaught(scope, exception, None, from_promise);
}

/// `op_errors_set_prepare_stack_trace_callback(fn)`: `fn(globalThis, error, callSites)`
/// formats every `error.stack` from now on.
pub fn op_errors_set_prepare_stack_trace_callback<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Ok(f) = v8::Local::<v8::Function>::try_from(args.get(0)) {
        let g = v8::Global::new(scope, f);
        state(scope).borrow_mut().hooks.prepare_stack_trace = Some(g);
        scope.set_prepare_stack_trace_callback(prepare_stack_trace);
    }
}

fn prepare_stack_trace<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    error: v8::Local<'s, v8::Value>,
    sites: v8::Local<'s, v8::Array>,
) -> v8::Local<'s, v8::Value> {
    let callback = state(scope).borrow().hooks.prepare_stack_trace.clone();
    let Some(callback) = callback else {
        return v8::undefined(scope).into();
    };
    let callback = v8::Local::new(scope, callback);
    let global = scope.get_current_context().global(scope).into();
    let undefined = v8::undefined(scope).into();
    callback
        .call(scope, undefined, &[global, error, sites.into()])
        .unwrap_or_else(|| v8::undefined(scope).into())
}

pub fn op_errors_no_side_effects_to_string<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Some(s) = args.get(0).to_detail_string(scope) {
        rv.set(s.into());
    }
}

struct CloneDelegate;

impl v8::ValueSerializerImpl for CloneDelegate {
    fn throw_data_clone_error<'s>(
        &self,
        scope: &mut v8::PinScope<'s, '_>,
        message: v8::Local<'s, v8::String>,
    ) {
        let error = v8::Exception::error(scope, message);
        if let Ok(obj) = v8::Local::<v8::Object>::try_from(error) {
            let key = v8_str(scope, "name");
            let name = v8_str(scope, "DataCloneError");
            obj.set(scope, key.into(), name.into());
            let key = v8_str(scope, "code");
            let code = v8::Integer::new(scope, 25);
            obj.set(scope, key.into(), code.into());
        }
        scope.throw_exception(error);
    }
}

impl v8::ValueDeserializerImpl for CloneDelegate {}

/// `op_messaging_structured_clone(value)`: a deep copy through V8's serializer, the
/// algorithm `postMessage` uses (Maps, Sets, Dates, RegExps, typed arrays, cycles).
pub fn op_messaging_structured_clone<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let context = scope.get_current_context();
    let serializer = v8::ValueSerializer::new(scope, Box::new(CloneDelegate));
    serializer.write_header();
    if serializer.write_value(context, args.get(0)) != Some(true) {
        return; // the delegate threw DataCloneError
    }
    let data = serializer.release();
    let deserializer = v8::ValueDeserializer::new(scope, Box::new(CloneDelegate), &data);
    if deserializer.read_header(context) != Some(true) {
        return;
    }
    if let Some(v) = deserializer.read_value(context) {
        rv.set(v);
    }
}

pub fn op_weir_version<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let versions = v8::Object::new(scope);
    for (k, v) in [
        ("weir", env!("CARGO_PKG_VERSION")),
        ("v8", v8::V8::get_version()),
    ] {
        let k = v8_str(scope, k);
        let v = v8_str(scope, v);
        versions.set(scope, k.into(), v.into());
    }
    rv.set(versions.into());
}
