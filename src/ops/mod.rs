//! The Rust↔JS boundary: plain functions named `op_<area>_<verb>`, installed on one
//! object that only `js-api/bindings/` reads (`internalBinding('ops')`).
//!
//! A sync op is a V8 function callback: it reads its arguments, does its work and sets
//! the return value, or throws an `Error` with a stable `code`. An async op returns a
//! promise at once and pushes a future onto the loop ([`spawn`]); the loop settles the
//! promises of all completed futures in one batch per turn. Ops never hold pointers
//! into JS memory past their return; JS refers to Rust objects by resource id.

pub mod buffer;
pub mod codec;
pub mod core;
pub mod encoding;
pub mod fs;
pub mod http;
pub mod module;
pub mod process;
pub mod stream;
pub mod url;
pub mod util;

use crate::js::state::{state, Completion};
use bytes::Bytes;
use std::future::Future;

/// A value an async op produces off the JS stack, turned into a JS value on delivery.
#[derive(Debug, Clone)]
pub enum OpValue {
    Undefined,
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Bytes(Bytes),
    Array(Vec<OpValue>),
}

/// Which JS constructor an [`OpError`] is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    Error,
    TypeError,
    RangeError,
}

/// An op failure: becomes `new <class>(message)` with `code` (and extra fields) set.
#[derive(Debug, Clone)]
pub struct OpError {
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
    pub fields: Vec<(&'static str, OpValue)>,
}

impl OpError {
    pub fn new(class: ErrorClass, code: &str, message: impl Into<String>) -> Self {
        OpError {
            class,
            code: code.to_string(),
            message: message.into(),
            fields: Vec::new(),
        }
    }
    pub fn type_error(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::TypeError, code, message)
    }
    pub fn range_error(code: &str, message: impl Into<String>) -> Self {
        Self::new(ErrorClass::RangeError, code, message)
    }
    pub fn with(mut self, key: &'static str, value: OpValue) -> Self {
        self.fields.push((key, value));
        self
    }

    /// A system error the way Node reports one:
    /// `ENOENT: no such file or directory, open '/x'` with `errno`, `code`, `syscall`, `path`.
    pub fn from_io(err: &std::io::Error, syscall: &str, path: Option<&str>) -> Self {
        let errno = err.raw_os_error().unwrap_or(0);
        let (code, desc) = crate::ops::process::errno_name(errno);
        let mut message = format!("{code}: {desc}, {syscall}");
        if let Some(p) = path {
            message.push_str(&format!(" '{p}'"));
        }
        let mut e = OpError::new(ErrorClass::Error, code, message)
            .with("errno", OpValue::Number(-(errno as f64)))
            .with("syscall", OpValue::String(syscall.to_string()));
        if let Some(p) = path {
            e = e.with("path", OpValue::String(p.to_string()));
        }
        e
    }

    pub fn to_v8<'s>(&self, scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value> {
        let message = v8_str(scope, &self.message);
        let error = match self.class {
            ErrorClass::Error => v8::Exception::error(scope, message),
            ErrorClass::TypeError => v8::Exception::type_error(scope, message),
            ErrorClass::RangeError => v8::Exception::range_error(scope, message),
        };
        if let Ok(obj) = v8::Local::<v8::Object>::try_from(error) {
            let key = v8_str(scope, "code");
            let code = v8_str(scope, &self.code);
            obj.set(scope, key.into(), code.into());
            for (k, v) in &self.fields {
                let key = v8_str(scope, k);
                let value = v.to_v8(scope);
                obj.set(scope, key.into(), value);
            }
            if self.code.starts_with("ERR_") {
                // Node's own errors read `TypeError [ERR_X]: message` in their stack.
                let class = match self.class {
                    ErrorClass::Error => "Error",
                    ErrorClass::TypeError => "TypeError",
                    ErrorClass::RangeError => "RangeError",
                };
                let key = v8_str(scope, "stack");
                if let Some(stack) = obj.get(scope, key.into()).filter(|s| s.is_string()) {
                    let stack = stack.to_rust_string_lossy(scope);
                    if let Some(rest) = stack.strip_prefix(&format!("{class}: ")) {
                        let value = v8_str(scope, &format!("{class} [{}]: {rest}", self.code));
                        obj.set(scope, key.into(), value.into());
                    }
                }
            }
        }
        error
    }
}

