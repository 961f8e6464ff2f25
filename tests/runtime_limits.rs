//! The heap limit and the CPU budget stop a runaway script with a clear error and a
//! documented exit code, never an abort of the process.

mod common;
use common::run_js;
use std::time::{Duration, Instant};

#[test]
fn a_script_that_allocates_without_bound_ends_with_err_worker_out_of_memory() {
    let run = run_js("limits/heap.js", &["--max-heap-mb", "64"]);
    assert_eq!(run.code, 134, "{}", run.stderr);
    assert!(
        run.stderr.contains("ERR_WORKER_OUT_OF_MEMORY"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("64 MiB"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("Fatal"),
        "V8 must not abort: {}",
        run.stderr
    );
}

#[test]
fn an_infinite_loop_at_top_level_is_stopped_by_the_cpu_budget() {
    let start = Instant::now();
    let run = run_js("limits/spin.js", &["--cpu-limit-ms", "200"]);
    assert_eq!(run.code, 124, "{}", run.stderr);
    assert_eq!(run.stdout, "before the loop\n");
    assert!(
        run.stderr.contains("ERR_SCRIPT_EXECUTION_TIMEOUT"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("200ms"), "{}", run.stderr);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_budget_is_per_invocation_and_catches_a_loop_in_a_timer() {
    let run = run_js("limits/spin-in-timer.js", &["--cpu-limit-ms", "300"]);
    assert_eq!(run.code, 124, "{}", run.stderr);
    assert_eq!(run.stdout, "top level finished\ntimer started\n");
}

#[test]
fn many_short_callbacks_each_fit_the_budget() {
    let run = run_js("limits/many-short.js", &["--cpu-limit-ms", "100"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "20 short callbacks fit the budget\n");
}
