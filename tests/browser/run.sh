#!/usr/bin/env bash
# Real-browser playback and seeking against a server of the committed media samples.
#   usage: tests/browser/run.sh weir [path/to/weir]   weir serve --root <samples + video.html>
#          tests/browser/run.sh nginx                 Debian's nginx on the same folder (reference)
# Serves a temporary copy of media-samples/ with video.html beside it on 127.0.0.1, runs
# video_seek.mjs for each sample below, and ends with an 'N passed, N failed' line; exits 1 if
# any failed. Needs: chromium, node + npm (playwright-core is installed here on first use),
# nginx for the nginx mode.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mode=${1:-weir}
read -r -a SOURCES <<< "${SOURCES:-/video/sample.mp4 /video/sample.webm /audio/sample.mp3 /audio/sample.opus}"

tmp=$(mktemp -d)
chmod 755 "$tmp"  # nginx workers run as nobody when started by root
pid=
cleanup() { [[ -n $pid ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

[[ -x ${CHROMIUM:-/usr/bin/chromium} ]] || fail "no ${CHROMIUM:-/usr/bin/chromium} (Debian: apt-get install chromium)"
if [[ ! -d $here/node_modules/playwright-core ]]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error)
fi

root=$tmp/root
mkdir -p "$root"
cp -r "$repo"/media-samples/{video,audio,fmp4,hls,index.html} "$root"/
cp "$here/video.html" "$root/"

case $mode in
  weir)
    weir=${2:-$repo/target/debug/weir}
    [[ -x $weir ]] || fail "no weir binary at $weir"
    "$weir" serve --root "$root" --listen 127.0.0.1:0 --workers 1 >/dev/null 2>"$tmp/server.log" &
    pid=$!
    addr=
    for _ in $(seq 1 100); do
      addr=$(grep -o 'listening on http://[0-9.:]*' "$tmp/server.log" | head -1 | sed 's|.*http://||') || true
      [[ -n $addr ]] && break
      sleep 0.1
    done
    [[ -n $addr ]] || { cat "$tmp/server.log" >&2; fail "weir serve did not start"; }
    ;;
  nginx)
    command -v nginx >/dev/null || fail "nginx not found (Debian: apt-get install nginx)"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat > "$tmp/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/server.log;
events { worker_connections 64; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi;
  scgi_temp_path $tmp/scgi;
  server { listen 127.0.0.1:$port; root $root; }
}
EOF
    nginx -c "$tmp/nginx.conf" -e "$tmp/server.log" &
    pid=$!
    addr=127.0.0.1:$port
    for _ in $(seq 1 100); do
      curl -s -o /dev/null "http://$addr/video.html" && break
      sleep 0.1
    done
    ;;
  *) fail "unknown mode '$mode' (weir or nginx)" ;;
esac

echo "serving $root at http://$addr ($mode)"
passed=0 failed=0
for src in "${SOURCES[@]}"; do
  if node "$here/video_seek.mjs" "http://$addr/video.html?src=$src" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
((failed == 0))
