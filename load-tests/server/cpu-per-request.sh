#!/usr/bin/env bash
# One server on CPU 0, wrk on CPU 1: requests per second, the server's user and
# system CPU time per request (from /proc/PID/stat), and wrk's (user + system, from
# getrusage): a client near 1 s of CPU per second is the bound of the run.
#
# usage: load-tests/server/cpu-per-request.sh weir|node|bun|deno PATH [SECONDS]
#   WEIR=path/to/weir (default target/release/weir), BUN=..., DENO=... (default: on
#   PATH, else /tmp/peers/node_modules/.bin/), WRKX="-s browser-fields.lua" adds wrk
#   options (WRKX="-s post.lua" with PATH /upload: POSTs of 1 KiB), PORT (default
#   18090).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=$1 path=$2 secs=${3:-4} port=${PORT:-18090}
weir=${WEIR:-$here/../../target/release/weir}
bun=${BUN:-$(command -v bun || echo /tmp/peers/node_modules/.bin/bun)}
deno=${DENO:-$(command -v deno || echo /tmp/peers/node_modules/.bin/deno)}
cd "$here"
case $name in
  weir) cmd=("$weir" serve weir-handler.mjs --listen "127.0.0.1:$port" --workers 1 --log warn) ;;
  node) cmd=(node node-server.js "$port" h1) ;;
  bun) cmd=("$bun" bun-server.js "$port") ;;
  deno) cmd=("$deno" run -A deno-server.js "$port") ;;
  *) echo "unknown server: $name" >&2; exit 2 ;;
esac
taskset -c 0 "${cmd[@]}" >/dev/null 2>&1 &
pid=$!
trap 'kill -9 $pid 2>/dev/null' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
# shellcheck disable=SC2086
taskset -c 1 wrk -t1 -c64 -d1s ${WRKX:-} "http://127.0.0.1:$port$path" >/dev/null
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
# shellcheck disable=SC2086
out=$(python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True, check=True)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(r.stdout)
print("client-cpu", u.ru_utime + u.ru_stime)
' taskset -c 1 wrk -t1 -c64 -d"${secs}s" ${WRKX:-} "http://127.0.0.1:$port$path")
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
client=$(awk '/^client-cpu/ {print $2}' <<<"$out")
python3 -c "
hz, r = $(getconf CLK_TCK), $reqs
print('$name $path req/s=$rps user_us=%.2f sys_us=%.2f wrk_us=%.2f wrk_cpu=%.0f%%' % (
    ($u1-$u0)/hz*1e6/r, ($s1-$s0)/hz*1e6/r, $client*1e6/r, $client*100/$secs))"
