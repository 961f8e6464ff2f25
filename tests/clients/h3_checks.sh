#!/usr/bin/env bash
# weir serve over HTTP/3, checked with tests/clients/h3.py (aioquic): starts
# `weir serve` with the test handler and a self-signed certificate, then checks over QUIC
# on the same port number: GET and HEAD /hello, a 1 GiB download by SHA-256, 100
# concurrent requests on one connection, a streamed POST echoed back, `103 Early Hints`
# before a response, a stream reset when the handler fails after the head, frames a
# misbehaving client writes (tests/clients/h3_frames.py); and, over
# TCP, that HTTP/2 responses advertise HTTP/3 with alt-svc. Runs every check, then
# exits non-zero if any failed.
#   usage: WEIR=path/to/weir tests/clients/h3_checks.sh     (or: h3_checks.sh path/to/weir)
#   H3_BIG_BYTES=N makes the big download N bytes instead of 1 GiB (for quick local runs).
#   needs: python3 with `pip install -r tests/clients/requirements.txt`, curl
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weir=${1:-${WEIR:-$here/../../target/debug/weir}}
python=${PYTHON:-python3}
handler=$here/../js/server/handler.mjs
client=$here/h3.py
tmp=$(mktemp -d)
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

die() { echo "FAIL: $*" >&2; exit 1; }
[[ -x $weir ]] || die "no weir binary at '$weir' (set WEIR)"
"$python" -c 'import aioquic' 2>/dev/null || die "$python cannot import aioquic: pip install -r $here/requirements.txt"
command -v curl >/dev/null || die "curl is needed"

passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
not_ok() { echo "FAIL $1" >&2; sed 's/^/     | /' "$2" >&2; failed=$((failed + 1)); }
# h3 <description> <h3.py arguments...>: one check; its output is shown when it fails.
h3() {
  local what=$1; shift
  if "$python" "$client" "$@" >"$tmp/out" 2>&1; then
    ok "$what"
    grep -E '^(body:|ok:|[0-9]+ requests)' "$tmp/out" | sed 's/^/     /'
  else
    not_ok "$what (h3.py exit $?)" "$tmp/out"
  fi
}

# Start weir; the TLS listener's line gives the port, which HTTP/3 shares over UDP.
"$weir" serve "$handler" --listen 127.0.0.1:0 --workers 2 --tls-self-signed >/dev/null 2>"$tmp/weir.log" &
pid=$!
port=
for _ in $(seq 1 100); do
  port=$(grep -o 'weir listening on https://127\.0\.0\.1:[0-9]*' "$tmp/weir.log" | head -1 | sed 's/.*://')
  [[ -n $port ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || { cat "$tmp/weir.log" >&2; die "weir serve did not start (no 'weir listening on https://127.0.0.1:PORT' line)"; }
base=https://127.0.0.1:$port
echo "weir serve on $base (TCP) and UDP port $port"
k=--insecure  # --tls-self-signed

h3 "h3 GET /hello" get "$base/hello" $k \
  --expect-status 200 --expect-body $'hello world\n' --expect-header 'content-type: text/plain; charset=utf-8'

h3 "h3 HEAD /hello" get "$base/hello" $k --head \
  --expect-status 200 --expect-bytes 0 --expect-header 'content-type: text/plain; charset=utf-8'

big=${H3_BIG_BYTES:-1073741824}
want=$(head -c "$big" /dev/zero | tr '\0' w | sha256sum | cut -d' ' -f1)
h3 "h3 GET /stream $big bytes of 'w' (sha256)" get "$base/stream?bytes=$big" $k --sha256 --timeout 60 --max-time 1800 \
  --expect-status 200 --expect-header "content-length: $big" --expect-bytes "$big" --expect-sha256 "$want"

h3 "h3 100 concurrent GET /hello on one connection" many "$base/hello" $k --count 100 \
  --expect-status 200 --expect-body $'hello world\n'

head -c 4000000 /dev/urandom >"$tmp/up.bin"
h3 "h3 POST /echo 4 MB streamed back (sha256)" get "$base/echo" $k --data-file "$tmp/up.bin" --sha256 \
  --expect-status 200 --expect-bytes 4000000 --expect-sha256 "$(sha256sum <"$tmp/up.bin" | cut -d' ' -f1)"

# res.writeEarlyHints: aioquic reports the 103 as an interim head before the 200.
h3 "h3 GET /early-hints -> 103 then 200" get "$base/early-hints" $k \
  --expect-status 200 --expect-body '{"sent":true,"threw":"ERR_INVALID_ARG_VALUE","after":false}'
if grep -qx 'HTTP/3 103 (interim)' "$tmp/out" \
  && [[ $(grep -n 'HTTP/3 103 (interim)' "$tmp/out" | cut -d: -f1) -lt $(grep -n '^HTTP/3 200$' "$tmp/out" | cut -d: -f1) ]]; then
  ok "h3 the 103 came before the 200"
else
  not_ok "h3 the 103 came before the 200" "$tmp/out"
fi

h3 "h3 handler fails after the head -> stream reset" get "$base/fail-after-head" $k --expect-reset --expect-status 200

# Frames a misbehaving client writes (tests/clients/h3_frames.py, hand-built).
frames() {
  local what=$1; shift
  if "$python" "$here/h3_frames.py" "$@" --port "$port" --pid "$pid" >"$tmp/out" 2>&1; then
    ok "$what"
    sed 's/^/     /' "$tmp/out"
  else
    not_ok "$what (h3_frames.py exit $?)" "$tmp/out"
  fi
}
frames "h3 a HEADERS frame announcing 1 GiB is stopped at its header, RSS flat" huge-headers
frames "h3 an empty DATA frame inside a body is no end of it" empty-data
frames "h3 responses in flight when the client sends GOAWAY arrive whole" goaway
frames "h3 a body answered (or refused) before its end is stopped with H3_NO_ERROR" early-answer
frames "h3 a body the handler reads on after its response reaches it to its end" read-on

# HTTP/2 over TLS (TCP) advertises HTTP/3 on the same port.
want_alt="alt-svc: h3=\":$port\"; ma=86400"
if curl --http2 -sk -I "$base/hello" >"$tmp/out" 2>&1 \
  && tr -d '\r' <"$tmp/out" | grep -qi '^HTTP/2 200' \
  && tr -d '\r' <"$tmp/out" | grep -qixF "$want_alt"; then
  ok "curl --http2 -I shows $want_alt"
else
  not_ok "curl --http2 -I must show '$want_alt'" "$tmp/out"
fi

if ((failed)); then
  echo "--- weir serve's stderr" >&2
  tail -n 50 "$tmp/weir.log" >&2
fi
kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
pid=
echo "h3: $passed passed, $failed failed"
((failed == 0))
