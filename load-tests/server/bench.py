#!/usr/bin/env python3
"""HTTP server benchmark: weir against Node, Bun and Deno, in the same run.

Cases: a small body (`/hello`) and a 64 KiB body (`/64k`), 64 connections, over
HTTP/1.1 (wrk) and HTTP/2 cleartext (h2load). Two layouts:
  1 worker - each server is one process (weir --workers 1) pinned to CPU 0 and the
             load generator to CPU 1;
  all cores - weir --workers N, Node with the cluster module (N processes), Bun and
             Deno as N processes sharing the port with SO_REUSEPORT, unpinned.
Each measurement is repeated (--rounds, alternating servers) and the median kept.
Reported: requests/s, a tail latency ("tail ms": wrk's p99 over HTTP/1.1; over HTTP/2
the slowest request, as h2load prints no percentiles), and server CPU microseconds per
request (user + system, then each; system time is mostly the kernel's socket work).

usage: load-tests/server/bench.py [--weir PATH] [--bun PATH] [--deno PATH]
       [--seconds 5] [--rounds 3] [--only h1|h2]
Bun and Deno install from npm: `npm i --prefix /tmp/peers bun deno`.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchlib import HZ, free_port, wait_port, cpu_split, signal_tree, tree  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NCPU = os.cpu_count() or 1


class Server:
    def __init__(self, name, cmd, port, pin):
        self.name, self.port = name, port
        if pin is not None:
            cmd = ["taskset", "-c", str(pin)] + cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=HERE)
        if not wait_port(port):
            self.stop()
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.3)

    def pids(self):
        return tree(self.proc.pid)

    def stop(self):
        signal_tree(self.proc.pid)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def run_load(proto, url, seconds, pin):
    prefix = ["taskset", "-c", str(pin)] if pin is not None else []
    if proto == "h1":
        out = subprocess.run(prefix + ["wrk", "-t1", "-c64", f"-d{seconds}s", "--latency", url],
                             capture_output=True, text=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
        p99 = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
        return rps, reqs, p99
    out = subprocess.run(prefix + ["h2load", "-c64", "-m10", "-t1", f"-D{seconds}", url],
                         capture_output=True, text=True).stdout
    m = re.search(r"finished in [\d.]+\w*, ([\d.]+) req/s", out)
    rps = float(m.group(1))
    reqs = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", out).group(1))
    # h2load's "time for request" line: min max mean sd +/- sd; p99 is not printed.
    m = re.search(r"time for request:\s+\S+\s+(\S+)\s+(\S+)", out)
    def ms(v):
        n = float(re.match(r"[\d.]+", v).group(0))
        return n * (1e-3 if v.endswith("us") else 1e3 if v.endswith("s") and not v.endswith("ms") else 1)
    return rps, reqs, ms(m.group(1))  # max latency as the tail figure


def measure(server, proto, path, seconds, load_pin):
    url = f"http://127.0.0.1:{server.port}{path}"
    pids = server.pids()
    u0, s0 = cpu_split(pids)
    rps, reqs, tail = run_load(proto, url, seconds, load_pin)
    u1, s1 = cpu_split(pids)
    user, system = (ticks / HZ * 1e6 / max(reqs, 1) for ticks in (u1 - u0, s1 - s0))
    return rps, tail, user + system, user, system


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weir", default=os.path.join(ROOT, "target", "release", "weir"))
    ap.add_argument("--node", default="node")
    ap.add_argument("--bun", default=shutil.which("bun") or "/tmp/peers/node_modules/.bin/bun")
    ap.add_argument("--deno", default=shutil.which("deno") or "/tmp/peers/node_modules/.bin/deno")
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", choices=["h1", "h2"])
    a = ap.parse_args()

    def weir_cmd(port, workers):
        return [a.weir, "serve", "weir-handler.mjs", "--listen", f"127.0.0.1:{port}", "--workers", str(workers), "--log", "warn"]

    layouts = {
        "1 worker": {
            "pin_server": 0, "pin_load": 1 if NCPU > 1 else None,
            "servers": {
                "weir": lambda p, proto: weir_cmd(p, 1),
                "node": lambda p, proto: [a.node, "node-server.js", str(p), proto],
                "bun": lambda p, proto: [a.bun, "bun-server.js", str(p)] if proto == "h1" and os.path.exists(a.bun) else None,
                "deno": lambda p, proto: [a.deno, "run", "-A", "deno-server.js", str(p)] if os.path.exists(a.deno) else None,
            },
        },
        f"all cores ({NCPU})": {
            "pin_server": None, "pin_load": None,
            "servers": {
                "weir": lambda p, proto: weir_cmd(p, NCPU),
                "node": lambda p, proto: [a.node, "node-server.js", str(p), proto, str(NCPU)],
                "bun": lambda p, proto: [a.bun, "bun-server.js", str(p), str(NCPU)] if proto == "h1" and os.path.exists(a.bun) else None,
                "deno": lambda p, proto: [a.deno, "run", "-A", "--unstable-net", "deno-server.js", str(p), str(NCPU)] if os.path.exists(a.deno) else None,
            },
        },
    }
    protos = [a.only] if a.only else ["h1", "h2"]
    print(f"# weir server benchmark, {NCPU} cores, {a.seconds}s per run, median of {a.rounds} rounds")
    print(f"{'layout':14} {'proto':5} {'path':7} {'server':6} {'req/s':>10} {'tail ms':>9} {'cpu us/req':>11} {'user':>6} {'sys':>6} {'weir/x':>7}")
    for layout, spec in layouts.items():
        for proto in protos:
            for path in ["/hello", "/64k"]:
                results = {}
                names = [n for n in spec["servers"] if spec["servers"][n](1, proto) is not None]
                samples = {n: [] for n in names}
                for _ in range(a.rounds):
                    for name in names:
                        port = free_port()
                        srv = Server(name, spec["servers"][name](port, proto), port, spec["pin_server"])
                        try:
                            run_load(proto, f"http://127.0.0.1:{port}{path}", 1, spec["pin_load"])  # warm-up
                            samples[name].append(measure(srv, proto, path, a.seconds, spec["pin_load"]))
                        finally:
                            srv.stop()
                for name in names:
                    s = samples[name]
                    results[name] = tuple(statistics.median(x[i] for x in s) for i in range(5))
                w = results["weir"][0]
                for name in names:
                    rps, tail, cpu, user, system = results[name]
                    ratio = "" if name == "weir" else f"{w / rps:.2f}"
                    print(f"{layout:14} {proto:5} {path:7} {name:6} {rps:10.0f} {tail:9.2f} {cpu:11.2f} {user:6.2f} {system:6.2f} {ratio:>7}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
