//! Mapping a URL path to a file under a root, and refusing everything that could leave
//! it: `..` segments (also percent-encoded, also double-encoded), backslashes, NUL,
//! and symbolic links that point outside. Lexical checks are pure; the final check
//! canonicalizes both paths, so a symlink escape is caught too.

use std::path::{Path, PathBuf};

#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// Not a path weir will map to a file (bad encoding, NUL, backslash, `..`).
    Forbidden,
    /// No such file under the root.
    NotFound,
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The relative file path a URL path names, checked lexically. The query string must
/// already be removed.
pub fn relative_path(url_path: &str) -> Result<PathBuf, PathError> {
    let decoded = percent_decode(url_path).ok_or(PathError::Forbidden)?;
    let decoded = String::from_utf8(decoded).map_err(|_| PathError::Forbidden)?;
    // A `%` that still decodes after one round is a double encoding (`%252e%252e`).
    let double_encoded =
        decoded.contains('%') && percent_decode(&decoded).is_some_and(|d| d != decoded.as_bytes());
    if decoded.contains('\0') || decoded.contains('\\') || double_encoded {
        return Err(PathError::Forbidden);
    }
    let mut out = PathBuf::new();
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return Err(PathError::Forbidden),
            s => out.push(s),
        }
    }
    Ok(out)
}

/// The file under `root` that `url_path` names. `root` must be canonical.
pub fn resolve(root: &Path, url_path: &str) -> Result<PathBuf, PathError> {
    let rel = relative_path(url_path)?;
    let candidate = root.join(rel);
    let real = std::fs::canonicalize(&candidate).map_err(|_| PathError::NotFound)?;
    if !real.starts_with(root) {
        return Err(PathError::Forbidden);
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paths_map_under_the_root() {
        assert_eq!(
            relative_path("/video/a.mp4").unwrap(),
            PathBuf::from("video/a.mp4")
        );
        assert_eq!(
            relative_path("/a%20b.mp4").unwrap(),
            PathBuf::from("a b.mp4")
        );
        assert_eq!(relative_path("//x/./y").unwrap(), PathBuf::from("x/y"));
    }

    #[test]
    fn traversal_in_every_spelling_is_refused() {
        for p in [
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2E%2Fetc%2Fpasswd",
            "/%252e%252e/etc/passwd",
            "/..%5cetc%5cpasswd",
            "/a\\..\\b",
            "/a%00.mp4",
            "/bad%zz",
            "/%c0%ae%c0%ae/etc",
        ] {
            assert_eq!(relative_path(p), Err(PathError::Forbidden), "{p}");
        }
    }

    #[test]
    fn symlinks_out_of_the_root_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
        std::fs::write(root.join("ok.txt"), "ok").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("link.txt")).unwrap();
        let root = std::fs::canonicalize(&root).unwrap();
        assert!(resolve(&root, "/ok.txt").is_ok());
        assert_eq!(resolve(&root, "/link.txt"), Err(PathError::Forbidden));
        assert_eq!(resolve(&root, "/missing.txt"), Err(PathError::NotFound));
    }
}
