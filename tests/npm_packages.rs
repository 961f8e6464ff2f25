//! npm packages nobody here wrote (including stream packages: through2, split2, pump,
//! csv-parse, readable-stream) load and work unchanged: they are installed with npm
//! into a scratch copy of `tests/npm/` at test time, then each example script runs
//! under `node` and under `weir run`, and the outputs must be identical.

mod common;
use std::path::Path;
use std::process::Command;

fn install(dir: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npm");
    for f in [
        "package.json",
        "examples.mjs",
        "examples.cjs",
        "streams.cjs",
    ] {
        std::fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--loglevel=error",
        ])
        .current_dir(dir)
        .status()
        .expect("npm must be installed to run this test (apt-get install npm)");
    assert!(status.success(), "npm install failed");
}

fn output(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn npm_packages_work_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    install(dir.path());
    for script in ["examples.mjs", "examples.cjs", "streams.cjs"] {
        let node = output(Command::new("node").arg(script).current_dir(dir.path()));
        let weir = output(common::weir().args(["run", script]).current_dir(dir.path()));
        assert!(
            node.lines().count() >= 3,
            "{script}: node printed too little: {node}"
        );
        assert_eq!(weir, node, "{script}: weir's output differs from node's");
    }
}

#[test]
fn the_weir_type_declarations_check_a_typed_handler() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/npm");
    std::fs::copy(src.join("handler.ts"), dir.path().join("handler.ts")).unwrap();
    let types = Path::new(env!("CARGO_MANIFEST_DIR")).join("js-api/types/index.d.ts");
    let tsconfig = std::fs::read_to_string(src.join("tsconfig.json"))
        .unwrap()
        .replace(
            "../../js-api/types/index.d.ts",
            &types.display().to_string(),
        );
    std::fs::write(dir.path().join("tsconfig.json"), tsconfig).unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        r#"{"private": true, "type": "module"}"#,
    )
    .unwrap();
    let status = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "typescript@5",
            "@types/node@20",
        ])
        .current_dir(dir.path())
        .status()
        .expect("npm must be installed");
    assert!(status.success());
    let out = Command::new("node")
        .args(["node_modules/typescript/bin/tsc", "-p", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tsc: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // And a wrong use is caught: the declarations have teeth.
    std::fs::write(
        dir.path().join("handler.ts"),
        "import { version } from 'weir';\nconst n: number = version;\nexport default n;\n",
    )
    .unwrap();
    let out = Command::new("node")
        .args(["node_modules/typescript/bin/tsc", "-p", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "tsc accepted a string as a number");
}
