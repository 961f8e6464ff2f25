#!/usr/bin/env python3
"""File-serving (VOD) benchmark: weir against nginx and Node, in the same run.

Servers, all serving the same files:
  weir           `weir serve --root DIR` (the built-in file handler);
  weir-sendfile  `weir serve weir-sendfile.mjs`: a JS handler calling `sendFile` from
                 the `weir` module (skipped, with the reason, while it does not start
                 or does not answer correctly);
  weir-nosendfile  the built-in handler with `--sendfile false`: plain HTTP/1.1 file
                 bodies read into buffers instead of sendfile(2) (not in the default
                 set; over HTTP/2 it is the same as `weir`);
  nginx          Debian's nginx, config generated per run (sendfile on, tcp_nopush on,
                 access_log off, worker_processes = the layout's workers);
  nginx-nosendfile  the same with `sendfile off` (not in the default set);
  node           node-server.js: fs.createReadStream(file).pipe(res) with a
                 single-range parser, http.createServer or http2.createServer (h2c).
With --io MODE[,MODE] each weir server is run once per mode (`--io MODE` is passed
to weir only when given here).

Cases:
  a  one connection downloading a 1 GiB file over and over for --seconds. Bytes
     are counted as they arrive (a download cut by the end of the run still counts),
     so MB/s is the transfer rate of one stream, not a count of whole downloads;
  a1m  case (a) over HTTP/1.1 with bigread.py, which reads 1 MiB per recv(): wrk
     reads 8 KiB at a time, which holds one connection near 1.2 GB/s on this class
     of machine whatever the server, so (a) with wrk measures wrk;
  b  64 connections each fetching 2 MiB segments, rotating through 64 distinct files;
  c  256 connections asking random 64 KiB ranges of the 1 GiB file (half aligned to
     64 KiB, half at any byte), each answer checked to be a 206 with 64 KiB of body.
     A server that answers a range with anything but 206 and the right bytes is
     reported as "no range support" and not loaded.
HTTP/1.1 with wrk (lua scripts files.lua and ranges.lua), HTTP/2 cleartext with
h2load (-m1: one request in flight per connection, as with wrk; browser-sized
flow-control windows, see H2_WINDOWS). h2load sends the same headers with every
request, so case (c) over HTTP/2 runs 8 h2load processes side by side (32
connections each), each with its own fixed range: 4 aligned, 4 not.

Layouts (as in load-tests/server): "1 worker" pins each server (one process or
worker) to CPU 0 and the load generator to CPU 1; "all cores" runs weir --workers N,
nginx worker_processes N and Node's cluster with N processes, unpinned.

Each measurement is repeated (--rounds, servers alternating) and the median kept.
Reported: MB/s (10^6 bytes, response bytes as the client read them), requests/s,
server CPU seconds (user + system of the whole process tree, from /proc) per GiB
sent, and the server's resident memory (sum of VmRSS over its processes, sampled
every 50 ms, maximum over warm-up and run).

Files: `media-samples/generate.sh --large DIR` when that script exists (a >= 1 GiB
file and 64 files of 1-4 MiB are looked for in what it writes), otherwise random
data written here; always in a temporary folder, never in the repository
(--files DIR reuses a folder instead). The files are read once before the run so
that every server is measured from the page cache.

usage: load-tests/vod/bench.py [--weir PATH] [--nginx PATH] [--node PATH]
       [--io uring|threads[,...]] [--only a|a1m|b|c] [--proto h1|h2]
       [--layout one|all] [--servers weir,weir-sendfile,weir-nosendfile,nginx,nginx-nosendfile,node]
       [--seconds 5] [--rounds 3] [--files DIR]
Needs: wrk, h2load (nghttp2-client), nginx, curl, node.
"""
import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import HZ, cpu_ticks, free_port, signal_tree, tree, wait_port, write_random  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NCPU = os.cpu_count() or 1
GiB = 1 << 30
BIG_SIZE = GiB
SEG_SIZE = 2 << 20
SEGMENTS = 64
RANGE_LEN = 64 << 10
H2_RANGE_PROCS = 8
# h2load's flow-control windows: 8 MiB per stream, 16 MiB per connection, about what
# browsers announce (Chrome: 6 and 15 MiB). With h2load's default (2^30 - 1 for both)
# nginx 1.22 closes some connections with "http2 flood detected", and a connection
# closed that way is not counted as failed by h2load in timed (-D) runs.
H2_WINDOWS = ["-w23", "-W24"]

