//! `process` ops: arguments, environment, working directory, clocks, memory and CPU
//! usage, and `process.exit` (which unwinds JS instead of killing the thread, so the
//! runtime can flush and report).

use super::{arg_f64, arg_string, throw, v8_str, OpError};
use crate::js::state::{state, Termination};
use std::sync::OnceLock;
use std::time::Instant;

static ORIGIN: OnceLock<Instant> = OnceLock::new();

/// Marks the process start (for `process.uptime()` and `hrtime`); the first call wins.
pub fn mark_start() {
    ORIGIN.get_or_init(Instant::now);
}

fn since_start() -> std::time::Duration {
    ORIGIN.get_or_init(Instant::now).elapsed()
}

fn string_array<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    items: &[String],
) -> v8::Local<'s, v8::Array> {
    let values: Vec<v8::Local<v8::Value>> = items.iter().map(|s| v8_str(scope, s).into()).collect();
    v8::Array::new_with_elements(scope, &values)
}

pub fn op_process_argv<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let argv = state(scope).borrow().argv.clone();
    rv.set(string_array(scope, &argv).into());
}

pub fn op_process_exec_argv<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let argv = state(scope).borrow().exec_argv.clone();
    rv.set(string_array(scope, &argv).into());
}

pub fn op_process_exec_path<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "weir".into());
    rv.set(v8_str(scope, &path).into());
}

pub fn op_process_env_get<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let key = arg_string(scope, &args, 0);
    if let Some(v) = std::env::var_os(&key) {
        rv.set(v8_str(scope, &v.to_string_lossy()).into());
    }
}

fn valid_env_key(key: &str) -> bool {
    !key.is_empty() && !key.contains('=') && !key.contains('\0')
}

pub fn op_process_env_set<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let key = arg_string(scope, &args, 0);
    let value = arg_string(scope, &args, 1);
    if valid_env_key(&key) && !value.contains('\0') {
        // SAFETY: weir's threads read the environment only through these ops, and the
        // value is valid (no NUL, no '=' in the key).
        unsafe { std::env::set_var(&key, &value) };
    }
}

pub fn op_process_env_delete<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let key = arg_string(scope, &args, 0);
    if valid_env_key(&key) {
        // SAFETY: as in `op_process_env_set`.
        unsafe { std::env::remove_var(&key) };
    }
}

pub fn op_process_env_keys<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let keys: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    rv.set(string_array(scope, &keys).into());
}

pub fn op_process_cwd<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    match std::env::current_dir() {
        Ok(p) => rv.set(v8_str(scope, &p.display().to_string()).into()),
        Err(e) => throw(scope, OpError::from_io(&e, "uv_cwd", None)),
    }
}

pub fn op_process_chdir<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let dir = arg_string(scope, &args, 0);
    if let Err(e) = std::env::set_current_dir(&dir) {
        let cwd = std::env::current_dir()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut err = OpError::from_io(&e, "chdir", None);
        err.message = format!(
            "{}, chdir {cwd} -> '{dir}'",
            err.message.trim_end_matches(", chdir")
        );
        throw(
            scope,
            err.with("path", super::OpValue::String(cwd))
                .with("dest", super::OpValue::String(dir)),
        );
    }
}

pub fn op_process_pid<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set_uint32(std::process::id());
}

pub fn op_process_ppid<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    // SAFETY: getppid has no preconditions.
    rv.set_int32(unsafe { libc::getppid() });
}

/// `op_process_hrtime()`: `[seconds, nanoseconds]` of a monotonic clock.
pub fn op_process_hrtime<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let t = monotonic_ns();
    let secs = v8::Number::new(scope, (t / 1_000_000_000) as f64).into();
    let nanos = v8::Number::new(scope, (t % 1_000_000_000) as f64).into();
    rv.set(v8::Array::new_with_elements(scope, &[secs, nanos]).into());
}

pub fn op_process_hrtime_bigint<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set(v8::BigInt::new_from_u64(scope, monotonic_ns()).into());
}

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Resident set size in bytes, from `/proc/self/statm`.
pub fn rss_bytes() -> u64 {
    let pages = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}

