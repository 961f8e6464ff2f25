//! The built-in JavaScript compiled into the binary (see `build.rs` and
//! `js-api/README.md`), and the one way it is compiled: as a function body with a
//! `node:<id>` resource name, so stack traces point at the built-in by name.

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// The source of `id` in `table` (tables are sorted by id).
pub fn find(table: &'static [(&'static str, &'static str)], id: &str) -> Option<&'static str> {
    table
        .binary_search_by(|(k, _)| (*k).cmp(id))
        .ok()
        .map(|i| table[i].1)
}

/// Ids of the modules a user may import: everything in `lib/` outside `internal/`.
pub fn public_ids() -> impl Iterator<Item = &'static str> {
    LIB.iter()
        .map(|(id, _)| *id)
        .filter(|id| !id.starts_with("internal/"))
}

pub fn is_public(id: &str) -> bool {
    !id.starts_with("internal/") && find(LIB, id).is_some()
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
        for table in [BOOTSTRAP, BINDINGS, LIB] {
            assert!(table.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn bootstrap_files_are_embedded() {
        assert!(find(BOOTSTRAP, "primordials").is_some());
        assert!(find(BOOTSTRAP, "node").is_some());
        assert!(find(BOOTSTRAP, "nothing-here").is_none());
    }
}