CASES = {
    "a": ("1 GiB file, 1 conn", 1),
    # Case (a) again, HTTP/1.1 only, with bigread.py reading 1 MiB per call instead of
    # wrk's 8 KiB, which bounds one wrk connection whatever the server.
    "a1m": ("1 GiB file, 1 conn, 1 MiB reads", 1),
    "b": ("2 MiB segments, 64 conns", 64),
    "c": ("64 KiB ranges, 256 conns", 256),
}


# ---------------------------------------------------------------- files


def discover(folder):
    """The 1 GiB file and 64 segments in what generate.sh wrote: (big, segments)
    as paths relative to folder, None where nothing fits."""
    files = []
    for d, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append((os.path.relpath(p, folder), os.path.getsize(p)))
    big = [f for f in files if f[1] >= GiB]
    big = min(big, key=lambda f: f[1])[0] if big else None
    segs = sorted(f[0] for f in files if (1 << 20) <= f[1] <= (4 << 20))
    return big, (segs[:SEGMENTS] if len(segs) >= SEGMENTS else None)


def prepare_files(a, tmp):
    notes = []
    if a.files:
        folder = os.path.abspath(a.files)
        big, segs = discover(folder)
        source = f"files from {folder}"
    else:
        folder = os.path.join(tmp, "media")
        os.makedirs(folder)
        gen = os.path.join(ROOT, "media-samples", "generate.sh")
        big = segs = None
        source = "random data"
        if os.access(gen, os.X_OK):
            print(f"# generating files: {gen} --large {folder}", flush=True)
            r = subprocess.run([gen, "--large", folder], capture_output=True, text=True)
            if r.returncode == 0:
                big, segs = discover(folder)
                source = "media-samples/generate.sh --large"
            else:
                notes.append(f"generate.sh --large failed ({r.returncode}): {last_line(r.stderr)}")
        else:
            notes.append("media-samples/generate.sh does not exist yet: random data")
            source = "random data"
    if big is None or segs is None:
        if a.files:
            sys.exit(f"{folder}: needs a file of at least 1 GiB and {SEGMENTS} files of 1-4 MiB")
        own = os.path.join(folder, "bench")
        os.makedirs(os.path.join(own, "seg"), exist_ok=True)
        if big is None:
            print("# writing a 1 GiB file of random data", flush=True)
            write_random(os.path.join(own, "big.bin"), BIG_SIZE)
            big = "bench/big.bin"
        if segs is None:
            segs = []
            for i in range(SEGMENTS):
                write_random(os.path.join(own, "seg", f"seg{i:03}.ts"), SEG_SIZE)
                segs.append(f"bench/seg/seg{i:03}.ts")
        if source != "random data":
            notes.append(f"{source} gave no >= 1 GiB file or no {SEGMENTS} segments: random data added")
            source += " + random data"
    if not a.files:
        # nginx workers run as nobody: what was written here must be readable by all
        # (a --files folder is left as it is).
        os.chmod(tmp, 0o755)
        for d, _, names in os.walk(folder):
            os.chmod(d, 0o755)
            for n in names:
                os.chmod(os.path.join(d, n), 0o644)
    media = {
        "root": folder,
        "big": "/" + big,
        "big_size": os.path.getsize(os.path.join(folder, big)),
        "segs": ["/" + s for s in segs],
        "seg_size": statistics.mean(os.path.getsize(os.path.join(folder, s)) for s in segs),
        "source": source,
    }
    for p in [big] + segs:  # into the page cache
        with open(os.path.join(folder, p), "rb") as f:
            while f.read(16 << 20):
                pass
    return media, notes


