//! Every way a script can fail ends with a non-zero exit code and a message a person
//! can act on: where (file, line, column, source line, caret) and what (the error).

mod common;
use common::run_js;

#[test]
fn a_missing_file_names_the_path() {
    let run: common::Run = common::weir()
        .args(["run", "/no/such/dir/script.js"])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Cannot find module '/no/such/dir/script.js'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_syntax_error_shows_file_line_column_source_and_caret() {
    let run = run_js("errors/syntax.js", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("errors/syntax.js:2:17\nconst broken = {;\n                ^\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("SyntaxError: Unexpected token ';'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_syntax_error_in_an_es_module_is_reported_the_same_way() {
    let run = run_js("errors/syntax.mjs", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("errors/syntax.mjs:2:18\nexport const y = ;\n                 ^\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("SyntaxError: Unexpected token ';'"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unresolvable_import_names_the_specifier_and_the_importer() {
    let run = run_js("errors/unresolved.mjs", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Error [ERR_MODULE_NOT_FOUND]: Cannot find module"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("errors/does-not-exist.js' imported from "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("errors/unresolved.mjs"),
        "{}",
        run.stderr
    );

    let run = run_js("errors/unresolved-pkg.mjs", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Cannot find package 'no-such-package' imported from "),
        "{}",
        run.stderr
    );
}

#[test]
fn an_unresolvable_require_lists_the_require_stack() {
    let run = run_js("errors/unresolved.cjs", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("Error: Cannot find module './nope'\nRequire stack:\n- "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("code: 'MODULE_NOT_FOUND'"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_thrown_error_prints_its_stack_with_file_positions() {
    let run = run_js("errors/throw.js", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("errors/throw.js:2:3\n  throw new TypeError('bad input');\n  ^\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("TypeError: bad input\n    at inner ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("errors/throw.js:2:9)\n    at outer ("),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("errors/throw.js:4:20)"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_thrown_string_is_printed_as_is() {
    let run = run_js("errors/throw-string.js", &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.ends_with("\na string\n"), "{}", run.stderr);
}

#[test]
fn an_unhandled_rejection_exits_1_with_the_error() {
    let run = run_js("errors/rejection.js", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Error: async failure\n    at main ("),
        "{}",
        run.stderr
    );

    let run = run_js("errors/rejection-value.js", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("The promise rejected with the reason \"42\"."),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("code: 'ERR_UNHANDLED_REJECTION'"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_exception_in_a_microtask_is_uncaught() {
    let run = run_js("errors/microtask-throw.js", &[]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("Error: in a microtask"),
        "{}",
        run.stderr
    );
}

#[test]
fn process_listeners_can_handle_errors_and_the_process_goes_on() {
    let run = run_js("errors/handled.js", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "unhandled: from a promise\ncaught: from a timer (uncaughtException)\nstill running\n"
    );
}

#[test]
fn exit_code_and_exit_listeners() {
    let run = run_js("errors/exit-code.js", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (7, "exit 7\n"));
    let run = run_js("errors/exit-call.js", &[]);
    assert_eq!((run.code, run.stdout.as_str()), (3, "exit 3\n"));
}

#[test]
fn version_and_help() {
    let run: common::Run = common::weir().arg("--version").output().unwrap().into();
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.trim(),
        format!("weir {}", env!("CARGO_PKG_VERSION"))
    );
    let run: common::Run = common::weir().arg("--help").output().unwrap().into();
    assert_eq!(run.code, 0);
    for word in ["run", "eval", "Usage"] {
        assert!(run.stdout.contains(word), "{}", run.stdout);
    }
    let run: common::Run = common::weir()
        .args(["run", "--max-heap-mb", "lots", "x.js"])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value 'lots' for '--max-heap-mb"),
        "{}",
        run.stderr
    );
}
