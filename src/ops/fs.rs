//! The file-system ops behind weir's `fs` module (reading and writing whole files,
//! `stat`, directories). Async variants run the blocking call on tokio's blocking pool
//! and settle their promise on the loop; errors carry Node's `code`, `errno`,
//! `syscall` and `path`.

use super::{arg_string, spawn, throw, v8_str, OpError, OpValue};
use crate::js::bytes::{bytes_to_uint8array, view_to_bytes};
use std::os::unix::fs::MetadataExt;

/// Node's stat array: `[dev, mode, nlink, uid, gid, rdev, blksize, ino, size, blocks,
/// atimeMs, mtimeMs, ctimeMs, birthtimeMs]`.
fn stat_values(m: &std::fs::Metadata) -> Vec<f64> {
    let ms = |s: i64, ns: i64| s as f64 * 1000.0 + ns as f64 / 1e6;
    let birth = m
        .created()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_else(|| ms(m.ctime(), m.ctime_nsec()));
    vec![
        m.dev() as f64,
        m.mode() as f64,
        m.nlink() as f64,
        m.uid() as f64,
        m.gid() as f64,
        m.rdev() as f64,
        m.blksize() as f64,
        m.ino() as f64,
        m.size() as f64,
        m.blocks() as f64,
        ms(m.atime(), m.atime_nsec()),
        ms(m.mtime(), m.mtime_nsec()),
        ms(m.ctime(), m.ctime_nsec()),
        birth,
    ]
}

fn stat(path: &str, follow: bool) -> Result<Vec<f64>, OpError> {
    let m = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    m.map(|m| stat_values(&m))
        .map_err(|e| OpError::from_io(&e, if follow { "stat" } else { "lstat" }, Some(path)))
}

fn numbers<'s>(scope: &mut v8::PinScope<'s, '_>, values: &[f64]) -> v8::Local<'s, v8::Value> {
    let values: Vec<v8::Local<v8::Value>> = values
        .iter()
        .map(|v| v8::Number::new(scope, *v).into())
        .collect();
    v8::Array::new_with_elements(scope, &values).into()
}

pub fn op_fs_read_file_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    match std::fs::read(&path) {
        Ok(bytes) => rv.set(bytes_to_uint8array(scope, bytes.into()).into()),
        Err(e) => throw(scope, OpError::from_io(&e, "open", Some(&path))),
    }
}

pub fn op_fs_read_file<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let p = spawn(scope, true, async move {
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| OpError::from_io(&e, "open", Some(&path)))?;
        Ok(OpValue::Bytes(bytes.into()))
    });
    rv.set(p.into());
}

fn write_flags(append: bool) -> std::fs::OpenOptions {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true);
    if append {
        o.append(true);
    } else {
        o.truncate(true);
    }
    o
}

fn write_all(path: &str, data: &[u8], append: bool) -> Result<(), OpError> {
    use std::io::Write;
    let mut f = write_flags(append)
        .open(path)
        .map_err(|e| OpError::from_io(&e, "open", Some(path)))?;
    f.write_all(data)
        .map_err(|e| OpError::from_io(&e, "write", Some(path)))
}

/// `op_fs_write_file_sync(path, bytes, append)`.
pub fn op_fs_write_file_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let Some(data) = view_to_bytes(scope, args.get(1)) else {
        return super::throw_type_error(scope, "data must be a Uint8Array");
    };
    if let Err(e) = write_all(&path, &data, args.get(2).is_true()) {
        throw(scope, e);
    }
}

pub fn op_fs_write_file<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let Some(data) = view_to_bytes(scope, args.get(1)) else {
        return super::throw_type_error(scope, "data must be a Uint8Array");
    };
    let append = args.get(2).is_true();
    let p = spawn(scope, true, async move {
        tokio::task::spawn_blocking(move || write_all(&path, &data, append))
            .await
            .map_err(|e| OpError::new(super::ErrorClass::Error, "ERR_INTERNAL", e.to_string()))??;
        Ok(OpValue::Undefined)
    });
    rv.set(p.into());
}

/// `op_fs_stat_sync(path, followLinks, throwIfNoEntry)`: the stat array, or
/// `undefined` for a missing file when `throwIfNoEntry` is false.
pub fn op_fs_stat_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let follow = !args.get(1).is_false();
    match stat(&path, follow) {
        Ok(v) => rv.set(numbers(scope, &v)),
        Err(e) if e.code == "ENOENT" && args.get(2).is_false() => {}
        Err(e) => throw(scope, e),
    }
}

pub fn op_fs_stat<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let follow = !args.get(1).is_false();
    let p = spawn(scope, true, async move {
        let v = tokio::task::spawn_blocking(move || stat(&path, follow))
            .await
            .map_err(|e| OpError::new(super::ErrorClass::Error, "ERR_INTERNAL", e.to_string()))??;
        Ok(OpValue::Array(v.into_iter().map(OpValue::Number).collect()))
    });
    rv.set(p.into());
}

