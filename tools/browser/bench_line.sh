#!/usr/bin/env bash
# Benchmark (not a test): the dashboard's Line page on a 1 M-event workspace, in headless
# Chromium. Makes the workspace with yieldline-bench (its generated log, imported through
# the real CLI), serves it, and prints Navigation Timing (domInteractive, loadEventEnd)
# and the bytes transferred (page + scripts + styles), cold (first computation) and warm
# (the server's cache), next to the peer: the same report from GET …/report (JSON).
# Usage: tools/browser/bench_line.sh target/release/yieldline target/release/yieldline-bench [EVENTS]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 YIELDLINE YIELDLINE_BENCH [EVENTS]" >&2; exit 2; }
yl="$(realpath "$1")"
bench="$(realpath "$2")"
events="${3:-1000000}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
out="${BENCH_OUT:-$(pwd)/bench-out/dashboard}"
mkdir -p "$out"
"$bench" --events "$events" --no-peers --out "$out" --yieldline "$yl" >"$out/bench.log" 2>&1
ws="$out/yieldline-ws"
token="$("$yl" token create -w "$ws" --role viewer --name "dash-bench-$$" --by bench 2>/dev/null)"
. "$here/serve.sh"
start_server "$yl" "$ws" "$out"
"$python" "$here/bench_line.py" "$url" "$token" "$(basename "$ws")" "$events"
"$yl" token revoke -w "$ws" "dash-bench-$$" >/dev/null 2>&1 || true
