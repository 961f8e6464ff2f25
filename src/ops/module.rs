//! Ops for the CommonJS loader (`js-api/lib/internal/modules/cjs/loader.js`):
//! resolution and format detection shared with the ES loader, and compilation of a
//! module body as Node's wrapper function.

use super::{arg_string, throw, v8_str, ErrorClass, OpError};
use crate::js::modules;
use crate::js::resolve::{Format, Kind, Resolved};
use crate::js::state::state;
use std::path::{Path, PathBuf};

/// `op_module_resolve(specifier, parentPath, isRequire)`: `"node:<id>"` for a built-in,
/// else the absolute path. Throws `MODULE_NOT_FOUND` / `ERR_MODULE_NOT_FOUND` / ...
pub fn op_module_resolve<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let specifier = arg_string(scope, &args, 0);
    let parent = arg_string(scope, &args, 1);
    let kind = if args.get(2).is_false() {
        Kind::Import
    } else {
        Kind::Require
    };
    let parent = if parent.starts_with('/') {
        PathBuf::from(parent)
    } else {
        modules::virtual_referrer(&parent)
    };
    let r = state(scope)
        .borrow()
        .modules
        .resolver
        .resolve(&specifier, &parent, kind);
    match r {
        Ok(Resolved::Builtin(id)) => rv.set(v8_str(scope, &format!("node:{id}")).into()),
        Ok(Resolved::File(p)) => rv.set(v8_str(scope, &p.display().to_string()).into()),
        Err(e) => throw(scope, OpError::new(ErrorClass::Error, e.code, e.message)),
    }
}

/// `op_module_format(path)`: `'esm'`, `'cjs'`, `'json'` or `'addon'`.
pub fn op_module_format<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    let format = match modules::file_format(scope, Path::new(&path)) {
        Format::Esm => "esm",
        Format::Cjs => "cjs",
        Format::Json => "json",
        Format::Addon => "addon",
    };
    rv.set(v8_str(scope, format).into());
}

/// `op_module_compile_cjs(source, filename)`: the module body as
/// `function (exports, require, module, __filename, __dirname)`.
pub fn op_module_compile_cjs<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let source = arg_string(scope, &args, 0);
    let filename = arg_string(scope, &args, 1);
    let source = modules::strip_hashbang(&source);
    let params = ["exports", "require", "module", "__filename", "__dirname"];
    if let Some(f) = crate::js::builtins::compile_function(scope, &source, &filename, &params) {
        rv.set(f.into());
    }
}

/// `op_module_read_source(path)`: the file as text, without a UTF-8 byte-order mark.
pub fn op_module_read_source<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = arg_string(scope, &args, 0);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let text = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
            match v8::String::new_from_utf8(scope, text, v8::NewStringType::Normal) {
                Some(s) => rv.set(s.into()),
                None => throw(
                    scope,
                    OpError::new(
                        ErrorClass::Error,
                        "ERR_STRING_TOO_LONG",
                        format!("{path} is too large to load as source"),
                    ),
                ),
            }
        }
        Err(e) => throw(scope, OpError::from_io(&e, "open", Some(&path))),
    }
}

/// `op_module_run_script(source, name)`: compiles and runs `source` as a classic
/// script named `name` (for `weir eval`), returning its completion value.
pub fn op_module_run_script<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let source = args
        .get(0)
        .to_string(scope)
        .unwrap_or_else(|| v8::String::empty(scope));
    let name = args
        .get(1)
        .to_string(scope)
        .unwrap_or_else(|| v8::String::empty(scope));
    let origin = v8::ScriptOrigin::new(
        scope,
        name.into(),
        0,
        0,
        false,
        0,
        None,
        false,
        false,
        false,
        None,
    );
    let Some(script) = v8::Script::compile(scope, source, Some(&origin)) else {
        return;
    };
    if let Some(v) = script.run(scope) {
        rv.set(v);
    }
}

/// `op_module_require_esm(path)`: loads and evaluates an ES module graph synchronously
/// for `require()` (as Node 20.19+ does) and returns its namespace. A graph that uses
/// top-level await cannot finish synchronously: `ERR_REQUIRE_ASYNC_MODULE`.
pub fn op_module_require_esm<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let path = PathBuf::from(arg_string(scope, &args, 0));
    let Some(module) = modules::load(scope, &Resolved::File(path.clone())) else {
        return;
    };
    if module.get_status() == v8::ModuleStatus::Evaluating {
        // A cycle through require(): the module is being evaluated further up the stack.
        return throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_REQUIRE_CYCLE_MODULE",
                format!("Cannot require() ES Module {} in a cycle.", path.display()),
            ),
        );
    }
    let Some(promise) = modules::instantiate_and_evaluate(scope, module) else {
        return;
    };
    match promise.state() {
        v8::PromiseState::Fulfilled => rv.set(module.get_module_namespace()),
        v8::PromiseState::Rejected => {
            let e = promise.result(scope);
            scope.throw_exception(e);
        }
        v8::PromiseState::Pending => throw(
            scope,
            OpError::new(
                ErrorClass::Error,
                "ERR_REQUIRE_ASYNC_MODULE",
                format!("require() cannot be used on an ESM graph with top-level await. Use import() instead. To see where the top-level await comes from, use --experimental-print-required-tla.\n  From {}", path.display()),
            ),
        ),
    }
}
