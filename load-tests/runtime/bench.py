#!/usr/bin/env python3
"""Start-up and steady-state of `weir run` against `node`, in the same run.

Runs each case alternately under both runtimes (so machine noise hits both alike),
reports medians and the weir/node ratio (below 1.0 means weir is faster).

usage: load-tests/runtime/bench.py [--weir target/release/weir] [--node node] [--runs N]
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def wall(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--weir", default=os.path.join(HERE, "..", "..", "target", "release", "weir"))
    p.add_argument("--node", default="node")
    p.add_argument("--runs", type=int, default=0, help="override the per-case run count")
    a = p.parse_args()
    node_version = subprocess.run([a.node, "--version"], capture_output=True, text=True).stdout.strip()
    weir_version = subprocess.run([a.weir, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# {weir_version} vs node {node_version}, {os.cpu_count()} cores")
    cases = [("start-up (empty script)", "empty.js", 40), ("cpu-bound", "cpu.js", 7), ("promise-heavy", "promises.js", 7)]
    print(f"{'case':28} {'weir ms':>9} {'node ms':>9} {'weir/node':>10}")
    for name, script, runs in cases:
        runs = a.runs or runs
        path = os.path.join(HERE, script)
        w, n = [], []
        for _ in range(runs):
            w.append(wall([a.weir, "run", path]))
            n.append(wall([a.node, path]))
        mw, mn = statistics.median(w) * 1000, statistics.median(n) * 1000
        print(f"{name:28} {mw:9.1f} {mn:9.1f} {mw / mn:10.2f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