pub fn op_fs_realpath_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    match std::fs::canonicalize(&path) {
        Ok(p) => rv.set(v8_str(scope, &p.display().to_string()).into()),
        Err(e) => throw(scope, OpError::from_io(&e, "realpath", Some(&path))),
    }
}

/// `op_fs_readdir_sync(path)`: `[names, types]`, types as Node's `UV_DIRENT_*` numbers.
pub fn op_fs_readdir_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let entries = match std::fs::read_dir(&path) {
        Ok(e) => e,
        Err(e) => return throw(scope, OpError::from_io(&e, "scandir", Some(&path))),
    };
    let mut names = Vec::new();
    let mut types = Vec::new();
    for entry in entries.flatten() {
        names.push(entry.file_name().to_string_lossy().into_owned());
        let t = entry.file_type().ok();
        types.push(match t {
            Some(t) if t.is_file() => 1.0,
            Some(t) if t.is_dir() => 2.0,
            Some(t) if t.is_symlink() => 3.0,
            _ => 0.0,
        });
    }
    let names: Vec<v8::Local<v8::Value>> = names.iter().map(|n| v8_str(scope, n).into()).collect();
    let names = v8::Array::new_with_elements(scope, &names).into();
    let types = numbers(scope, &types);
    rv.set(v8::Array::new_with_elements(scope, &[names, types]).into());
}

/// `op_fs_mkdir_sync(path, recursive, mode)`.
pub fn op_fs_mkdir_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    use std::os::unix::fs::DirBuilderExt;
    let path = arg_string(scope, &args, 0);
    let recursive = args.get(1).is_true();
    let mode = super::arg_f64(scope, &args, 2, 0o777 as f64) as u32;
    let r = std::fs::DirBuilder::new()
        .recursive(recursive)
        .mode(mode)
        .create(&path);
    if let Err(e) = r {
        throw(scope, OpError::from_io(&e, "mkdir", Some(&path)));
    }
}

pub fn op_fs_unlink_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    if let Err(e) = std::fs::remove_file(&path) {
        throw(scope, OpError::from_io(&e, "unlink", Some(&path)));
    }
}

/// `op_fs_rm_sync(path, recursive, force)`.
pub fn op_fs_rm_sync<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let recursive = args.get(1).is_true();
    let force = args.get(2).is_true();
    let r = match std::fs::symlink_metadata(&path) {
        Ok(m) if m.is_dir() => {
            if recursive {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_dir(&path)
            }
        }
        Ok(_) => std::fs::remove_file(&path),
        Err(e) => Err(e),
    };
    match r {
        Err(e) if force && e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => throw(scope, OpError::from_io(&e, "rm", Some(&path))),
        Ok(()) => {}
    }
}

/// `op_fs_stream_create(path, start, end, chunk)`: a file read stream's resource id
/// (`end` < 0: to the end of the file). Nothing is opened yet.
pub fn op_fs_stream_create<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let start = super::arg_f64(scope, &args, 1, 0.0).max(0.0) as u64;
    let end = super::arg_f64(scope, &args, 2, -1.0);
    let end = (end >= 0.0).then_some(end as u64);
    let chunk = super::arg_f64(scope, &args, 3, 65536.0).clamp(1.0, 1073741824.0) as usize;
    let stream = crate::io::file_stream::FileStream::new(
        crate::io::thread_reader(),
        path.into(),
        start,
        end,
        chunk,
    );
    let rid = crate::js::state::state(scope)
        .borrow_mut()
        .resources
        .add(stream);
    rv.set(v8::Number::new(scope, f64::from(rid)).into());
}

fn file_stream(
    scope: &mut v8::PinScope<'_, '_>,
    args: &v8::FunctionCallbackArguments,
) -> Option<std::rc::Rc<crate::io::file_stream::FileStream>> {
    let rid = super::arg_f64(scope, args, 0, 0.0) as u32;
    crate::js::state::state(scope)
        .borrow()
        .resources
        .get::<crate::io::file_stream::FileStream>(rid)
}

/// `op_fs_stream_open(rid)`: opens the stream's file; a promise of its size, rejected
/// with Node's open error (`ENOENT`, `EISDIR`, ...).
pub fn op_fs_stream_open<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let Some(stream) = file_stream(scope, &args) else {
        return throw(
            scope,
            OpError::type_error("ERR_BAD_RESOURCE", "not a file read stream"),
        );
    };
    let p = spawn(scope, true, async move {
        match stream.open().await {
            Ok(size) => Ok(OpValue::Number(size as f64)),
            Err(e) => {
                let path = stream.path.display().to_string();
                Err(OpError::from_io(&e, "open", Some(&path)))
            }
        }
    });
    rv.set(p.into());
}

/// `op_fs_stream_native(rid)`: the stream feeds a native pipe: read in the largest
/// chunks the reader has.
pub fn op_fs_stream_native<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    _rv: v8::ReturnValue<'s, v8::Value>,
) {
    if let Some(stream) = file_stream(scope, &args) {
        stream.set_chunk(crate::io::file::DEFAULT_BUFFER_SIZE);
    }
}
