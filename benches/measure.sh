# Shared by benches/scale.sh and benches/checkov.sh (sourced, not run): building the release binaries and
# measuring a command's wall time and peak RSS with GNU time, the median of $RUNS runs.

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
BIN=$CARGO_TARGET_DIR/release
RUNS=${RUNS:-3}
WORK=${WORK:-${TMPDIR:-/tmp}/rdsaudit-bench}
mkdir -p "$WORK"

build() {
    cargo build --release --locked --bin rdsaudit --example generate --example bare_parse >&2
}

# generate FAMILY STACKS DIR: a fresh generated environment.
generate() {
    rm -rf "$3"
    "$BIN/examples/generate" --family "$1" --stacks "$2" --out "$3"
}

# measure COMMAND...: prints "SECONDS KILOBYTES", the medians of $RUNS runs. Exit status 1 counts as success
# (rdsaudit's and Checkov's "findings" status); anything above stops the script with the command's stderr.
# Call it as `x=$(measure ...)` so that a failure stops the caller too (set -e).
measure() {
    local r status
    : >"$WORK/times"
    for ((r = 0; r < RUNS; r++)); do
        status=0
        /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || status=$?
        if ((status > 1)); then
            echo "exit status $status: $*" >&2
            tail -n 20 "$WORK/stderr" >&2
            exit 1
        fi
        tail -n 1 "$WORK/time" >>"$WORK/times" # GNU time writes "Command exited with non-zero status 1" first
    done
    echo "$(median 1) $(median 2)"
}

# median COLUMN of $WORK/times.
median() {
    cut -d' ' -f"$1" "$WORK/times" | sort -g | sed -n "$(((RUNS + 1) / 2))p"
}

# bytes PATH: the apparent size of a file or folder.
bytes() {
    du -s -b "$1" | cut -f1
}

# mb BYTES, or KILOBYTES with a "k" suffix: mebibytes, one decimal.
mb() {
    case $1 in
    *k) awk -v k="${1%k}" 'BEGIN { printf "%.1f MiB", k / 1024 }' ;;
    *) awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }' ;;
    esac
}
