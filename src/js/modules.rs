//! ES modules: loading a graph (source-text modules from disk, and synthetic modules
//! for built-ins, CommonJS and JSON files), linking it, `import.meta` and `import()`.
//!
//! Loading is eager and synchronous: before a graph is instantiated, every static
//! import is resolved, read and compiled, so V8's resolve callback only looks up what
//! was decided here. A CommonJS file imported from ESM runs when the graph is loaded
//! (Node runs it when the graph evaluates); its `module.exports` keys at that moment
//! become the named exports. `import()` is queued and handled by the event loop, never
//! inside V8's callback.
//!
//! Failures are thrown as JS exceptions into the current scope and reported as `None`,
//! like V8's own API, so callers catch them with a `TryCatch`.

use crate::js::resolve::{Format, Kind, Resolved, Resolver};
use crate::js::state::state;
use crate::ops::{v8_str, OpError};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

struct ModuleInfo {
    module: v8::Global<v8::Module>,
    /// The file (or `node:<id>`) the module came from.
    name: String,
    /// Static imports: specifier → the module it was resolved and loaded to.
    imports: HashMap<String, v8::Global<v8::Module>>,
    /// Synthetic modules only: the export values to set when V8 evaluates them.
    exports: Vec<(String, v8::Global<v8::Value>)>,
}

struct DynamicImport {
    resolver: v8::Global<v8::PromiseResolver>,
    specifier: String,
    referrer: PathBuf,
}

#[derive(Default)]
pub struct ModuleMap {
    pub resolver: Resolver,
    /// `path` or `node:<id>` → module.
    by_name: HashMap<String, v8::Global<v8::Module>>,
    /// Identity hash → modules with that hash (hashes may collide).
    info: HashMap<i32, Vec<ModuleInfo>>,
    dynamic: Vec<DynamicImport>,
}

impl ModuleMap {
    pub fn has_pending_dynamic_imports(&self) -> bool {
        !self.dynamic.is_empty()
    }

    fn find(&self, module: v8::Local<v8::Module>) -> Option<&ModuleInfo> {
        self.info
            .get(&module.get_identity_hash().get())?
            .iter()
            .find(|i| i.module == module)
    }

    fn find_mut(&mut self, module: v8::Local<v8::Module>) -> Option<&mut ModuleInfo> {
        self.info
            .get_mut(&module.get_identity_hash().get())?
            .iter_mut()
            .find(|i| i.module == module)
    }
}

/// The referrer path for code that is not a file (`weir eval`, built-ins).
pub fn virtual_referrer(name: &str) -> PathBuf {
    if name.starts_with('/') {
        return PathBuf::from(name);
    }
    std::env::current_dir()
        .unwrap_or_else(|_| PathBuf::from("/"))
        .join(format!("[{}]", name.trim_matches(['[', ']'])))
}

fn throw_op_error(scope: &mut v8::PinScope<'_, '_>, err: OpError) {
    let e = err.to_v8(scope);
    scope.throw_exception(e);
}

pub fn register<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    module: v8::Local<'s, v8::Module>,
    name: &str,
    exports: Vec<(String, v8::Global<v8::Value>)>,
) {
    let info = ModuleInfo {
        module: v8::Global::new(scope, module),
        name: name.to_string(),
        imports: HashMap::new(),
        exports,
    };
    let st = state(scope);
    let mut st = st.borrow_mut();
    st.modules
        .by_name
        .insert(name.to_string(), info.module.clone());
    st.modules
        .info
        .entry(module.get_identity_hash().get())
        .or_default()
        .push(info);
}

fn cached<'s>(scope: &mut v8::PinScope<'s, '_>, name: &str) -> Option<v8::Local<'s, v8::Module>> {
    let g = state(scope).borrow().modules.by_name.get(name).cloned()?;
    Some(v8::Local::new(scope, g))
}

