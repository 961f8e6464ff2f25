#!/usr/bin/env python3
"""HTTP/3 against HTTP/2 and HTTP/1.1: file-download throughput of `weir serve` over
loopback, all three protocols in the same run, interleaved.

One weir process (`--tls-self-signed --workers 1`, files under a temporary root)
serves HTTP/1.1 and HTTP/2 over TLS (ALPN) and HTTP/3 over QUIC on the same port.
The load client is h3load (load-tests/h3/h3load.rs, an example of the weir crate),
so the three protocols are driven by the same client code (hyper for h1/h2, quinn +
h3 for h3; TLS 1.3 with rustls everywhere, AES-128-GCM preferred by the client unless
--client-args says otherwise, e.g. "--cipher aes256").

Cases, each run once per protocol per round (the order of the protocols rotates
from round to round):
  a  one connection downloading a 1 GiB file once;
  b  64 downloads of a 2 MiB file in flight at once, --requests in all (default
     640): h2 and h3 on 1 connection x 64 streams, h1 on 64 connections.

Reported per case and protocol (median over --rounds):
  MB/s          10^6 bytes of response body per second, as the client counted them;
  x h1          that throughput divided by HTTP/1.1's in the same case;
  server CPU    user + system seconds of the weir process (/proc/PID/stat) per GiB
                moved;
  client CPU    user + system seconds of h3load (getrusage RUSAGE_CHILDREN) per GiB.
Both programs share the machine's cores (nothing is pinned unless --pin).

The files are random bytes written to a temporary folder (removed afterwards) and
read once before the run, so that every case is served from the page cache.

usage: load-tests/h3/bench.py [--rounds 3] [--requests 640] [--cases a,b]
       [--protos h1,h2,h3] [--pin] [--client-args "..."] [--server-args "..."]
       [--json] [--weir PATH] [--h3load PATH]
Needs: cargo build --release --bin weir --example h3load
"""
import argparse
import json
import os
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import HZ, cpu_ticks, write_random  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
GiB = 1 << 30
BUILD = "cargo build --release --bin weir --example h3load"
PROTOS = ["h1", "h2", "h3"]
CASES = {
    "a": "1 GiB file, 1 connection",
    "b": "2 MiB file, 64 in flight",
}


