//! The yardstick of `benches/scale.sh`: reads and parses every `.json` file under the folders given with
//! `serde_json::from_slice::<Value>`, in parallel (rayon) as the scanner does, and prints the files, bytes and
//! seconds. UTF-16 files (host evidence written by Windows PowerShell) are decoded first, as the scanner does.
//!
//! ```sh
//! cargo run --release --example bare_parse -- /tmp/gen/az5000
//! ```

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

/// UTF-16 is decoded with the scanner's own decoder; UTF-8 is parsed in place, as a bare parse would.
fn parse(bytes: &[u8]) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Ok(serde_json::from_str(&rdsaudit::source::decode(bytes)?)?);
    }
    Ok(serde_json::from_slice(
        bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes),
    )?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let files: Vec<PathBuf> = std::env::args()
        .skip(1)
        .flat_map(walkdir::WalkDir::new)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "json"))
        .map(walkdir::DirEntry::into_path)
        .collect();
    let bytes = files
        .par_iter()
        .map(|path| {
            let bytes = std::fs::read(path)?;
            parse(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(bytes.len())
        })
        .collect::<Result<Vec<usize>, Box<dyn std::error::Error + Send + Sync>>>()
        .map_err(|e| e as Box<dyn std::error::Error>)?;
    let total: usize = bytes.iter().sum();
    let seconds = start.elapsed().as_secs_f64();
    println!("{} files, {total} bytes, {seconds:.3} s", files.len());
    Ok(())
}