/// Loads the module `resolved` names, and (for source-text modules) everything it
/// imports statically.
pub fn load<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    resolved: &Resolved,
) -> Option<v8::Local<'s, v8::Module>> {
    match resolved {
        Resolved::Builtin(id) => load_builtin(scope, id),
        Resolved::File(path) => {
            let format = file_format(scope, path);
            match format {
                Format::Esm => load_esm(scope, path),
                Format::Cjs => load_cjs(scope, path),
                Format::Json => load_json(scope, path),
                Format::Addon => {
                    throw_op_error(
                        scope,
                        OpError::new(
                            crate::ops::ErrorClass::Error,
                            "ERR_DLOPEN_FAILED",
                            format!("{}: weir does not load native addons", path.display()),
                        ),
                    );
                    None
                }
            }
        }
    }
}

/// The format `path` loads as. A `.js` file in a package without `"type"` is tried as
/// CommonJS first and loaded as ESM when only module syntax explains it (as Node 22).
pub fn file_format(scope: &mut v8::PinScope<'_, '_>, path: &Path) -> Format {
    let st = state(scope);
    let format = st.borrow().modules.resolver.format(path);
    if format != Format::Cjs || path.extension().is_some_and(|e| e == "cjs") {
        return format;
    }
    if st.borrow().modules.resolver.has_explicit_type(path) {
        return format;
    }
    match std::fs::read_to_string(path) {
        Ok(source) if looks_like_esm(scope, &source) => Format::Esm,
        _ => format,
    }
}

/// Whether `source` fails to compile as a CommonJS function only because it uses
/// module syntax.
pub fn looks_like_esm(scope: &mut v8::PinScope<'_, '_>, source: &str) -> bool {
    if !(source.contains("import") || source.contains("export") || source.contains("await")) {
        return false;
    }
    v8::tc_scope!(let tc, scope);
    let params = ["exports", "require", "module", "__filename", "__dirname"];
    if crate::js::builtins::compile_function(tc, &strip_hashbang(source), "[detect]", &params)
        .is_some()
    {
        return false;
    }
    let Some(exception) = tc.exception() else {
        return false;
    };
    let message = exception.to_rust_string_lossy(tc);
    [
        "Cannot use import statement outside a module",
        "Unexpected token 'export'",
        "Cannot use 'import.meta' outside a module",
        "await is only valid in async functions and the top level bodies of modules",
    ]
    .iter()
    .any(|m| message.contains(m))
}

/// Comments out a leading `#!` line, keeping line numbers.
pub fn strip_hashbang(source: &str) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = source.strip_prefix("#!") {
        std::borrow::Cow::Owned(format!("//{rest}"))
    } else {
        std::borrow::Cow::Borrowed(source)
    }
}

fn load_esm<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    path: &Path,
) -> Option<v8::Local<'s, v8::Module>> {
    let name = path.display().to_string();
    if let Some(m) = cached(scope, &name) {
        return Some(m);
    }
    let source = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            throw_op_error(scope, OpError::from_io(&e, "open", Some(&name)));
            return None;
        }
    };
    let module = compile_module(scope, &source, &name)?;
    register(scope, module, &name, Vec::new());
    link_imports(scope, module, path)?;
    Some(module)
}

/// Compiles ES module source with `name` as its resource name.
pub fn compile_module<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    source: &str,
    name: &str,
) -> Option<v8::Local<'s, v8::Module>> {
    let code = v8_str(scope, source);
    let resource = v8_str(scope, name);
    let origin = v8::ScriptOrigin::new(
        scope,
        resource.into(),
        0,
        0,
        false,
        0,
        None,
        false,
        false,
        true,
        None,
    );
    let mut src = v8::script_compiler::Source::new(code, Some(&origin));
    v8::script_compiler::compile_module(scope, &mut src)
}

