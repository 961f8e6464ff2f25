#!/usr/bin/env python3
"""node:stream throughput: the same scripts under weir and under node, alternately in
the same run; median wall time of --runs runs (each a fresh process).

usage: load-tests/streams/bench.py [--weir target/release/weir] [--node node] [--runs 5]
"""
import argparse
import os
import statistics
import subprocess
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
    p.add_argument("--runs", type=int, default=5)
    a = p.parse_args()
    node_version = subprocess.run([a.node, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"# weir vs node {node_version}, median of {a.runs} runs")
    print(f"{'case':52} {'weir s':>8} {'node s':>8} {'node/weir':>10}")
    for name, script in [("3 Transforms over 1 GiB of 64 KiB chunks", "transforms.js"),
                         ("Readable.from 1 M objects into a Writable", "objects.js")]:
        path = os.path.join(HERE, script)
        w, n = [], []
        for _ in range(a.runs):
            w.append(wall([a.weir, "run", path]))
            n.append(wall([a.node, path]))
        mw, mn = statistics.median(w), statistics.median(n)
        print(f"{name:52} {mw:8.3f} {mn:8.3f} {mn / mw:10.2f}")


if __name__ == "__main__":
    main()
