//! End to end through the library as `rdsaudit scan DIR --format json` runs it (load, evaluate, positions,
//! JSON report) on a generated environment, next to its yardstick in the same group: reading and parsing the
//! same files into `serde_json::Value`, in parallel as the scanner does.

#[path = "../examples/generate/environment.rs"]
mod environment;
#[path = "../examples/generate/resources.rs"]
mod resources;

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};
use rayon::prelude::*;
use rdsaudit::config::Config;
use rdsaudit::engine::evaluate;
use rdsaudit::ingest::{load, Options};
use rdsaudit::report::positions::Positions;
use rdsaudit::report::{render, Context, Format};
use serde_json::Value;

const STACKS: [usize; 2] = [100, 400];

fn scan(dir: &Path) -> String {
    let mut env = load(&[dir.to_path_buf()], &Options::default()).expect("the generated environment loads");
    let eval = evaluate(&mut env, &Config::default(), "2026-01-01");
    let positions = Positions::resolve(&env, &eval);
    let gate = rdsaudit::gate::Gate::judge(&eval, None, rdsaudit::gate::DEFAULT_FAIL_ON, None);
    let options = rdsaudit::report::Options::default();
    let ctx = Context {
        env: &env,
        eval: &eval,
        positions: &positions,
        color: false,
        gate: &gate,
        comparison: None,
        options: &options,
    };
    render(Format::Json, &ctx)
}

fn bare_parse(files: &[PathBuf]) -> Vec<Value> {
    let parse = |f: &PathBuf| serde_json::from_slice(&std::fs::read(f).expect("readable")).expect("JSON");
    files.par_iter().map(parse).collect()
}

fn families(c: &mut Criterion) {
    for family in ["az-cli", "resource-graph"] {
        let mut group = c.benchmark_group(format!("scan/{family}"));
        group.sample_size(10).sampling_mode(SamplingMode::Flat);
        for stacks in STACKS {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let kind = environment::Family::from_name(family).expect("a family");
            environment::write(kind, stacks, dir.path()).expect("the environment is written");
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir.path())
                .expect("the directory")
                .map(|e| e.expect("an entry").path())
                .collect();
            files.sort();
            let bytes = files.iter().map(|f| f.metadata().expect("metadata").len()).sum();
            group.throughput(Throughput::Bytes(bytes));
            group.bench_function(BenchmarkId::new("rdsaudit", stacks), |b| b.iter(|| scan(dir.path())));
            group.bench_function(BenchmarkId::new("serde_json::Value", stacks), |b| {
                b.iter(|| bare_parse(&files))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, families);
criterion_main!(benches);