impl OpValue {
    pub fn to_v8<'s>(&self, scope: &mut v8::PinScope<'s, '_>) -> v8::Local<'s, v8::Value> {
        match self {
            OpValue::Undefined => v8::undefined(scope).into(),
            OpValue::Null => v8::null(scope).into(),
            OpValue::Bool(b) => v8::Boolean::new(scope, *b).into(),
            OpValue::Number(n) => v8::Number::new(scope, *n).into(),
            OpValue::String(s) => v8_str(scope, s).into(),
            OpValue::Bytes(b) => crate::js::bytes::bytes_to_uint8array(scope, b.clone()).into(),
            OpValue::Array(items) => {
                let values: Vec<_> = items.iter().map(|v| v.to_v8(scope)).collect();
                v8::Array::new_with_elements(scope, &values).into()
            }
        }
    }
}

/// Throws `err` into the JS caller of the current op.
pub fn throw(scope: &mut v8::PinScope<'_, '_>, err: OpError) {
    let exception = err.to_v8(scope);
    scope.throw_exception(exception);
}

pub fn throw_type_error(scope: &mut v8::PinScope<'_, '_>, message: &str) {
    throw(scope, OpError::type_error("ERR_INVALID_ARG_TYPE", message));
}

pub fn v8_str<'s>(scope: &mut v8::PinScope<'s, '_>, s: &str) -> v8::Local<'s, v8::String> {
    v8::String::new(scope, s).unwrap_or_else(|| v8::String::empty(scope))
}

/// Reads argument `i` as a Rust string (any JS value is converted like `String(v)`).
pub fn arg_string(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
    i: i32,
) -> String {
    args.get(i).to_rust_string_lossy(scope)
}

/// Reads argument `i` as a number; `undefined` and non-numbers give `default`.
pub fn arg_f64(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
    i: i32,
    default: f64,
) -> f64 {
    let v = args.get(i);
    if v.is_undefined() {
        return default;
    }
    v.number_value(scope)
        .filter(|n| !n.is_nan())
        .unwrap_or(default)
}

/// Starts an async op: returns the promise it settles. `refed` ops keep the process
/// alive while pending (an unref'ed one, like a listening socket after `unref()`, does
/// not).
pub fn spawn<'s, F>(
    scope: &mut v8::PinScope<'s, '_>,
    refed: bool,
    fut: F,
) -> v8::Local<'s, v8::Promise>
where
    F: Future<Output = Result<OpValue, OpError>> + 'static,
{
    let resolver = v8::PromiseResolver::new(scope).expect("a promise resolver");
    let promise = resolver.get_promise(scope);
    let global = v8::Global::new(scope, resolver);
    let st = state(scope);
    let mut st = st.borrow_mut();
    let promise_id = st.next_promise_id;
    st.next_promise_id = st.next_promise_id.wrapping_add(1);
    st.resolvers.insert(promise_id, (global, refed));
    if refed {
        st.refed_ops += 1;
    }
    st.pending.push(Box::pin(async move {
        Completion {
            promise_id,
            result: fut.await,
        }
    }));
    promise
}

/// A promise already settled with `result`: for an op whose answer is there at the
/// call (its callbacks still run as promise jobs, as for any op).
pub fn settled<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    result: Result<OpValue, OpError>,
) -> v8::Local<'s, v8::Promise> {
    let resolver = v8::PromiseResolver::new(scope).expect("a promise resolver");
    settle(scope, resolver, result);
    resolver.get_promise(scope)
}

/// Resolves or rejects an op's promise with its result.
pub fn settle(
    scope: &mut v8::PinScope<'_, '_>,
    resolver: v8::Local<'_, v8::PromiseResolver>,
    result: Result<OpValue, OpError>,
) {
    match result {
        Ok(v) => {
            let v = v.to_v8(scope);
            resolver.resolve(scope, v);
        }
        Err(e) => {
            let e = e.to_v8(scope);
            resolver.reject(scope, e);
        }
    }
}

