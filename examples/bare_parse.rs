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

fn parse(bytes: &[u8]) -> serde_json::Result<Value> {
    match bytes.strip_prefix(&[0xFF, 0xFE]) {
        Some(utf16) => {
            let units: Vec<u16> = utf16
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            serde_json::from_str(&String::from_utf16_lossy(&units))
        }
        None => serde_json::from_slice(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)),
    }
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
