//! Helpers shared by the integration tests: run the real `weir` binary the way a user
//! does and look at what it printed and how it exited.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn weir() -> Command {
    Command::new(env!("CARGO_BIN_EXE_weir"))
}

/// Runs `weir` with `args`, which its command line must refuse (exit code 2, as
/// clap's usage errors), and returns what it printed.
pub fn refused_args(args: &[&str]) -> Run {
    let run: Run = weir().args(args).output().unwrap().into();
    assert_eq!(run.code, 2, "{args:?} were not refused: {}", run.stderr);
    run
}

pub fn js_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("js")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `weir run <tests/js/...> args` from that file's directory.
pub fn run_js(rel: &str, args: &[&str]) -> Run {
    let path = js_dir().join(rel);
    weir()
        .arg("run")
        .args(args)
        .arg(&path)
        .current_dir(path.parent().expect("fixture has a directory"))
        .output()
        .expect("spawn weir")
        .into()
}

/// Runs a fixture and compares its stdout with the golden `<fixture>.out` (the output
/// Node gives for the same script), and its exit code with 0.
pub fn assert_golden(rel: &str) {
    let run = run_js(rel, &[]);
    let golden_path = js_dir().join(format!("{}.out", rel.trim_end_matches(".js")));
    let golden_path = if golden_path.exists() {
        golden_path
    } else {
        js_dir().join(format!("{rel}.out"))
    };
    let golden = std::fs::read_to_string(&golden_path)
        .unwrap_or_else(|e| panic!("{}: {e}", golden_path.display()));
    assert_eq!(
        run.code, 0,
        "{rel} exited with {}; stderr:\n{}",
        run.code, run.stderr
    );
    assert_eq!(
        run.stdout,
        golden,
        "{rel}: stdout differs from {}; stderr:\n{}",
        golden_path.display(),
        run.stderr
    );
}
