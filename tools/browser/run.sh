#!/usr/bin/env bash
# Runs the dashboard's browser suite (tools/browser/test_dashboard.py) in headless
# Chromium against a real `yieldline serve` on 127.0.0.1 over a demo workspace.
# Builds nothing: give the yieldline binary. Needs Debian's chromium + chromium-driver
# and a Python with selenium and pytest (PYTHON, default python3).
# Usage: tools/browser/run.sh target/debug/yieldline [pytest args…]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 PATH/TO/yieldline [pytest args…]" >&2; exit 2; }
yl="$(realpath "$1")"
shift
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
ws="$work/demo"
mkdir -p "$ws"
"$yl" -w "$ws" demo >/dev/null
for role in viewer analyst admin; do
  "$yl" token create -w "$ws" --role "$role" --name "browser-$role" --by browser-suite >"$work/$role.token"
done
on_exit="rm -rf $work"
. "$here/serve.sh"
start_server "$yl" "$ws" "$work"
export YL_URL="$url" YL_WS="demo" YL_DIR="$ws"
YL_VIEWER="$(cat "$work/viewer.token")"
YL_ANALYST="$(cat "$work/analyst.token")"
YL_ADMIN="$(cat "$work/admin.token")"
export YL_VIEWER YL_ANALYST YL_ADMIN
mkdir -p "$here/screenshots"
(cd "$here" && "$python" -m pytest -q -p no:cacheprovider test_dashboard.py "$@")
