//! Expand the command-line paths into the list of files to read, in a stable order.

use std::path::{Path, PathBuf};

use crate::error::{Error, InputError};
use crate::source::display_path;

pub struct File {
    pub path: PathBuf,
    /// Named on the command line rather than found in a folder.
    pub named: bool,
}

#[derive(Default)]
pub struct Walked {
    pub files: Vec<File>,
    pub warnings: Vec<String>,
}

/// Named files are kept as given; folders are walked (following symlinks, skipping loops, non-regular
/// files and `.git`), sorted by path. A file reached twice is read once.
pub fn collect(paths: &[PathBuf]) -> Result<Walked, Error> {
    let mut out = Walked::default();
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk_dir(path, &mut out, &mut errors),
            Ok(m) if m.is_file() => out.files.push(File {
                path: path.clone(),
                named: true,
            }),
            Ok(_) => errors.push(InputError::new(&display_path(path), "not a regular file or folder")),
            Err(e) => errors.push(InputError::new(&display_path(path), format!("cannot read: {e}"))),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Input(errors));
    }
    let mut seen = std::collections::HashSet::new();
    out.files
        .retain(|f| seen.insert(std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone())));
    Ok(out)
}

fn walk_dir(root: &Path, out: &mut Walked, errors: &mut Vec<InputError>) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_file() => out.files.push(File {
                path: e.into_path(),
                named: false,
            }),
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) => out
                .warnings
                .push(format!("{}: skipped: not a regular file", display_path(e.path()))),
            Err(e) if e.loop_ancestor().is_some() => {
                let at = e.path().map(display_path).unwrap_or_default();
                out.warnings.push(format!("{at}: skipped: symbolic link loop"));
            }
            // A link whose target is gone, met while walking (named on the command line it is an error).
            Err(e) if e.path().is_some_and(is_dangling_link) => {
                let at = e.path().map(display_path).unwrap_or_default();
                out.warnings.push(format!("{at}: skipped: dangling symbolic link"));
            }
            Err(e) => {
                let at = e.path().map(display_path).unwrap_or_else(|| display_path(root));
                let cause = e.io_error().map(ToString::to_string).unwrap_or_else(|| e.to_string());
                errors.push(InputError::new(&at, format!("cannot read: {cause}")));
            }
        }
    }
}

fn is_dangling_link(path: &Path) -> bool {
    path.symlink_metadata().is_ok_and(|m| m.file_type().is_symlink()) && std::fs::metadata(path).is_err()
}
