#!/usr/bin/env bash
# Scale (not run by CI): for each input family and N, generates the environment (examples/generate), then
# measures `rdsaudit scan DIR --format json --output /dev/null` and the bare serde_json parse of the same files
# (examples/bare_parse) in the same run: wall time and peak RSS, medians of $RUNS runs (default 3). Prints a
# markdown table. rdsaudit exits 1 because the generated environments fail the gate: expected.
#
#   benches/scale.sh                      # N = 1,000 and 5,000, every family
#   benches/scale.sh --50k                # also N = 50,000 (about 1 GB of input per family; check df -h first)
#   benches/scale.sh az-cli resource-graph
#
# Environment: RUNS (3), WORK (the folder the environments are generated in, /tmp/rdsaudit-bench).
set -euo pipefail
source "$(dirname "$0")/measure.sh"

sizes=(1000 5000)
families=()
for arg in "$@"; do
    case $arg in
    --50k) sizes+=(50000) ;;
    az-cli | resource-graph | arm-template | hosts) families+=("$arg") ;;
    *) sed -n '2,12p' "$0" >&2 && exit 2 ;;
    esac
done
((${#families[@]})) || families=(az-cli resource-graph arm-template hosts)
build

echo "| input | N | size | rdsaudit | bare parse | ratio | peak RSS | peak RSS / input | bare parse RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for family in "${families[@]}"; do
    for n in "${sizes[@]}"; do
        dir=$WORK/$family-$n
        generate "$family" "$n" "$dir"
        size=$(bytes "$dir")
        scan=$(measure "$BIN/rdsaudit" scan "$dir" --format json --output /dev/null)
        bare=$(measure "$BIN/examples/bare_parse" "$dir")
        read -r scan_s scan_kb <<<"$scan"
        read -r bare_s bare_kb <<<"$bare"
        ratio=$(awk -v a="$scan_s" -v b="$bare_s" 'BEGIN { printf (b > 0 ? "%.1fx" : "-"), a / (b > 0 ? b : 1) }')
        per_input=$(awk -v k="$scan_kb" -v b="$size" 'BEGIN { printf "%.1fx", k * 1024 / b }')
        printf '| %s | %s | %s | %s s | %s s | %s | %s | %s | %s |\n' "$family" "$n" "$(mb "$size")" "$scan_s" \
            "$bare_s" "$ratio" "$(mb "${scan_kb}k")" "$per_input" "$(mb "${bare_kb}k")"
        rm -rf "$dir"
    done
done
