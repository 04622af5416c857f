//! Where reports go: `--output` paths checked before anything is read (never an input, never a folder), and
//! each report written whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Output;
use crate::error::Error;

/// Refuse, before anything is read or written, an `--output` that is a folder, an input file, or a file
/// inside an input folder: a report must never replace the export it came from.
pub(super) fn guard_outputs(inputs: &[PathBuf], outputs: &[Output]) -> Result<(), Error> {
    let inputs: Vec<PathBuf> = inputs.iter().filter_map(|p| p.canonicalize().ok()).collect();
    for path in outputs.iter().filter_map(|o| o.path.as_deref()) {
        if path.is_dir() {
            return Err(Error::Usage(format!(
                "--output {} is a folder; name a file",
                path.display()
            )));
        }
        let Some(target) = resolved(path) else { continue };
        if let Some(input) = inputs
            .iter()
            .find(|i| target == **i || (i.is_dir() && target.starts_with(i)))
        {
            return Err(Error::Usage(format!(
                "--output {} would write into the input {}; write the report elsewhere",
                path.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

/// The absolute path a file is or would be at (its folder resolved, links followed).
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let dir = parent_dir(path).canonicalize().ok()?;
    Some(dir.join(path.file_name()?))
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Write to a temporary file beside the target, then rename: a reader never sees half a report. The file
/// gets the usual permissions (0666 less the umask), not a temporary file's 0600. A link is followed (its
/// target gets the report, the link stays), and a device or a FIFO (`--output /dev/null`, a named pipe) is
/// written straight into: renaming over it would replace `/dev/null` with a regular file for every process.
pub(super) fn write_atomically(
    path: &Path,
    document: impl Fn(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), Error> {
    let err = |source| Error::Output {
        path: path.display().to_string(),
        source,
    };
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        let device = std::fs::OpenOptions::new().write(true).open(path).map_err(err)?;
        return buffered(device, document).map_err(err);
    }
    let target = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder.tempfile_in(parent_dir(&target)).map_err(err)?;
    buffered(tmp.as_file_mut(), document).map_err(err)?;
    tmp.persist(&target).map_err(|e| err(e.error))?;
    Ok(())
}

pub(super) fn buffered(w: impl Write, document: impl Fn(&mut dyn Write) -> std::io::Result<()>) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(w);
    document(&mut w)?;
    w.flush()
}
