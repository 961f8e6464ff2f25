#!/usr/bin/env bash
# The server's scenarios with real clients nobody here wrote: curl (HTTP/1.1, h2c by
# prior knowledge, h2 over TLS) and nghttp. Starts `weir serve` with the test handler;
# exits non-zero on the first failed check.
#   usage: tests/clients/run.sh [path/to/weir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
weir=${1:-$here/../../target/debug/weir}
handler=$here/../js/server/handler.mjs
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
check() { local what=$1 got=$2 want=$3; [[ "$got" == "$want" ]] || fail "$what: got '$got', want '$want'"; echo "ok   $what"; }

start() { # start <name> <args...>: sets $addr
  local log=$tmp/$1.log; shift
  "$weir" serve "$handler" --listen 127.0.0.1:0 --workers "${WORKERS:-2}" "$@" >/dev/null 2>"$log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    if grep -q "listening on" "$log"; then
      addr=$(grep -o "listening on [a-z]*://[0-9.:]*" "$log" | head -1 | sed 's/.*:\/\///')
      return
    fi
    sleep 0.1
  done
  cat "$log" >&2; fail "weir serve did not start"
}

start plain --header-timeout-ms 1000; plain=$addr
start tls --tls-self-signed; tls=$addr

# HTTP/1.1
check "curl --http1.1 status" "$(curl -s --http1.1 -o /dev/null -w '%{http_code} %{http_version}' "http://$plain/hello")" "200 1.1"
check "curl --http1.1 body" "$(curl -s --http1.1 "http://$plain/hello")" "hello world"
head -c 3000000 /dev/urandom > "$tmp/up.bin"
check "curl --http1.1 streamed upload echoed (sha256)" \
  "$(curl -s --http1.1 -X POST --data-binary @"$tmp/up.bin" "http://$plain/echo" | sha256sum | cut -d' ' -f1)" \
  "$(sha256sum < "$tmp/up.bin" | cut -d' ' -f1)"
check "curl --http1.1 100-continue upload" \
  "$(curl -s --http1.1 -H 'Expect: 100-continue' -X POST --data-binary @"$tmp/up.bin" "http://$plain/count")" "3000000"
check "curl --http1.1 50 MiB download (sha256)" \
  "$(curl -s --http1.1 "http://$plain/stream?bytes=52428800" | sha256sum | cut -d' ' -f1)" \
  "$(head -c 52428800 /dev/zero | tr '\0' 'w' | sha256sum | cut -d' ' -f1)"
check "curl --http1.1 handler throws -> 500" "$(curl -s -o /dev/null -w '%{http_code}' "http://$plain/throw")" "500"
set +e
curl -s --http1.1 "http://$plain/fail-after-head" -o /dev/null; code=$?
set -e
[[ $code -ne 0 ]] || fail "curl --http1.1 must see an error when the handler fails after the head"; echo "ok   curl --http1.1 failure after head is an error (curl exit $code)"
check "curl 431 for a huge header" "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 70000 /dev/zero | tr '\0' 'a')" "http://$plain/hello")" "431"

# h2c by prior knowledge
check "curl --http2-prior-knowledge" "$(curl -s --http2-prior-knowledge -o /dev/null -w '%{http_code} %{http_version}' "http://$plain/hello")" "200 2"
check "curl --http2-prior-knowledge upload echoed" \
  "$(curl -s --http2-prior-knowledge -X POST --data-binary @"$tmp/up.bin" "http://$plain/echo" | sha256sum | cut -d' ' -f1)" \
  "$(sha256sum < "$tmp/up.bin" | cut -d' ' -f1)"
set +e
curl -s --http2-prior-knowledge "http://$plain/fail-after-head" -o /dev/null; code=$?
set -e
[[ $code -ne 0 ]] || fail "curl --http2-prior-knowledge must see a reset"; echo "ok   curl h2c failure after head resets the stream (curl exit $code)"

# h2 over TLS by ALPN
check "curl --http2 -k https" "$(curl -sk --http2 -o /dev/null -w '%{http_code} %{http_version}' "https://$tls/hello")" "200 2"
check "curl --http1.1 -k https" "$(curl -sk --http1.1 -o /dev/null -w '%{http_code} %{http_version}' "https://$tls/hello")" "200 1.1"
check "curl --http2 -k 20 MiB (size)" "$(curl -sk --http2 "https://$tls/stream?bytes=20971520" | wc -c | tr -d ' ')" "20971520"