# ---------------------------------------------------------------- servers


def last_line(text):
    """The line of a tool's output that says what went wrong: the first that names an
    error, else the last one."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    errors = [l for l in lines if "error" in l.lower()]
    return (errors or lines or ["(no output)"])[0 if errors else -1][:160]


def rss_bytes(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


class RssSampler(threading.Thread):
    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peak, self.stopped = pids, 0, threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.peak = max(self.peak, rss_bytes(self.pids))
            self.stopped.wait(0.05)

    def stop(self):
        self.stopped.set()
        self.join()
        self.peak = max(self.peak, rss_bytes(self.pids))
        return self.peak


class StartError(Exception):
    pass


class Server:
    def __init__(self, name, cmd, env, port, pin, tmp, log=None):
        self.name, self.port, self.log = name, port, log
        if pin is not None:
            cmd = ["taskset", "-c", str(pin)] + cmd
        self.err = tempfile.TemporaryFile(dir=tmp)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err, cwd=HERE,
                                     env=dict(os.environ, **env))
        if not wait_port(port, 20, self.proc):
            if self.proc.poll() is not None:
                raise StartError(f"exited ({self.proc.returncode}): {self.stderr()}")
            self.stop()
            raise StartError("did not listen within 20 s")
        time.sleep(0.3)
        if self.proc.poll() is not None:  # listened, then gave up (e.g. a handler that fails to load)
            raise StartError(f"exited ({self.proc.returncode}): {self.stderr()}")
        self._pids = tree(self.proc.pid)

    def stderr(self):
        self.err.seek(0)
        return last_line(self.err.read().decode(errors="replace"))

    def pids(self):
        return self._pids

    def stop(self):
        signal_tree(self.proc.pid)
        try:
            # The measurement is over: a server still draining after 2 s is killed.
            self.proc.wait(2)
        except subprocess.TimeoutExpired:
            signal_tree(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.err.close()


def nginx_conf(prefix, port, proto, workers, root, sendfile=True):
    os.makedirs(prefix, exist_ok=True)
    mime = "include /etc/nginx/mime.types;" if os.path.exists("/etc/nginx/mime.types") else ""
    # nginx 1.22 (Debian 12) speaks h2c only with prior knowledge, through the listen
    # socket's `http2` parameter; such a socket no longer answers HTTP/1.1, hence
    # one configuration per protocol. (`http2 on;` arrived in 1.25.1.)
    listen = f"127.0.0.1:{port}" + (" http2" if proto == "h2" else "")
    # info: the level at which nginx logs connections it closes ("http2 flood detected").
    conf = f"""worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{ worker_connections 4096; }}
