//! The event loop keeps Node's ordering: nextTick before promises before timers,
//! setImmediate after I/O, nested ticks, ref/unref, 'beforeExit'.

mod common;

#[test]
fn ordering_matches_node() {
    common::assert_golden("run/ordering.js");
}

#[test]
fn ordering_is_stable_across_runs() {
    for _ in 0..5 {
        common::assert_golden("run/ordering.js");
    }
}

#[test]
fn a_pending_unref_timer_does_not_keep_the_process_alive() {
    let start = std::time::Instant::now();
    let run: common::Run = common::weir()
        .args([
            "eval",
            "setTimeout(() => console.log('ran'), 5000).unref(); console.log('done')",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.stdout, "done\n");
    assert!(start.elapsed() < std::time::Duration::from_secs(3));
}

#[test]
fn the_process_waits_for_a_ref_timer() {
    let run: common::Run = common::weir()
        .args([
            "eval",
            "setTimeout(() => console.log('late'), 50); console.log('early')",
        ])
        .output()
        .unwrap()
        .into();
    assert_eq!(run.stdout, "early\nlate\n");
}
