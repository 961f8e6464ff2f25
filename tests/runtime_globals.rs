//! Node's globals behave as in Node (output compared with Node's on the same script).

mod common;

#[test]
fn globals_match_node() {
    common::assert_golden("run/globals.js");
}
