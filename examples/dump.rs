fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let env = rdsaudit::ingest::load(&paths, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    let eval = rdsaudit::engine::evaluate(&env, &Default::default(), "2026-01-01");
    for f in &eval.findings {
        println!("{} {} | {}", f.rule.id, f.subject.id, f.message);
        for e in &f.evidence {
            println!("    {}: {}", e.label, e.value);
        }
    }
    for n in &eval.not_evaluated {
        println!("NE {} {} | {}", n.rule.id, n.subject.id, n.reason);
    }
    for w in &env.warnings {
        println!("W {w}");
    }
    println!("score {:?}", eval.scores.environment);
}