/// Installs every op on `target` as `target.op_<area>_<verb>`.
pub fn install<'s>(scope: &mut v8::PinScope<'s, '_>, target: v8::Local<'s, v8::Object>) {
    macro_rules! ops {
        ($($module:ident :: $name:ident),* $(,)?) => {
            $(
                let key = v8::String::new(scope, stringify!($name)).expect("op name");
                let func = v8::Function::builder($module::$name)
                    .build(scope)
                    .expect("op function");
                func.set_name(key);
                target.set(scope, key.into(), func.into());
            )*
        };
    }
    ops!(
        core::op_print,
        core::op_isatty,
        core::op_builtin_compile,
        core::op_builtin_ids,
        core::op_runtime_set_hooks,
        core::op_task_enqueue_microtask,
        core::op_task_run_microtasks,
        core::op_task_set_tick_callback,
        core::op_task_set_promise_reject_callback,
        core::op_timers_setup,
        core::op_timers_schedule,
        core::op_timers_toggle_ref,
        core::op_timers_toggle_immediate_ref,
        core::op_timers_now,
        core::op_errors_trigger_uncaught,
        core::op_errors_set_prepare_stack_trace_callback,
        core::op_errors_no_side_effects_to_string,
        core::op_messaging_structured_clone,
        core::op_weir_version,
        process::op_process_argv,
        process::op_process_exec_argv,
        process::op_process_exec_path,
        process::op_process_env_get,
        process::op_process_env_set,
        process::op_process_env_delete,
        process::op_process_env_keys,
        process::op_process_cwd,
        process::op_process_chdir,
        process::op_process_pid,
        process::op_process_ppid,
        process::op_process_hrtime,
        process::op_process_hrtime_bigint,
        process::op_process_memory_usage,
        process::op_process_rss,
        process::op_process_cpu_usage,
        process::op_process_uptime,
        process::op_process_exit,
        process::op_process_umask,
        process::op_process_kill,
        util::op_util_promise_details,
        util::op_util_proxy_details,
        util::op_util_preview_entries,
        util::op_util_own_non_index_properties,
        util::op_util_constructor_name,
        util::op_types_is_external,
        util::op_types_is_date,
        util::op_types_is_arguments_object,
        util::op_types_is_big_int_object,
        util::op_types_is_boolean_object,
        util::op_types_is_number_object,
        util::op_types_is_string_object,
        util::op_types_is_symbol_object,
        util::op_types_is_boxed_primitive,
        util::op_types_is_native_error,
        util::op_types_is_reg_exp,
        util::op_types_is_async_function,
        util::op_types_is_generator_function,
        util::op_types_is_generator_object,
        util::op_types_is_promise,
        util::op_types_is_map,
        util::op_types_is_set,
        util::op_types_is_map_iterator,
        util::op_types_is_set_iterator,
        util::op_types_is_weak_map,
        util::op_types_is_weak_set,
        util::op_types_is_array_buffer,
        util::op_types_is_data_view,
        util::op_types_is_shared_array_buffer,
        util::op_types_is_any_array_buffer,
        util::op_types_is_proxy,
        util::op_types_is_module_namespace_object,
        buffer::op_buffer_byte_length_utf8,
        buffer::op_buffer_slice,
        buffer::op_buffer_write,
        buffer::op_buffer_from_string,
        buffer::op_buffer_compare,
        buffer::op_buffer_compare_offset,
        buffer::op_buffer_copy,
        buffer::op_buffer_fill,
        buffer::op_buffer_index_of_string,
        buffer::op_buffer_index_of_buffer,
        buffer::op_buffer_index_of_number,
        buffer::op_buffer_swap16,
        buffer::op_buffer_swap32,
        buffer::op_buffer_swap64,
        buffer::op_buffer_is_utf8,
        buffer::op_buffer_is_ascii,
        buffer::op_buffer_zero_fill_toggle,
        encoding::op_encoding_encode_utf8,
        encoding::op_encoding_encode_into,
        encoding::op_encoding_decode_utf8,
        url::op_url_parse,
        url::op_url_can_parse,
        url::op_url_set,
        url::op_url_domain_to_ascii,
        url::op_url_domain_to_unicode,
        module::op_module_resolve,
        module::op_module_format,
        module::op_module_compile_cjs,
        module::op_module_read_source,
        module::op_module_run_script,
        module::op_module_require_esm,
        fs::op_fs_read_file_sync,
        fs::op_fs_read_file,
        fs::op_fs_write_file_sync,
        fs::op_fs_write_file,
        fs::op_fs_stat_sync,
        fs::op_fs_stat,
        fs::op_fs_realpath_sync,
        fs::op_fs_readdir_sync,
        fs::op_fs_mkdir_sync,
        fs::op_fs_unlink_sync,
        fs::op_fs_rm_sync,
        fs::op_fs_stream_create,
        fs::op_fs_stream_open,
        fs::op_fs_stream_native,
        http::op_http_listen,
        http::op_http_ready,
        http::op_http_set_context,
        http::op_http_read,
        http::op_http_respond,
        http::op_http_inform,
        http::op_http_write,
        http::op_http_end,
        http::op_http_abort,
        http::op_http_drop_body,
        http::op_http_body_taken,
        http::op_http_log_error,
        http::op_http_send_file,
        http::op_http_source,
        http::op_http_sink,
        http::op_http_local_address,
        http::op_http_headers,
        http::op_http_raw_headers,
        stream::op_stream_pipe,
        stream::op_stream_close,
        stream::op_stream_read,
    );
}