def free_port():
    """A port number free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    sys.exit("no free port for TCP and UDP")


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class Weir:
    def __init__(self, cmd, tmp, pin):
        if pin:
            cmd = ["taskset", "-c", "0"] + cmd
        self.cmd = cmd
        self.log_path = os.path.join(tmp, "weir.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        end = time.time() + 30
        while True:
            if self.proc.poll() is not None:
                sys.exit(f"weir exited ({self.proc.returncode}) before listening:\n{self.tail()}")
            with open(self.log_path, "rb") as f:
                if b"listening on" in f.read():
                    break
            if time.time() > end:
                self.stop()
                sys.exit(f"weir did not print 'listening on' within 30 s:\n{self.tail()}")
            time.sleep(0.05)

    def tail(self, n=10):
        with open(self.log_path, "rb") as f:
            lines = f.read().decode(errors="replace").splitlines()
        return "\n".join(lines[-n:])

    def cpu(self):
        return cpu_ticks([self.proc.pid]) / HZ

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def run_client(a, proto, url, conns, streams, requests):
    cmd = [a.h3load, "--proto", proto, "--url", url, "--insecure", "--json",
           "--connections", str(conns), "--streams", str(streams), "--requests", str(requests)]
    cmd += shlex.split(a.client_args)
    if a.pin:
        cmd = ["taskset", "-c", "1"] + cmd
    c0 = children_cpu()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"no answer within {a.timeout} s"}, cmd
    client_cpu = children_cpu() - c0
    lines = [l for l in r.stdout.splitlines() if l.startswith("{")]
    if not lines:
        return {"failed": f"exit {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}"}, cmd
    res = json.loads(lines[-1])
    res["client_cpu_s"] = client_cpu
    if r.returncode != 0 or res["errors"]:
        res["failed"] = f"{res['errors']} error(s): {res.get('first_error')}"
    return res, cmd


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=640, help="downloads of the 2 MiB file per protocol in case b")
    ap.add_argument("--parallel", type=int, default=64, help="downloads in flight in case b")
    ap.add_argument("--cases", default="a,b")
    ap.add_argument("--protos", default=",".join(PROTOS))
    ap.add_argument("--pin", action="store_true", help="weir on CPU 0, h3load on CPU 1")
    ap.add_argument("--client-args", default="", help="extra h3load arguments, e.g. \"--udp-buffer 212992\"")
    ap.add_argument("--server-args", default="", help="extra `weir serve` arguments")
    ap.add_argument("--timeout", type=float, default=120, help="seconds one client run may take")
    ap.add_argument("--json", action="store_true", help="print the results as JSON too (last line)")
    ap.add_argument("--weir", default=os.path.join(ROOT, "target", "release", "weir"))
    ap.add_argument("--h3load", default=os.path.join(ROOT, "target", "release", "examples", "h3load"))
    a = ap.parse_args()
    cases = [c for c in a.cases.split(",") if c]
    protos = [p for p in a.protos.split(",") if p]
    for c in cases:
        if c not in CASES:
            sys.exit(f"--cases: unknown case {c!r} (a, b)")
    for p in protos:
        if p not in PROTOS:
            sys.exit(f"--protos: unknown protocol {p!r} (h1, h2, h3)")
    missing = [p for p in (a.weir, a.h3load) if not os.access(p, os.X_OK)]
    if missing:
        print(f"missing: {', '.join(missing)}\nbuild them first (from {ROOT}):\n  {BUILD}", file=sys.stderr)
        sys.exit(2)
    command = " ".join(["python3 load-tests/h3/bench.py"] + [shlex.quote(x) for x in sys.argv[1:]])

    tmp = tempfile.mkdtemp(prefix="weir-h3-bench-")
    weir = None
    try:
        files = os.path.join(tmp, "files")
        os.makedirs(files)
        print("# writing a 1 GiB and a 2 MiB file of random bytes", file=sys.stderr, flush=True)
        write_random(os.path.join(files, "big.bin"), GiB)
        write_random(os.path.join(files, "seg.bin"), 2 << 20)
        for name in ("big.bin", "seg.bin"):  # into the page cache
            with open(os.path.join(files, name), "rb") as f:
                while f.read(16 << 20):
                    pass

        port = free_port()
        cmd = [a.weir, "serve", "--tls-self-signed", "--workers", "1", "--root", files,
               "--listen", f"127.0.0.1:{port}"] + shlex.split(a.server_args)
        weir = Weir(cmd, tmp, a.pin)
        base = f"https://127.0.0.1:{port}"
        print(f"# {' '.join(cmd)}", file=sys.stderr, flush=True)

        # Warm-up: each protocol's first connection and a few downloads, not counted.
        for p in protos:
            res, _ = run_client(a, p, base + "/seg.bin", 1, 4 if p != "h1" else 1, 8)
            if "failed" in res:
                sys.exit(f"warm-up {p} failed: {res['failed']}\n{weir.tail()}")

        cipher = None
        runs = {(c, p): [] for c in cases for p in protos}
        client_cmds = {}
        for rnd in range(a.rounds):
            order = protos[rnd % len(protos):] + protos[:rnd % len(protos)]
            for c in cases:
                for p in order:
                    if c == "a":
                        url, conns, streams, n = base + "/big.bin", 1, 1, 1
                    elif p == "h1":
                        url, conns, streams, n = base + "/seg.bin", a.parallel, 1, a.requests
                    else:
                        url, conns, streams, n = base + "/seg.bin", 1, a.parallel, a.requests
                    s0 = weir.cpu()
                    res, ccmd = run_client(a, p, url, conns, streams, n)
                    res["server_cpu_s"] = weir.cpu() - s0 if weir.alive() else None
                    client_cmds[(c, p)] = " ".join(shlex.quote(x) for x in ccmd)
                    runs[(c, p)].append(res)
                    cipher = cipher or res.get("cipher_negotiated")
                    gib = res.get("bytes", 0) / GiB
                    status = res.get("failed", "ok")
                    print(f"# round {rnd + 1} case {c} {p}: {fmt(res.get('mb_per_s'))} MB/s, "
                          f"server {fmt(res['server_cpu_s'], 2)} s, client {fmt(res.get('client_cpu_s'), 2)} s "
                          f"CPU for {gib:.2f} GiB ({status})", file=sys.stderr, flush=True)
                    if not weir.alive():
                        sys.exit(f"weir exited ({weir.proc.returncode}):\n{weir.tail()}")

        rows = []
        for c in cases:
            base_mbps = None
            for p in protos:
                rs = [r for r in runs[(c, p)] if "failed" not in r]
                per_gib = lambda key: median([r[key] / (r["bytes"] / GiB) for r in rs if r.get(key) is not None and r["bytes"]])
                row = {
                    "case": c,
                    "case_name": CASES[c],
                    "proto": p,
                    "rounds_ok": len(rs),
                    "rounds": len(runs[(c, p)]),
                    "mb_per_s": median([r["mb_per_s"] for r in rs]),
                    "mb_per_s_all": [r.get("mb_per_s") for r in runs[(c, p)]],
                    "server_cpu_s_per_gib": per_gib("server_cpu_s"),
                    "client_cpu_s_per_gib": per_gib("client_cpu_s"),
                    "failures": [r["failed"] for r in runs[(c, p)] if "failed" in r],
                    "client_command": client_cmds.get((c, p)),
                }
                if p == "h1":
                    base_mbps = row["mb_per_s"]
                rows.append(row)
            for row in rows:
                if row["case"] == c:
                    row["ratio_vs_h1"] = (row["mb_per_s"] / base_mbps) if (base_mbps and row["mb_per_s"]) else None
    finally:
        if weir:
            weir.stop()
        subprocess.run(["rm", "-rf", tmp])

    print()
    print(f"Command: `{BUILD} && {command}`")
    print(f"(median of {a.rounds} rounds; weir `--tls-self-signed --workers 1`, "
          f"{'weir pinned to CPU 0 and h3load to CPU 1' if a.pin else 'nothing pinned'}; "
          f"TLS 1.3 {cipher or '(cipher not reported)'}; "
          f"{os.cpu_count()} CPUs; {time.strftime('%Y-%m-%d')})")
    print()
    print("| case | proto | MB/s | Gbit/s | x h1 | server CPU s/GiB | client CPU s/GiB |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in rows:
        gbit = r["mb_per_s"] * 8 / 1000 if r["mb_per_s"] is not None else None
        note = "" if not r["failures"] else f" ({len(r['failures'])} failed run(s))"
        print(f"| {r['case_name']} | {r['proto']}{note} | {fmt(r['mb_per_s'])} | {fmt(gbit, 2)} | "
              f"{fmt(r.get('ratio_vs_h1'), 2)} | {fmt(r['server_cpu_s_per_gib'], 2)} | {fmt(r['client_cpu_s_per_gib'], 2)} |")
    failures = [(r["case"], r["proto"], f) for r in rows for f in r["failures"]]
    if failures:
        print()
        for c, p, f in failures:
            print(f"- case {c} {p}: {f}")
    if a.json:
        print(json.dumps({"command": command, "rounds": a.rounds, "pin": a.pin, "cipher": cipher, "results": rows}))


if __name__ == "__main__":
    main()
