//! The built-in JavaScript compiled into the binary (see `build.rs` and
//! `js-api/README.md`), and the one way it is compiled: as a function body with a
//! `node:<id>` resource name, so stack traces point at the built-in by name.
//!
//! For working on `js-api/` without rebuilding, `WEIR_JS_API_DIR=<path to js-api>`
//! makes the runtime read built-ins from that folder instead of the embedded copy.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
}

/// One folder of built-ins: `bootstrap`, `bindings` or `lib`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bootstrap,
    Bindings,
    Lib,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Bootstrap => "bootstrap",
            Kind::Bindings => "bindings",
            Kind::Lib => "lib",
        }
    }

    fn table(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Bootstrap => embedded::BOOTSTRAP,
            Kind::Bindings => embedded::BINDINGS,
            Kind::Lib => embedded::LIB,
        }
    }
}

fn dev_dir() -> Option<&'static PathBuf> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| std::env::var_os("WEIR_JS_API_DIR").map(PathBuf::from))
        .as_ref()
}

/// The source of built-in `id` of `kind`.
pub fn find(kind: Kind, id: &str) -> Option<Cow<'static, str>> {
    if let Some(dir) = dev_dir() {
        if id.contains("..") {
            return None;
        }
        let path = dir.join(kind.folder()).join(format!("{id}.js"));
        return std::fs::read_to_string(path).ok().map(Cow::Owned);
    }
    let table = kind.table();
    table
        .binary_search_by(|(k, _)| (*k).cmp(id))
        .ok()
        .map(|i| Cow::Borrowed(table[i].1))
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(root, &p, out);
        } else if p.extension().is_some_and(|x| x == "js") {
            if let Ok(rel) = p.strip_prefix(root) {
                out.push(rel.with_extension("").to_string_lossy().into_owned());
            }
        }
    }
}

/// Ids of the modules a user may import: everything in `lib/` outside `internal/`.
pub fn public_ids() -> Vec<String> {
    let mut ids: Vec<String> = match dev_dir() {
        Some(dir) => {
            let root = dir.join("lib");
            let mut out = Vec::new();
            walk(&root, &root, &mut out);
            out
        }
        None => embedded::LIB.iter().map(|(id, _)| id.to_string()).collect(),
    };
    ids.retain(|id| !id.starts_with("internal/"));
    ids.sort();
    ids
}

pub fn is_public(id: &str) -> bool {
    !id.starts_with("internal/") && find(Kind::Lib, id).is_some()
}

/// Compiles `source` as the body of a function taking `params`.
pub fn compile_function<'s>(
    scope: &mut v8::PinScope<'s, '_>,
    source: &str,
    resource: &str,
    params: &[&str],
) -> Option<v8::Local<'s, v8::Function>> {
    let code = v8::String::new(scope, source)?;
    let name = v8::String::new(scope, resource)?;
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
    let mut src = v8::script_compiler::Source::new(code, Some(&origin));
    let params: Vec<v8::Local<v8::String>> = params
        .iter()
        .map(|p| v8::String::new(scope, p).expect("param name"))
        .collect();
    v8::script_compiler::compile_function(
        scope,
        &mut src,
        &params,
        &[],
        v8::script_compiler::CompileOptions::NoCompileOptions,
        v8::script_compiler::NoCacheReason::NoReason,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_for_binary_search() {
        for kind in [Kind::Bootstrap, Kind::Bindings, Kind::Lib] {
            assert!(kind.table().windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn bootstrap_files_are_embedded() {
        assert!(find(Kind::Bootstrap, "primordials").is_some());
        assert!(find(Kind::Bootstrap, "node").is_some());
        assert!(find(Kind::Bootstrap, "nothing-here").is_none());
    }

    #[test]
    fn internal_modules_are_not_public() {
        assert!(is_public("events"));
        assert!(!is_public("internal/errors"));
        assert!(find(Kind::Lib, "internal/errors").is_some());
        assert!(public_ids().iter().all(|id| !id.starts_with("internal/")));
    }
}