http {{
    {mime}
    default_type application/octet-stream;
    sendfile {"on" if sendfile else "off"};
    tcp_nopush on;
    # With sendfile off: nginx's buffered path (read into its buffers, then write),
    # the path weir takes; 4 x 256 KiB buffers, as weir's read size.
    output_buffers 4 256k;
    access_log off;
    keepalive_requests 1000000;
    server {{
        listen {listen};
        root {root};
    }}
}}
"""
    path = os.path.join(prefix, "nginx.conf")
    with open(path, "w") as f:
        f.write(conf)
    return path


# ---------------------------------------------------------------- checks


def curl_get(url, proto, tmp, range_=None, limit=None):
    """(status, headers dict, body bytes) of one GET with curl; body None when
    curl stopped it at `limit` bytes (--max-filesize)."""
    hdr, body = os.path.join(tmp, "check.h"), os.path.join(tmp, "check.b")
    for p in (hdr, body):
        if os.path.exists(p):
            os.remove(p)
    cmd = ["curl", "-sS", "--max-time", "30", "-D", hdr, "-o", body]
    if proto == "h2":
        cmd.append("--http2-prior-knowledge")
    if range_:
        cmd += ["-H", f"Range: bytes={range_[0]}-{range_[1]}"]
    if limit:
        cmd += ["--max-filesize", str(limit)]
    r = subprocess.run(cmd + [url], capture_output=True, text=True)
    if not os.path.exists(hdr):  # no answer at all: once more, the machine may be busy
        time.sleep(1)
        r = subprocess.run(cmd + [url], capture_output=True, text=True)
    status, headers = None, {}
    if os.path.exists(hdr):
        for line in open(hdr, errors="replace"):
            line = line.strip()
            if line.startswith("HTTP/"):
                status, headers = int(line.split()[1]), {}
            elif ":" in line:
                k, v = line.split(":", 1)
                headers[k.strip().lower()] = v.strip()
    if status is None:
        return None, {}, f"curl: {last_line(r.stderr)}"
    data = open(body, "rb").read() if r.returncode == 0 and os.path.exists(body) else None
    return status, headers, data


def pick_range(rnd, size, aligned):
    """(first, last) byte of a RANGE_LEN range of a size-byte file, as ranges.lua
    picks them: at a multiple of RANGE_LEN, or at any byte."""
    if aligned:
        first = rnd.randrange(size // RANGE_LEN) * RANGE_LEN
    else:
        first = rnd.randrange(size - RANGE_LEN + 1)
    return first, first + RANGE_LEN - 1


def file_bytes(media, rel, start, end):
    with open(os.path.join(media["root"], rel.lstrip("/")), "rb") as f:
        f.seek(start)
        return f.read(end - start + 1)


def check(port, proto, case, media, tmp):
    """None when the server answers the case correctly, else what is wrong."""
    url = f"http://127.0.0.1:{port}"
    if case in ("a", "a1m"):
        st, h, err = curl_get(url + media["big"], proto, tmp, limit=1)
        if st is None:
            return f"no answer to GET {media['big']} ({err})"
        if st != 200 or h.get("content-length") != str(media["big_size"]):
            return f"GET {media['big']} answered {st}, content-length {h.get('content-length')}"
        return None
    if case == "b":
        seg = media["segs"][0]
        st, _, body = curl_get(url + seg, proto, tmp)
        if st is None:
            return f"no answer to GET {seg} ({body})"
        if st != 200 or body != file_bytes(media, seg, 0, SEG_SIZE * 4):
            return f"GET {seg} answered {st} without the file's bytes"
        return None
    rnd = random.Random(7)
    for i in range(4):
        rng = pick_range(rnd, media["big_size"], aligned=i % 2 == 0)
        st, h, body = curl_get(url + media["big"], proto, tmp, rng, limit=4 * RANGE_LEN)
        if st is None:
            return f"no answer to a Range request ({body})"
        if st == 200:
            return "no range support (a Range request got 200, the whole file)"
        if st != 206:
            return f"no range support (a Range request got {st})"
        want = f"bytes {rng[0]}-{rng[1]}/{media['big_size']}"
        if h.get("content-range") != want or body != file_bytes(media, media["big"], *rng):
            return f"wrong 206 for bytes={rng[0]}-{rng[1]}: content-range {h.get('content-range')}"
    return None


# ---------------------------------------------------------------- load


def run_wrk(case, port, media, seconds, pin):
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    conns = CASES[case][1]
    url = f"http://127.0.0.1:{port}"
    if case == "c":
        script, args = "ranges.lua", [media["big"], str(media["big_size"]), str(RANGE_LEN)]
    else:
        script, args = "files.lua", [media["big"]] if case == "a" else media["segs"]
    cmd = prefix + ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "60s", "-s", script, url, "--"] + args
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=seconds + 120)
    m = re.search(r"^VOD (.*)$", r.stdout, re.M)
    if not m:
        raise RuntimeError(f"wrk: {last_line(r.stderr or r.stdout)}")
    v = dict(kv.split("=", 1) for kv in m.group(1).split())
    errors = sum(int(v[k]) for k in ("connect", "read", "write", "status", "timeout"))
    notes = []
    if errors:
        notes.append(f"wrk errors: connect {v['connect']} read {v['read']} write {v['write']} "
                     f"non-2xx {v['status']} timeout {v['timeout']}")
    if int(v["bad"]):
        notes.append(f"{v['bad']} of {v['requests']} answers not a 206 of {RANGE_LEN} bytes (first: {v['first_bad']})")
    return int(v["bytes"]), int(v["requests"]), int(v["duration_us"]) / 1e6, notes


def run_bigread(port, media, seconds, pin):
    """Case a1m: bigread.py, whose last line has the format of report.lua's."""
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    cmd = prefix + [sys.executable, "bigread.py", str(port), media["big"], str(seconds)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE, timeout=seconds + 120)
    m = re.search(r"^VOD (.*)$", r.stdout, re.M)
    if not m:
        raise RuntimeError(f"bigread: {last_line(r.stderr or r.stdout)}")
    v = dict(kv.split("=", 1) for kv in m.group(1).split())
    return int(v["bytes"]), int(v["requests"]), int(v["duration_us"]) / 1e6, []


