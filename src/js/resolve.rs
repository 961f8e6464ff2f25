//! Node's module resolution: from a specifier and the file that asks for it, to a
//! built-in id or an absolute file path, and the format that file is loaded as.
//!
//! It follows Node's algorithm (relative and absolute paths, `node_modules` up the
//! tree, `package.json` `main`, `exports` and `imports` with conditions, `"type"`), with
//! one deliberate leniency: ES imports may leave out the extension or name a folder
//! (Node's CommonJS rules), as handlers written for other runtimes do. It reads the file
//! system but keeps no state besides a cache of parsed `package.json` files.

use serde_json::Value;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `import` / `import()`: conditions `import`, `node`, `weir`, `default`.
    Import,
    /// `require()`: conditions `require`, `node`, `weir`, `default`.
    Require,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolved {
    Builtin(String),
    File(PathBuf),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Esm,
    Cjs,
    Json,
    /// `.node` native addons, which weir does not load.
    Addon,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolveError {
    pub code: &'static str,
    pub message: String,
}

struct PackageJson {
    dir: PathBuf,
    name: Option<String>,
    main: Option<String>,
    type_module: bool,
    exports: Option<Value>,
    imports: Option<Value>,
}

#[derive(Default)]
pub struct Resolver {
    packages: RefCell<HashMap<PathBuf, Option<Rc<PackageJson>>>>,
}

const EXTENSIONS: [&str; 4] = [".js", ".mjs", ".cjs", ".json"];

impl Resolver {
    /// Resolves `specifier` as asked from the file `referrer` (for the entry point and
    /// `weir eval`, a file name inside the working directory).
    pub fn resolve(
        &self,
        specifier: &str,
        referrer: &Path,
        kind: Kind,
    ) -> Result<Resolved, ResolveError> {
        let not_found = || self.not_found(specifier, referrer, kind, false);
        if let Some(id) = specifier.strip_prefix("node:") {
            return if crate::js::builtins::is_public(id) {
                Ok(Resolved::Builtin(id.to_string()))
            } else {
                Err(ResolveError {
                    code: "ERR_UNKNOWN_BUILTIN_MODULE",
                    message: format!("No such built-in module: {specifier}"),
                })
            };
        }
        if crate::js::builtins::is_public(specifier) {
            return Ok(Resolved::Builtin(specifier.to_string()));
        }
        let base = referrer.parent().unwrap_or(Path::new("/"));
        if let Some(rest) = specifier.strip_prefix("file://") {
            let path = percent_decode(rest.strip_prefix("localhost").unwrap_or(rest));
            return self
                .load_file_or_dir(Path::new(&path))
                .map(Resolved::File)
                .ok_or_else(not_found);
        }
        if is_path_like(specifier) {
            let target = normalize(&base.join(specifier));
            return self
                .load_file_or_dir(&target)
                .map(Resolved::File)
                .ok_or_else(not_found);
        }
        if specifier.starts_with('#') {
            return self.resolve_imports(specifier, referrer, kind);
        }
        self.resolve_package(specifier, referrer, base, kind)
    }

    /// How `path` is loaded: by extension, and for `.js` by the nearest
    /// `package.json`'s `"type"`.
    pub fn format(&self, path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("mjs") => Format::Esm,
            Some("cjs") => Format::Cjs,
            Some("json") => Format::Json,
            Some("node") => Format::Addon,
            _ => match path.parent().and_then(|d| self.nearest_package(d)) {
                Some(pkg) if pkg.type_module => Format::Esm,
                _ => Format::Cjs,
            },
        }
    }

    /// Whether the nearest `package.json` above `path` declares a `"type"` at all
    /// (without one, a `.js` file that turns out to be ES syntax is loaded as ESM).
    pub fn has_explicit_type(&self, path: &Path) -> bool {
        let Some(dir) = path.parent() else {
            return false;
        };
        let Some(pkg) = self.nearest_package(dir) else {
            return false;
        };
        let file = pkg.dir.join("package.json");
        std::fs::read_to_string(file)
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .is_some_and(|v| v.get("type").is_some())
    }

    fn not_found(
        &self,
        specifier: &str,
        referrer: &Path,
        kind: Kind,
        package: bool,
    ) -> ResolveError {
        let shown = if package || !is_path_like(specifier) {
            specifier.to_string()
        } else {
            let base = referrer.parent().unwrap_or(Path::new("/"));
            normalize(&base.join(specifier)).display().to_string()
        };
        match kind {
            Kind::Import => ResolveError {
                code: "ERR_MODULE_NOT_FOUND",
                message: if package {
                    format!(
                        "Cannot find package '{shown}' imported from {}",
                        referrer.display()
                    )
                } else {
                    format!(
                        "Cannot find module '{shown}' imported from {}",
                        referrer.display()
                    )
                },
            },
            Kind::Require => ResolveError {
                code: "MODULE_NOT_FOUND",
                message: format!("Cannot find module '{specifier}'"),
            },
        }
    }

    fn load_file_or_dir(&self, target: &Path) -> Option<PathBuf> {
        self.load_as_file(target)
            .or_else(|| self.load_as_directory(target))
    }

    fn load_as_file(&self, target: &Path) -> Option<PathBuf> {
        if target.is_file() {
            return canonical(target);
        }
        let name = target.file_name()?.to_string_lossy().into_owned();
        for ext in EXTENSIONS {
            let candidate = target.with_file_name(format!("{name}{ext}"));
            if candidate.is_file() {
                return canonical(&candidate);
            }
        }
        None
    }

    fn load_index(&self, dir: &Path) -> Option<PathBuf> {
        EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("index{ext}")))
            .find(|p| p.is_file())
            .and_then(|p| canonical(&p))
    }

    fn load_as_directory(&self, dir: &Path) -> Option<PathBuf> {
        if !dir.is_dir() {
            return None;
        }
        if let Some(pkg) = self.package_at(dir) {
            if let Some(main) = &pkg.main {
                let target = normalize(&dir.join(main));
                if let Some(p) = self
                    .load_as_file(&target)
                    .or_else(|| self.load_index(&target))
                {
                    return Some(p);
                }
            }
        }
        self.load_index(dir)
    }

    fn resolve_package(
        &self,
        specifier: &str,
        referrer: &Path,
        base: &Path,
        kind: Kind,
    ) -> Result<Resolved, ResolveError> {
        let (name, subpath) = split_package(specifier).ok_or_else(|| ResolveError {
            code: "ERR_INVALID_MODULE_SPECIFIER",
            message: format!(
                "Invalid module \"{specifier}\" is not a valid package name imported from {}",
                referrer.display()
            ),
        })?;
        // A package may import itself by its own name through "exports".
        if let Some(pkg) = self.nearest_package(base) {
            if pkg.name.as_deref() == Some(name) {
                if let Some(exports) = &pkg.exports {
                    return self.resolve_exports(&pkg, exports, &subpath, referrer, kind);
                }
            }
        }
        let mut dir = Some(base);
        while let Some(d) = dir {
            if d.file_name().is_some_and(|n| n == "node_modules") {
                dir = d.parent();
                continue;
            }
            let pkg_dir = d.join("node_modules").join(name);
            if pkg_dir.is_dir() {
                if let Some(pkg) = self.package_at(&pkg_dir) {
                    if let Some(exports) = &pkg.exports {
                        return self.resolve_exports(&pkg, exports, &subpath, referrer, kind);
                    }
                }
                let target = if subpath == "." {
                    pkg_dir.clone()
                } else {
                    normalize(&pkg_dir.join(&subpath[2..]))
                };
                return self
                    .load_file_or_dir(&target)
                    .map(Resolved::File)
                    .ok_or_else(|| self.not_found(specifier, referrer, kind, false));
            }
            dir = d.parent();
        }
        Err(self.not_found(specifier, referrer, kind, true))
    }

    fn resolve_exports(
        &self,
        pkg: &PackageJson,
        exports: &Value,
        subpath: &str,
        referrer: &Path,
        kind: Kind,
    ) -> Result<Resolved, ResolveError> {
        let is_subpath_map = matches!(exports, Value::Object(m) if m.keys().next().is_some_and(|k| k.starts_with('.')));
        let found = if is_subpath_map {
            let Value::Object(map) = exports else {
                unreachable!()
            };
            match_subpath(map, subpath)
                .and_then(|(target, star)| self.resolve_target(pkg, target, star.as_deref(), kind))
        } else if subpath == "." {
            self.resolve_target(pkg, exports, None, kind)
        } else {
            None
        };
        let pkg_json = pkg.dir.join("package.json");
        match found {
            Some(path) if path.is_file() => Ok(Resolved::File(canonical(&path).unwrap_or(path))),
            Some(path) => Err(ResolveError {
                code: if kind == Kind::Import {
                    "ERR_MODULE_NOT_FOUND"
                } else {
                    "MODULE_NOT_FOUND"
                },
                message: format!(
                    "Cannot find module '{}' imported from {}",
                    path.display(),
                    referrer.display()
                ),
            }),
            None => Err(ResolveError {
                code: "ERR_PACKAGE_PATH_NOT_EXPORTED",
                message: if subpath == "." {
                    format!("No \"exports\" main defined in {}", pkg_json.display())
                } else {
                    format!(
                        "Package subpath '{subpath}' is not defined by \"exports\" in {} imported from {}",
                        pkg_json.display(),
                        referrer.display()
                    )
                },
            }),
        }
    }

    fn resolve_imports(
        &self,
        specifier: &str,
        referrer: &Path,
        kind: Kind,
    ) -> Result<Resolved, ResolveError> {
        let base = referrer.parent().unwrap_or(Path::new("/"));
        let pkg = self.nearest_package(base);
        let found = pkg.as_ref().and_then(|pkg| {
            let Some(Value::Object(map)) = &pkg.imports else {
                return None;
            };
            let (target, star) = match_subpath(map, specifier)?;
            if let Value::String(s) = target {
                if !s.starts_with("./") && !s.starts_with("../") && !s.starts_with('/') {
                    let spec = match &star {
                        Some(st) => s.replace('*', st),
                        None => s.clone(),
                    };
                    return Some(self.resolve(&spec, referrer, kind));
                }
            }
            self.resolve_target(pkg, target, star.as_deref(), kind)
                .map(|p| Ok(Resolved::File(canonical(&p).unwrap_or(p))))
        });
        found.unwrap_or_else(|| {
            Err(ResolveError {
                code: "ERR_PACKAGE_IMPORT_NOT_DEFINED",
                message: format!(
                    "Package import specifier \"{specifier}\" is not defined imported from {}",
                    referrer.display()
                ),
            })
        })
    }

    /// PACKAGE_TARGET_RESOLVE: a string target, the first good entry of an array, or
    /// the first matching condition of an object (in the object's order).
    fn resolve_target(
        &self,
        pkg: &PackageJson,
        target: &Value,
        star: Option<&str>,
        kind: Kind,
    ) -> Option<PathBuf> {
        match target {
            Value::String(s) => {
                let s = match star {
                    Some(st) => s.replace('*', st),
                    None => s.clone(),
                };
                let rel = s.strip_prefix("./")?;
                let path = normalize(&pkg.dir.join(rel));
                path.starts_with(&pkg.dir).then_some(path)
            }
            Value::Array(items) => items
                .iter()
                .find_map(|t| self.resolve_target(pkg, t, star, kind)),
            Value::Object(map) => {
                let wanted = match kind {
                    Kind::Import => "import",
                    Kind::Require => "require",
                };
                for (condition, t) in map {
                    if condition == "default"
                        || condition == wanted
                        || condition == "node"
                        || condition == "weir"
                    {
                        if let Some(p) = self.resolve_target(pkg, t, star, kind) {
                            return Some(p);
                        }
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn package_at(&self, dir: &Path) -> Option<Rc<PackageJson>> {
        if let Some(hit) = self.packages.borrow().get(dir) {
            return hit.clone();
        }
        let parsed = std::fs::read_to_string(dir.join("package.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .map(|v| {
                let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
                Rc::new(PackageJson {
                    dir: dir.to_path_buf(),
                    name: text("name"),
                    main: text("main"),
                    type_module: v.get("type").and_then(|t| t.as_str()) == Some("module"),
                    exports: v.get("exports").cloned(),
                    imports: v.get("imports").cloned(),
                })
            });
        self.packages
            .borrow_mut()
            .insert(dir.to_path_buf(), parsed.clone());
        parsed
    }

    fn nearest_package(&self, dir: &Path) -> Option<Rc<PackageJson>> {
        let mut d = Some(dir);
        while let Some(cur) = d {
            if let Some(p) = self.package_at(cur) {
                return Some(p);
            }
            d = cur.parent();
        }
        None
    }
}

/// The exports/imports map entry for `subpath`: an exact key, else the pattern key
/// (`"./feat/*"`) with the longest prefix, with what `*` matched.
fn match_subpath<'a>(
    map: &'a serde_json::Map<String, Value>,
    subpath: &str,
) -> Option<(&'a Value, Option<String>)> {
    if let Some(t) = map.get(subpath) {
        if !subpath.contains('*') {
            return Some((t, None));
        }
    }
    let mut best: Option<(&str, &Value)> = None;
    for (key, target) in map {
        let Some(star) = key.find('*') else { continue };
        let (prefix, suffix) = (&key[..star], &key[star + 1..]);
        if subpath.len() >= key.len() - 1
            && subpath.starts_with(prefix)
            && subpath.ends_with(suffix)
            && best.is_none_or(|(b, _)| prefix.len() > b.find('*').unwrap_or(0))
        {
            best = Some((key.as_str(), target));
        }
    }
    best.map(|(key, target)| {
        let star = key.find('*').unwrap_or(0);
        let suffix_len = key.len() - star - 1;
        (
            target,
            Some(subpath[star..subpath.len() - suffix_len].to_string()),
        )
    })
}

fn is_path_like(s: &str) -> bool {
    s.starts_with('/') || s.starts_with("./") || s.starts_with("../") || s == "." || s == ".."
}

/// `"@scope/name/sub/path"` → `("@scope/name", "./sub/path")`; `"name"` → `("name", ".")`.
fn split_package(specifier: &str) -> Option<(&str, String)> {
    let mut parts = specifier.splitn(3, '/');
    let first = parts.next()?;
    let name_len = if first.starts_with('@') {
        let second = parts.next()?;
        if second.is_empty() {
            return None;
        }
        first.len() + 1 + second.len()
    } else {
        first.len()
    };
    if name_len == 0
        || specifier.starts_with('.')
        || specifier.contains('\\')
        || specifier.contains('%')
    {
        return None;
    }
    let (name, rest) = specifier.split_at(name_len);
    Some((
        name,
        if rest.is_empty() {
            ".".to_string()
        } else {
            format!(".{rest}")
        },
    ))
}

/// Lexically removes `.` and `..` (without touching the file system).
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

fn canonical(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_split_into_name_and_subpath() {
        assert_eq!(split_package("ms"), Some(("ms", ".".into())));
        assert_eq!(split_package("ms/x/y.js"), Some(("ms", "./x/y.js".into())));
        assert_eq!(split_package("@s/p"), Some(("@s/p", ".".into())));
        assert_eq!(split_package("@s/p/q"), Some(("@s/p", "./q".into())));
        assert_eq!(split_package("@s"), None);
        assert_eq!(split_package("a\\b"), None);
    }

    #[test]
    fn subpath_patterns_pick_the_longest_prefix() {
        let map: serde_json::Map<String, Value> = serde_json::from_str(
            r#"{".": "./main.js", "./feat/*": "./f/*.js", "./feat/deep/*": "./d/*.js", "./x": null}"#,
        )
        .unwrap();
        let (t, star) = match_subpath(&map, "./feat/a").unwrap();
        assert_eq!((t.as_str(), star.as_deref()), (Some("./f/*.js"), Some("a")));
        let (t, star) = match_subpath(&map, "./feat/deep/b").unwrap();
        assert_eq!((t.as_str(), star.as_deref()), (Some("./d/*.js"), Some("b")));
        assert!(match_subpath(&map, "./nope").is_none());
        assert!(match_subpath(&map, "./x").unwrap().0.is_null());
    }

    #[test]
    fn normalize_removes_dot_segments_lexically() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
        assert_eq!(normalize(Path::new("/../..")), PathBuf::from("/"));
    }

    #[test]
    fn percent_decoding_of_file_urls() {
        assert_eq!(percent_decode("/a%20b/c"), "/a b/c");
        assert_eq!(percent_decode("/a%2"), "/a%2");
    }
}