/// Resolves and loads every static import of `module` (compiled from `path`).
pub fn link_imports<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    module: v8::Local<'s, v8::Module>,
    path: &Path,
) -> Option<()> {
    let requests = module.get_module_requests();
    for i in 0..requests.length() {
        let request = requests.get(scope, i)?;
        let request = v8::Local::<v8::ModuleRequest>::try_from(request).ok()?;
        let specifier = request.get_specifier().to_rust_string_lossy(scope);
        let resolved = {
            let st = state(scope);
            let r = st
                .borrow()
                .modules
                .resolver
                .resolve(&specifier, path, Kind::Import);
            r
        };
        let resolved = match resolved {
            Ok(r) => r,
            Err(e) => {
                throw_op_error(
                    scope,
                    OpError::new(crate::ops::ErrorClass::Error, e.code, e.message),
                );
                return None;
            }
        };
        let dep = load(scope, &resolved)?;
        let dep = v8::Global::new(scope, dep);
        let st = state(scope);
        let mut st = st.borrow_mut();
        if let Some(info) = st.modules.find_mut(module) {
            info.imports.insert(specifier, dep);
        }
    }
    Some(())
}

fn synthetic<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    name: &str,
    exports: Vec<(String, v8::Local<'s, v8::Value>)>,
) -> v8::Local<'s, v8::Module> {
    let names: Vec<v8::Local<v8::String>> = exports.iter().map(|(k, _)| v8_str(scope, k)).collect();
    let module_name = v8_str(scope, name);
    let module =
        v8::Module::create_synthetic_module(scope, module_name, &names, synthetic_evaluation_steps);
    let exports = exports
        .into_iter()
        .map(|(k, v)| (k, v8::Global::new(scope, v)))
        .collect();
    register(scope, module, name, exports);
    module
}

fn synthetic_evaluation_steps<'s>(
    context: v8::Local<'s, v8::Context>,
    module: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Value>> {
    v8::callback_scope!(unsafe scope, context);
    let exports: Vec<(String, v8::Global<v8::Value>)> = {
        let st = state(scope);
        let st = st.borrow();
        st.modules
            .find(module)
            .map(|i| i.exports.clone())
            .unwrap_or_default()
    };
    for (name, value) in exports {
        let name = v8_str(scope, &name);
        let value = v8::Local::new(scope, value);
        module.set_synthetic_module_export(scope, name, value)?;
    }
    // V8 hands this value back from `Module::evaluate`, where callers expect the
    // evaluation promise that source-text modules produce.
    let resolver = v8::PromiseResolver::new(scope)?;
    let undefined = v8::undefined(scope).into();
    resolver.resolve(scope, undefined);
    Some(resolver.get_promise(scope).into())
}

/// `default` plus every own enumerable string key of `value` that is a valid name.
fn exports_of<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    value: v8::Local<'s, v8::Value>,
) -> Vec<(String, v8::Local<'s, v8::Value>)> {
    let mut out = vec![("default".to_string(), value)];
    if let Ok(obj) = v8::Local::<v8::Object>::try_from(value) {
        if let Some(keys) = obj.get_own_property_names(scope, Default::default()) {
            for i in 0..keys.length() {
                let Some(key) = keys.get_index(scope, i) else {
                    continue;
                };
                let name = key.to_rust_string_lossy(scope);
                if name == "default" {
                    continue;
                }
                let Some(v) = obj.get(scope, key) else {
                    continue;
                };
                out.push((name, v));
            }
        }
    }
    out
}

fn load_builtin<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    id: &str,
) -> Option<v8::Local<'s, v8::Module>> {
    let name = format!("node:{id}");
    if let Some(m) = cached(scope, &name) {
        return Some(m);
    }
    let hook = state(scope).borrow().hooks.builtin_load.clone()?;
    let hook = v8::Local::new(scope, hook);
    let undefined = v8::undefined(scope).into();
    let arg = v8_str(scope, id).into();
    let exports = hook.call(scope, undefined, &[arg])?;
    let exports = exports_of(scope, exports);
    Some(synthetic(scope, &name, exports))
}