def parse_h2load(out):
    m = re.search(r"finished in ([\d.]+)(ms|s),", out)
    if not m:
        raise RuntimeError(f"h2load: {last_line(out)}")
    secs = float(m.group(1)) * (1e-3 if m.group(2) == "ms" else 1)
    req = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    traffic = re.search(r"traffic: \S+ \((\d+)\) total, \S+ \((\d+)\) headers.*?, \S+ \((\d+)\) data", out)
    return {
        "secs": secs, "done": int(req.group(1)), "failed": int(req.group(3)) + int(req.group(4)) + int(req.group(5)),
        "non2xx": sum(int(codes.group(i)) for i in (2, 3, 4)), "bytes": int(traffic.group(1)), "data": int(traffic.group(3)),
    }


def run_h2load(case, port, media, seconds, pin, tmp):
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    url = f"http://127.0.0.1:{port}"
    conns = CASES[case][1]
    if case in ("a", "b"):
        uris = os.path.join(tmp, "uris.txt")
        with open(uris, "w") as f:
            for p in ([media["big"]] if case == "a" else media["segs"]):
                f.write(url + p + "\n")
        cmds = [prefix + ["h2load", f"-c{conns}", "-m1", "-t1", f"-D{seconds}"] + H2_WINDOWS + ["-i", uris]]
    else:
        rnd, cmds = random.Random(11), []
        for i in range(H2_RANGE_PROCS):
            first, last = pick_range(rnd, media["big_size"], aligned=i % 2 == 0)
            cmds.append(prefix + ["h2load", f"-c{conns // H2_RANGE_PROCS}", "-m1", "-t1", f"-D{seconds}"]
                        + H2_WINDOWS + ["-H", f"range: bytes={first}-{last}", url + media["big"]])
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for c in cmds]
    runs = [parse_h2load(p.communicate(timeout=seconds + 120)[0]) for p in procs]
    secs = max(r["secs"] for r in runs)
    total = {k: sum(r[k] for r in runs) for k in ("done", "failed", "non2xx", "bytes", "data")}
    notes = []
    if total["failed"] or total["non2xx"]:
        notes.append(f"h2load: {total['failed']} failed, {total['non2xx']} not 2xx")
    # Body bytes of case (c): RANGE_LEN per answer, plus at most one answer in progress
    # per connection when the run stops.
    if case == "c" and not total["done"] * RANGE_LEN <= total["data"] <= (total["done"] + conns) * RANGE_LEN:
        notes.append(f"h2load: {total['data']} body bytes for {total['done']} answers of {RANGE_LEN}")
    return total["bytes"], total["done"], secs, notes


