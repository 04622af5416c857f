//! Artifact URIs for SARIF: a file below the base folder (`--base-dir`, the repository root) is a relative
//! URI resolved against `%SRCROOT%`, which GitHub and Azure DevOps map to the checkout; any other file is
//! an absolute `file:` URI. Paths are normalised first (no `.` or `..`), so that `../repo/x.json` and
//! `x.json` name one artifact.

use std::path::{Component, Path, PathBuf};

/// The `uriBaseId` of files below the base folder.
pub const SRCROOT: &str = "%SRCROOT%";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactUri {
    pub uri: String,
    /// `%SRCROOT%` when `uri` is relative to the base folder.
    pub base_id: Option<&'static str>,
}

/// The base folder, absolute and normalised: the one given, else the current directory.
pub fn base_dir(given: Option<&Path>) -> PathBuf {
    let dir = given.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    absolute(&dir)
}

/// Where a file is, as a SARIF artifact location.
pub fn locate(path: &Path, base: &Path) -> ArtifactUri {
    let absolute = absolute(path);
    match absolute.strip_prefix(base) {
        Ok(rel) if !rel.as_os_str().is_empty() => ArtifactUri {
            uri: percent_encode(&slashes(rel), false),
            base_id: Some(SRCROOT),
        },
        _ => ArtifactUri {
            uri: file_uri(&absolute, false),
            base_id: None,
        },
    }
}

/// `file:///abs/path`, with a trailing slash for a folder (SARIF requires one on a base URI).
pub fn file_uri(path: &Path, folder: bool) -> String {
    let path = slashes(path);
    // canonicalize gives Windows paths the verbatim prefix `\\?\`, which has no place in a URI.
    let path = path.strip_prefix("//?/").unwrap_or(&path);
    // Windows paths (`C:/x`) need the third slash of `file:///C:/x`.
    let slash = if path.starts_with('/') { "" } else { "/" };
    let trailing = if folder && !path.ends_with('/') { "/" } else { "" };
    format!("file://{slash}{}{trailing}", percent_encode(path, true))
}

/// The path made absolute (against the current directory), links resolved when it exists, `.` and `..`
/// removed.
fn absolute(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let joined = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    normalise(&joined)
}

/// `.` and `..` removed lexically (for a path that does not exist, so cannot be canonicalised).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn slashes(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// Percent-encode a path for a URI. A colon is kept only in absolute paths (drive letters): in a relative
/// reference, `a:b` would read as a scheme.
pub fn percent_encode(path: &str, keep_colon: bool) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            b':' if keep_colon => out.push(':'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_below_the_base_are_relative_to_srcroot() {
        let base = Path::new("/repo");
        let got = locate(Path::new("/repo/inv/nsgs.json"), base);
        assert_eq!(got.uri, "inv/nsgs.json");
        assert_eq!(got.base_id, Some(SRCROOT));
        assert_eq!(
            locate(Path::new("/repo/my dir/a:b#1.json"), base).uri,
            "my%20dir/a%3Ab%231.json"
        );
    }

    #[test]
    fn dot_dot_is_normalised_away() {
        let base = Path::new("/repo");
        assert_eq!(locate(Path::new("/repo/x/../inv/./a.json"), base).uri, "inv/a.json");
        let outside = locate(Path::new("/repo/../elsewhere/a b.json"), base);
        assert_eq!(outside.uri, "file:///elsewhere/a%20b.json");
        assert_eq!(outside.base_id, None);
    }

    #[test]
    fn a_sibling_folder_sharing_a_prefix_is_outside() {
        let got = locate(Path::new("/repo-other/a.json"), Path::new("/repo"));
        assert_eq!((got.uri.as_str(), got.base_id), ("file:///repo-other/a.json", None));
    }

    #[test]
    fn relative_paths_resolve_against_the_current_directory() {
        let cwd = base_dir(None);
        assert_eq!(locate(Path::new("inv/nsgs.json"), &cwd).uri, "inv/nsgs.json");
        assert!(locate(Path::new("../up.json"), &cwd).uri.starts_with("file:///"));
    }

    #[test]
    fn base_uris_end_with_a_slash() {
        assert_eq!(file_uri(Path::new("/repo"), true), "file:///repo/");
        assert_eq!(file_uri(Path::new("/"), true), "file:///");
    }
}
