//! Embeds the built-in JavaScript of `js-api/` into the binary: every `.js` file under
//! `bootstrap/`, `bindings/` and `lib/` becomes an `(id, source)` pair in
//! `$OUT_DIR/builtins.rs`, sorted by id so lookups can binary-search.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "js") {
            let rel = path.strip_prefix(root).expect("file under its root");
            let id = rel.with_extension("").to_string_lossy().replace('\\', "/");
            out.push((id, path));
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let js = manifest.join("js-api");
    println!("cargo:rerun-if-changed=js-api");
    let mut code = String::new();
    for (name, folder) in [
        ("BOOTSTRAP", "bootstrap"),
        ("BINDINGS", "bindings"),
        ("LIB", "lib"),
    ] {
        let root = js.join(folder);
        let mut files = Vec::new();
        collect(&root, &root, &mut files);
        files.sort();
        for (_, path) in &files {
            println!("cargo:rerun-if-changed={}", path.display());
        }
        writeln!(code, "pub static {name}: &[(&str, &str)] = &[").unwrap();
        for (id, path) in files {
            writeln!(
                code,
                "    ({id:?}, include_str!({:?})),",
                path.display().to_string()
            )
            .unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("builtins.rs");
    std::fs::write(out, code).expect("write builtins.rs");
}