# An upload answered before it was read (a refusal, a handler's 500) is read to its
# end rather than reset: curl 7.88 drops a response whose stream is reset meanwhile.
head -c 200000 /dev/urandom >"$tmp/upload.bin"
for answer in "hello 200" "throw 500"; do
  read -r path want <<<"$answer"
  for i in 1 2 3 4 5 6 7 8 9 10; do
    got=$(curl -sk --http2 --data-binary @"$tmp/upload.bin" -o /dev/null -w '%{http_code}' "https://$tls/$path") ||
      fail "curl --http2 -k upload to /$path answered unread: curl exit $? (try $i)"
    [[ $got == "$want" ]] || fail "curl --http2 -k upload to /$path: $got, want $want"
  done
  echo "ok   curl --http2 -k upload to /$path answered unread: $want, 10 of 10"
done

# A handler that answers at once and reads the upload on, as Node lets it: the rest of
# the body, sent after the response, reaches it whole (its events on /stats, asked of
# the same worker: one each).
WORKERS=1 start one; one=$addr
WORKERS=1 start onetls --tls-self-signed; onetls=$addr
head -c 300000 /dev/urandom >"$tmp/later.bin"
for client in "plain --http1.1 http://$one" "h2c --http2-prior-knowledge http://$one" \
    "tls-h1 --http1.1 https://$onetls" "tls-h2 --http2 https://$onetls"; do
  read -r tag flag base <<<"$client"
  got=$(curl -sk "$flag" --limit-rate 1M --data-binary @"$tmp/later.bin" "$base/respond-then-read?tag=$tag") ||
    fail "curl $flag upload read on after the response: exit $?"
  [[ $got == ok ]] || fail "curl $flag upload read on after the response: answered '$got'"
  seen=
  for _ in $(seq 1 40); do
    seen=$(curl -sk "$base/stats" | python3 -c "import json, sys; print(json.load(sys.stdin)['reqEvents'].get('$tag'))")
    [[ $seen == "['data', 'end 300000', 'close']" ]] && break
    sleep 0.05
  done
  check "curl $flag ${base%%:*}: an upload read on after its response reaches the handler whole" "$seen" "['data', 'end 300000', 'close']"
done

# nghttp
out=$(nghttp -v "http://$plain/hello" 2>&1)
grep -q ":status: 200" <<<"$out" || fail "nghttp h2c: $out"
grep -q "hello world" <<<"$out" || fail "nghttp h2c body"
echo "ok   nghttp -v h2c"
out=$(nghttp -nv "https://$tls/stream?bytes=1000000" 2>&1)
grep -q ":status: 200" <<<"$out" || fail "nghttp h2 over TLS: $out"
grep -q "END_STREAM" <<<"$out" || fail "nghttp h2 over TLS did not end the stream"
echo "ok   nghttp -v h2 over TLS"
out=$(nghttp -n -m 50 "http://$plain/stream?bytes=100000" 2>&1) || fail "nghttp 50 streams: $out"
echo "ok   nghttp 50 requests on one connection"
out=$(nghttp -nv "http://$plain/fail-after-head" 2>&1 || true)
grep -q "recv RST_STREAM frame" <<<"$out" ||
  fail "nghttp: a failure after the head must reset the stream: $out"
echo "ok   nghttp -v failure after the head: RST_STREAM"
# A head that never ends is cut after --header-timeout-ms (1000 here): the server
# closes the connection, which ends the read.
exec 3<>"/dev/tcp/${plain%:*}/${plain##*:}"
printf 'GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&3
started=$(date +%s%N)
timeout 5 cat <&3 >/dev/null || true
exec 3<&-
took=$(( ($(date +%s%N) - started) / 1000000 ))
(( took < 4000 )) || fail "a head that never ends held the connection for $took ms"
echo "ok   a head that never ends is cut after ${took} ms"

# Graceful shutdown with a request in flight.
curl -s "http://$plain/slow?ms=800" > "$tmp/slow.out" &
cpid=$!
sleep 0.3
kill -TERM "${pids[0]}"
wait "$cpid"
check "SIGTERM lets the in-flight request finish" "$(cat "$tmp/slow.out")" "slow done"
set +e
wait "${pids[0]}"; status=$?
set -e
check "weir serve exits 0 after SIGTERM" "$status" "0"
echo "all client checks passed"