def measure(srv, proto, case, media, seconds, pin, tmp):
    pids = srv.pids()
    sampler = RssSampler(pids)
    sampler.start()
    if case == "a1m":
        load = lambda s: run_bigread(srv.port, media, s, pin)  # noqa: E731
    elif proto == "h1":
        load = lambda s: run_wrk(case, srv.port, media, s, pin)  # noqa: E731
    else:
        load = lambda s: run_h2load(case, srv.port, media, s, pin, tmp)  # noqa: E731
    try:
        load(1)  # warm-up
        t0 = cpu_ticks(pids)
        nbytes, reqs, secs, notes = load(seconds)
        t1 = cpu_ticks(pids)
    finally:
        peak = sampler.stop()
    if srv.log and os.path.exists(srv.log):
        with open(srv.log, errors="replace") as f:
            lines = f.read().splitlines()
        bad = [l for l in lines if re.search(r"flood detected|\[(error|crit|alert|emerg)\]", l)]
        if bad:
            notes = notes + [f"{len(bad)} connection errors in the server's log, e.g. {bad[0].split(': ', 1)[-1][:80]}"]
    return {
        "mbs": nbytes / secs / 1e6,
        "rps": reqs / secs,
        "cpu": (t1 - t0) / HZ / max(nbytes / GiB, 1e-9),
        "rss": peak / (1 << 20),
        "notes": notes,
    }


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weir", default=os.path.join(ROOT, "target", "release", "weir"))
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--node", default="node")
    ap.add_argument("--io", help="weir I/O mode(s), comma-separated (uring, threads): passed as --io to weir")
    ap.add_argument("--only", choices=list(CASES))
    ap.add_argument("--proto", choices=["h1", "h2"])
    ap.add_argument("--layout", choices=["one", "all"])
    ap.add_argument("--servers", default="weir,weir-sendfile,nginx,node")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--files", help="reuse this folder's files instead of generating them")
    a = ap.parse_args()

    for tool in ("wrk", "h2load", "curl", "taskset", "pgrep"):
        if not shutil.which(tool):
            sys.exit(f"{tool} not found (apt-get install wrk nghttp2-client curl util-linux procps)")

    tmp = tempfile.mkdtemp(prefix="weir-vod-")
    try:
        media, notes = prepare_files(a, tmp)
        run(a, media, notes, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(a, media, notes, tmp):
    wanted = a.servers.split(",")
    io_modes = a.io.split(",") if a.io else [None]

    def weir(handler, io, extra=()):
        def cmd(port, proto, workers):
            c = [a.weir, "serve"] + ([handler] if handler else ["--root", media["root"]])
            c += ["--listen", f"127.0.0.1:{port}", "--workers", str(workers), "--log", "warn"]
            c += list(extra)
            return c + (["--io", io] if io else []), {"VOD_ROOT": media["root"]}, None
        return cmd

    def nginx_with(sendfile):
        def nginx(port, proto, workers):
            prefix = os.path.join(tmp, f"nginx-{port}")
            conf = nginx_conf(prefix, port, proto, workers, media["root"], sendfile)
            log = os.path.join(prefix, "error.log")
            return [a.nginx, "-p", prefix, "-e", log, "-c", conf, "-g", "daemon off;"], {}, log
        return nginx

    def node(port, proto, workers):
        return [a.node, "node-server.js", str(port), proto, media["root"], str(workers)], {}, None

    servers = {}
    for io in io_modes:
        tag = f"[{io}]" if io else ""
        if "weir" in wanted:
            servers["weir" + tag] = weir(None, io)
        if "weir-sendfile" in wanted:
            servers["weir-sendfile" + tag] = weir("weir-sendfile.mjs", io)
        if "weir-nosendfile" in wanted:
            servers["weir-nosendfile" + tag] = weir(None, io, ["--sendfile", "false"])
    for name, sendfile in (("nginx", True), ("nginx-nosendfile", False)):
        if name not in wanted:
            continue
        if os.path.exists(a.nginx):
            servers[name] = nginx_with(sendfile)
        else:
            notes.append(f"nginx not found (apt-get install nginx): {name} not measured")
    if "node" in wanted:
        servers["node"] = node

    load_pin = 1 if NCPU > 1 else None
    layouts = []
    if a.layout in (None, "one"):
        layouts.append(("1 worker", 1, 0, load_pin))
    if a.layout in (None, "all"):
        layouts.append((f"all cores ({NCPU})", NCPU, None, None))
    protos = [a.proto] if a.proto else ["h1", "h2"]
    cases = [a.only] if a.only else list(CASES)

    nginx_v = subprocess.run([a.nginx, "-v"], capture_output=True, text=True).stderr.strip() if any(k.startswith("nginx") for k in servers) else ""
    node_v = subprocess.run([a.node, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# weir file-serving benchmark, {NCPU} cores, {a.seconds}s per run, median of {a.rounds} rounds")
    print(f"# files: {media['source']}: {media['big']} ({media['big_size']} bytes), "
          f"{len(media['segs'])} segments of {media['seg_size'] / (1 << 20):.2f} MiB on average")
    if os.path.exists(a.weir):
        built = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.path.getmtime(a.weir)))
        print(f"# weir: {a.weir} (built {built})")
    print(f"# peers: {nginx_v.replace('nginx version: ', '')} node {node_v}")
    print(f"# load average at start: {loadavg()} (the machine's other work competes with every server alike)")
    for n in notes:
        print(f"# note: {n}")
    print("| layout | proto | case | server | MB/s | req/s | cpu s/GiB | max RSS MiB | x/nginx | note |")
    print("|---|---|---|---|---:|---:|---:|---:|---:|---|")
    sys.stdout.flush()

    for layout, workers, pin_server, pin_load in layouts:
        for proto in protos:
            for case in cases:
                if case == "a1m" and proto != "h1":
                    continue
                samples = {n: [] for n in servers}
                skipped, extra = {}, {n: set() for n in servers}
                for rnd in range(a.rounds):
                    for name, make in servers.items():
                        if name in skipped:
                            continue
                        port = free_port()
                        cmd, env, log = make(port, proto, workers)
                        try:
                            srv = Server(name, cmd, env, port, pin_server, tmp, log)
                        except StartError as e:
                            skipped[name] = f"did not start: {e}"
                            continue
                        try:
                            if rnd == 0:
                                wrong = check(port, proto, case, media, tmp)
                                if wrong and srv.proc.poll() is not None:
                                    wrong = f"exited ({srv.proc.returncode}): {srv.stderr()}"
                                if wrong:
                                    skipped[name] = wrong
                                    continue
                            m = measure(srv, proto, case, media, a.seconds, pin_load, tmp)
                            samples[name].append(m)
                            extra[name].update(m["notes"])
                        except (RuntimeError, subprocess.TimeoutExpired) as e:
                            skipped[name] = f"load generator failed: {e}"
                        finally:
                            srv.stop()
                desc = CASES[case][0]
                if proto == "h2" and case == "c":
                    desc += f" ({H2_RANGE_PROCS} fixed ranges)"
                results = {}
                for name, s in samples.items():
                    if name not in skipped and s:
                        results[name] = {k: statistics.median(x[k] for x in s) for k in ("mbs", "rps", "cpu", "rss")}
                ref = results.get("nginx", {}).get("mbs")
                for name in servers:
                    if name in results:
                        r = results[name]
                        ratio = f"{r['mbs'] / ref:.2f}" if ref else ""
                        note = "; ".join(sorted(extra[name]))
                        print(f"| {layout} | {proto} | {desc} | {name} | {r['mbs']:.0f} | {r['rps']:.{2 if r['rps'] < 10 else 0}f} | "
                              f"{r['cpu']:.3f} | {r['rss']:.1f} | {ratio} | {note} |")
                    else:
                        print(f"| {layout} | {proto} | {desc} | {name} | | | | | | {skipped.get(name, 'no sample')} |")
                sys.stdout.flush()
    print(f"# load average at end: {loadavg()}")


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    main()
