#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 600, the issue's minimum), one after the other, starting
# from the committed seeds (fuzz/seeds/<target>/) and the growing local corpus (fuzz/corpus/<target>/, not
# committed). A crash stops the run and leaves its input in fuzz/artifacts/<target>/: add it as a regression
# test. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Not run by CI.
#
#   fuzz/run-all.sh            # every target, 600 s each
#   SECONDS_EACH=60 fuzz/run-all.sh nps_xml reg
set -euo pipefail
cd "$(dirname "$0")"
each=${SECONDS_EACH:-600}
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(cargo +nightly fuzz list)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    echo "== $t ($each s)"
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$each" -rss_limit_mb=4096 -timeout=30 2>&1 |
        grep -E '^(Done|#[0-9]+ *DONE)|SUMMARY|panicked|ERROR' || true
done
