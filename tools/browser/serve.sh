# Sourced by run.sh and bench_line.sh: start_server YIELDLINE WORKSPACE OUTDIR starts
# `yieldline serve` on 127.0.0.1:0 over WORKSPACE, sets `url` and `serve_pid`, and stops
# the server when the calling script exits.
start_server() {
  local yl="$1" ws="$2" out="$3"
  # Made before the server starts: the background job opens it only when it runs.
  : >"$out/serve.out"
  "$yl" serve --listen 127.0.0.1:0 -w "$ws" >"$out/serve.out" 2>"$out/serve.err" &
  serve_pid=$!
  trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; ${on_exit:-true}' EXIT
  url=""
  for _ in $(seq 200); do
    url="$(sed -n 's/^listening on //p' "$out/serve.out")"
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  cat "$out/serve.err" >&2
  return 1
}