/// `op_process_memory_usage()`: `[rss, heapTotal, heapUsed, external, arrayBuffers]`.
pub fn op_process_memory_usage<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let stats = scope.get_heap_statistics();
    let values = [
        rss_bytes() as f64,
        stats.total_heap_size() as f64,
        stats.used_heap_size() as f64,
        stats.external_memory() as f64,
        stats.external_memory() as f64,
    ];
    let values: Vec<v8::Local<v8::Value>> = values
        .iter()
        .map(|v| v8::Number::new(scope, *v).into())
        .collect();
    rv.set(v8::Array::new_with_elements(scope, &values).into());
}

pub fn op_process_rss<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set_double(rss_bytes() as f64);
}

/// `op_process_cpu_usage()`: `[user, system]` in microseconds.
pub fn op_process_cpu_usage<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    // SAFETY: zeroed rusage is a valid out-value for getrusage.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    let user = v8::Number::new(scope, us(ru.ru_utime)).into();
    let system = v8::Number::new(scope, us(ru.ru_stime)).into();
    rv.set(v8::Array::new_with_elements(scope, &[user, system]).into());
}

pub fn op_process_uptime<'s>(
    _scope: &mut v8::PinScope<'s, '_>,
    _args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    rv.set_double(since_start().as_secs_f64());
}

/// `op_process_exit(code)`: stops JS now; the runtime exits with `code` after
/// flushing. (`'exit'` listeners already ran in JS.)
pub fn op_process_exit<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let code = arg_f64(scope, &args, 0, 0.0) as i32;
    crate::js::errors::stop(scope, Termination::Exit(code));
}

pub fn op_process_umask<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let v = args.get(0);
    // SAFETY: umask has no preconditions; reading it means setting and restoring it.
    let old = unsafe {
        if v.is_undefined() {
            let old = libc::umask(0);
            libc::umask(old);
            old
        } else {
            libc::umask(arg_f64(scope, &args, 0, 0.0) as libc::mode_t)
        }
    };
    rv.set_uint32(old);
}

pub fn op_process_kill<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let pid = arg_f64(scope, &args, 0, 0.0) as libc::pid_t;
    let sig = arg_f64(scope, &args, 1, 15.0) as libc::c_int;
    // SAFETY: kill has no memory preconditions.
    if unsafe { libc::kill(pid, sig) } != 0 {
        throw(
            scope,
            OpError::from_io(&std::io::Error::last_os_error(), "kill", None),
        );
    }
}

/// libuv's name and message for an errno, as Node prints them.
pub fn errno_name(errno: i32) -> (&'static str, &'static str) {
    match errno {
        libc::ENOENT => ("ENOENT", "no such file or directory"),
        libc::EACCES => ("EACCES", "permission denied"),
        libc::EEXIST => ("EEXIST", "file already exists"),
        libc::ENOTDIR => ("ENOTDIR", "not a directory"),
        libc::EISDIR => ("EISDIR", "illegal operation on a directory"),
        libc::ENOTEMPTY => ("ENOTEMPTY", "directory not empty"),
        libc::EMFILE => ("EMFILE", "too many open files"),
        libc::EPERM => ("EPERM", "operation not permitted"),
        libc::EBADF => ("EBADF", "bad file descriptor"),
        libc::EINVAL => ("EINVAL", "invalid argument"),
        libc::EPIPE => ("EPIPE", "broken pipe"),
        libc::ECONNRESET => ("ECONNRESET", "connection reset by peer"),
        libc::ECONNREFUSED => ("ECONNREFUSED", "connection refused"),
        libc::EADDRINUSE => ("EADDRINUSE", "address already in use"),
        libc::EADDRNOTAVAIL => ("EADDRNOTAVAIL", "address not available"),
        libc::ETIMEDOUT => ("ETIMEDOUT", "connection timed out"),
        libc::ENOSPC => ("ENOSPC", "no space left on device"),
        libc::ELOOP => ("ELOOP", "too many symbolic links encountered"),
        libc::ENAMETOOLONG => ("ENAMETOOLONG", "name too long"),
        libc::EROFS => ("EROFS", "read-only file system"),
        libc::EXDEV => ("EXDEV", "cross-device link not permitted"),
        libc::EAGAIN => ("EAGAIN", "resource temporarily unavailable"),
        libc::ESRCH => ("ESRCH", "no such process"),
        libc::ENOTCONN => ("ENOTCONN", "socket is not connected"),
        libc::EIO => ("EIO", "i/o error"),
        _ => ("EIO", "i/o error"),
    }
}