fn load_cjs<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    path: &Path,
) -> Option<v8::Local<'s, v8::Module>> {
    let name = path.display().to_string();
    if let Some(m) = cached(scope, &name) {
        return Some(m);
    }
    let hook = state(scope).borrow().hooks.cjs_load.clone()?;
    let hook = v8::Local::new(scope, hook);
    let undefined = v8::undefined(scope).into();
    let arg = v8_str(scope, &name).into();
    let is_main = v8::Boolean::new(scope, false).into();
    let exports = hook.call(scope, undefined, &[arg, is_main])?;
    let exports = exports_of(scope, exports);
    Some(synthetic(scope, &name, exports))
}

fn load_json<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    path: &Path,
) -> Option<v8::Local<'s, v8::Module>> {
    let name = path.display().to_string();
    if let Some(m) = cached(scope, &name) {
        return Some(m);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            throw_op_error(scope, OpError::from_io(&e, "open", Some(&name)));
            return None;
        }
    };
    let text = v8_str(scope, &text);
    let value = v8::json::parse(scope, text)?;
    Some(synthetic(
        scope,
        &name,
        vec![("default".to_string(), value)],
    ))
}

fn resolve_callback<'s>(
    context: v8::Local<'s, v8::Context>,
    specifier: v8::Local<'s, v8::String>,
    _attributes: v8::Local<'s, v8::FixedArray>,
    referrer: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Module>> {
    v8::callback_scope!(unsafe scope, context);
    let specifier = specifier.to_rust_string_lossy(scope);
    let found = {
        let st = state(scope);
        let st = st.borrow();
        st.modules
            .find(referrer)
            .and_then(|i| i.imports.get(&specifier).cloned())
    };
    match found {
        Some(g) => Some(v8::Local::new(scope, g)),
        None => {
            let msg = v8_str(
                scope,
                &format!("Cannot resolve '{specifier}': it was not loaded"),
            );
            let e = v8::Exception::error(scope, msg);
            scope.throw_exception(e);
            None
        }
    }
}

/// Instantiates `module` (all its imports are loaded) and evaluates it. Returns the
/// evaluation promise (modules may use top-level await).
pub fn instantiate_and_evaluate<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    module: v8::Local<'s, v8::Module>,
) -> Option<v8::Local<'s, v8::Promise>> {
    if module.get_status() == v8::ModuleStatus::Uninstantiated {
        module.instantiate_module(scope, resolve_callback)?;
    }
    let result = module.evaluate(scope)?;
    v8::Local::<v8::Promise>::try_from(result).ok()
}

/// V8's `import.meta` hook: `url`, `filename`, `dirname` and `resolve(specifier)`.
pub extern "C" fn import_meta_callback(
    context: v8::Local<v8::Context>,
    module: v8::Local<v8::Module>,
    meta: v8::Local<v8::Object>,
) {
    v8::callback_scope!(unsafe scope, context);
    let name = {
        let st = state(scope);
        let st = st.borrow();
        st.modules.find(module).map(|i| i.name.clone())
    };
    let Some(name) = name else { return };
    let path = PathBuf::from(&name);
    let url = url::Url::from_file_path(&path)
        .map(|u| u.to_string())
        .unwrap_or_else(|_| name.clone());
    let dirname = path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    for (k, v) in [
        ("url", url.as_str()),
        ("filename", name.as_str()),
        ("dirname", dirname.as_str()),
    ] {
        let k = v8_str(scope, k);
        let v = v8_str(scope, v);
        meta.create_data_property(scope, k.into(), v.into());
    }
    let data = v8_str(scope, &name);
    if let Some(f) = v8::Function::builder(import_meta_resolve)
        .data(data.into())
        .build(scope)
    {
        let k = v8_str(scope, "resolve");
        meta.create_data_property(scope, k.into(), f.into());
    }
}

