//! Module loading: ESM and CommonJS, Node's resolution (extensions, index files,
//! node_modules, package.json main/exports/imports with conditions), interop both ways.

mod common;

#[test]
fn esm_entry_resolves_like_node() {
    common::assert_golden("modules/main.mjs");
}

#[test]
fn commonjs_entry_resolves_like_node() {
    common::assert_golden("modules/main.cjs");
}

#[test]
fn a_js_file_with_module_syntax_and_no_package_type_loads_as_esm() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("handler.js");
    std::fs::write(&file, "import path from 'node:path';\nexport default 1;\nconsole.log(path.sep, import.meta.url.startsWith('file://'));\n").unwrap();
    let run: common::Run = common::weir()
        .arg("run")
        .arg(&file)
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "/ true\n");
}

#[test]
fn eval_runs_commonjs_with_require_and_esm_with_import() {
    let run: common::Run = common::weir()
        .args(["eval", "console.log(require('path').join('a', 'b'))"])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.stdout, "a/b\n");
    let run: common::Run = common::weir()
        .args(["eval", "import { join } from 'node:path'; console.log(join('c', 'd'), await Promise.resolve(1))"])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.stdout, "c/d 1\n", "{}", run.stderr);
}

#[test]
fn argv_is_like_node() {
    let run = common::run_js("run/argv.js", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let path = common::js_dir().join("run/argv.js");
    let run: common::Run = common::weir()
        .arg("run")
        .arg(&path)
        .args(["one", "--two", "3"])
        .output()
        .unwrap()
        .into();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        lines[0],
        std::fs::canonicalize(env!("CARGO_BIN_EXE_weir"))
            .unwrap()
            .display()
            .to_string()
    );
    assert_eq!(lines[1], path.display().to_string());
    assert_eq!(&lines[2..], &["one", "--two", "3"]);
}