/// `import.meta.resolve(specifier)`: the URL (or `node:` id) the specifier resolves to.
fn import_meta_resolve<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    args: v8::FunctionCallbackArguments<'s>,
    mut rv: v8::ReturnValue<'s, v8::Value>,
) {
    let referrer = PathBuf::from(args.data().to_rust_string_lossy(scope));
    let specifier = args.get(0).to_rust_string_lossy(scope);
    let r = state(scope)
        .borrow()
        .modules
        .resolver
        .resolve(&specifier, &referrer, Kind::Import);
    match r {
        Ok(Resolved::Builtin(id)) => rv.set(v8_str(scope, &format!("node:{id}")).into()),
        Ok(Resolved::File(p)) => {
            let url = url::Url::from_file_path(&p)
                .map(|u| u.to_string())
                .unwrap_or_default();
            rv.set(v8_str(scope, &url).into());
        }
        Err(e) => throw_op_error(
            scope,
            OpError::new(crate::ops::ErrorClass::Error, e.code, e.message),
        ),
    }
}

/// V8's `import()` hook: queues the import for the loop and returns its promise.
pub fn dynamic_import_callback<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    _options: v8::Local<'s, v8::Data>,
    resource_name: v8::Local<'s, v8::Value>,
    specifier: v8::Local<'s, v8::String>,
    _attributes: v8::Local<'s, v8::FixedArray>,
) -> Option<v8::Local<'s, v8::Promise>> {
    let resolver = v8::PromiseResolver::new(scope)?;
    let promise = resolver.get_promise(scope);
    let referrer = resource_name.to_rust_string_lossy(scope);
    let referrer = if referrer.starts_with('/') {
        PathBuf::from(referrer)
    } else {
        virtual_referrer("eval")
    };
    let specifier = specifier.to_rust_string_lossy(scope);
    let resolver = v8::Global::new(scope, resolver);
    state(scope)
        .borrow_mut()
        .modules
        .dynamic
        .push(DynamicImport {
            resolver,
            specifier,
            referrer,
        });
    Some(promise)
}

/// Settles every queued `import()`: resolves, loads, links and evaluates each, and
/// resolves its promise with the namespace once evaluation (and any top-level await)
/// finished. Returns whether there was anything to do.
pub fn run_dynamic_imports(scope: &mut v8::PinScope<'_, '_>) -> bool {
    let queued = std::mem::take(&mut state(scope).borrow_mut().modules.dynamic);
    let any = !queued.is_empty();
    for job in queued {
        v8::tc_scope!(let tc, scope);
        let resolver = v8::Local::new(tc, &job.resolver);
        let resolved = state(tc).borrow().modules.resolver.resolve(
            &job.specifier,
            &job.referrer,
            Kind::Import,
        );
        let outcome = match resolved {
            Err(e) => {
                throw_op_error(
                    tc,
                    OpError::new(crate::ops::ErrorClass::Error, e.code, e.message),
                );
                None
            }
            Ok(r) => load(tc, &r).and_then(|m| {
                let promise = instantiate_and_evaluate(tc, m)?;
                let ns = m.get_module_namespace();
                let give_ns = v8::Function::builder(
                    |_: &mut v8::PinScope,
                     args: v8::FunctionCallbackArguments,
                     mut rv: v8::ReturnValue| rv.set(args.data()),
                )
                .data(ns)
                .build(tc)?;
                promise.then(tc, give_ns)
            }),
        };
        if tc.has_terminated() {
            return any;
        }
        match outcome {
            Some(p) => {
                resolver.resolve(tc, p.into());
            }
            None => {
                let e = match tc.exception() {
                    Some(e) => e,
                    None => {
                        let msg = v8_str(tc, &format!("import('{}') failed", job.specifier));
                        v8::Exception::error(tc, msg)
                    }
                };
                tc.reset();
                resolver.reject(tc, e);
            }
        }
    }
    any
}
