#!/usr/bin/env python3
"""Run Node.js 18.20.4's own stream tests under node and under weir.

The test files are not part of this repository: they come from Debian's source
package of nodejs (bookworm ships 18.20.4), fetched with `apt-get source` and
cached under target/node-conformance/, or from an unpacked Node.js tree given
with --node-src. Each selected file is copied into a scratch `parallel/` folder
next to our stand-in for Node's `test/common` (tests/node-conformance/common/),
then run under `node` and under `weir run`; exit code 0 within the timeout is a
pass. The run fails (exit 1) if any file that node passes fails under weir.

Selection: test/parallel/test-stream*.js and test-readable-from*.js whose
requires are only the modules in ALLOWED_MODULES (with or without `node:`) and
`../common`, and which have no `// Flags:` line.

Usage (from anywhere):
  python3 tests/node-conformance/run.py [--weir PATH] [--node-src DIR]
      [--jobs N] [--timeout SECONDS] [--filter SUBSTRING] [--verbose]
"""

import argparse
import concurrent.futures
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(ROOT, 'target', 'node-conformance')
NODE_VERSION = '18.20.4'

ALLOWED_MODULES = {
    'stream', 'assert', 'events', 'util', 'buffer', 'string_decoder',
    'timers/promises', 'stream/promises',
}
ALLOWED_LOCAL = {'../common', '../common/index', '../common/index.js'}
PATTERNS = ('test-stream*.js', 'test-readable-from*.js')

DEB_SRC_FILE = '/etc/apt/sources.list.d/weir-deb-src.sources'
DEB_SRC_TEXT = """Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

REQUIRE_RE = re.compile(r"""\brequire\s*\(\s*(['"`])([^'"`]+)\1\s*\)""")
DYNAMIC_REQUIRE_RE = re.compile(r"""\brequire\s*\(\s*[^'"`\s)]""")
FLAGS_RE = re.compile(r'^\s*//\s*Flags:', re.M)
IMPORT_RE = re.compile(r'\bimport\s*\(|^\s*import\s', re.M)


def log(msg):
    print(msg, flush=True)


# ---------------------------------------------------------------------------
# Getting Node's test files.

def have_deb_src():
    paths = ['/etc/apt/sources.list'] + glob.glob('/etc/apt/sources.list.d/*')
    for path in paths:
        try:
            with open(path, encoding='utf-8', errors='replace') as f:
                text = f.read()
        except OSError:
            continue
        if path.endswith('.sources'):
            # deb822: a stanza with Types: ... deb-src ... and Suites: ... bookworm
            for stanza in re.split(r'\n\s*\n', text):
                types = re.search(r'^Types:(.*)$', stanza, re.M | re.I)
                suites = re.search(r'^Suites:(.*)$', stanza, re.M | re.I)
                enabled = re.search(r'^Enabled:\s*no', stanza, re.M | re.I)
                if types and suites and not enabled and 'deb-src' in types.group(1).split() \
                        and 'bookworm' in suites.group(1).split():
                    return True
        else:
            for line in text.splitlines():
                parts = line.split('#', 1)[0].split()
                if parts and parts[0] == 'deb-src' and 'bookworm' in parts:
                    return True
    return False


def run_checked(cmd, cwd=None):
    log('+ ' + ' '.join(cmd))
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    subprocess.run(cmd, cwd=cwd, env=env, check=True)


def ensure_apt_source_ready():
    is_root = hasattr(os, 'geteuid') and os.geteuid() == 0
    need_update = False
    if not have_deb_src():
        if not is_root:
            sys.exit('no deb-src line for bookworm in the apt sources; run as root, '
                     'add one, or pass --node-src DIR')
        log(f'adding {DEB_SRC_FILE}')
        with open(DEB_SRC_FILE, 'w', encoding='utf-8') as f:
            f.write(DEB_SRC_TEXT)
        need_update = True
    if shutil.which('dpkg-source') is None:
        if not is_root:
            sys.exit('dpkg-source (package dpkg-dev) is missing; run as root, '
                     'install dpkg-dev, or pass --node-src DIR')
        run_checked(['apt-get', 'update', '-qq'])
        need_update = False
        run_checked(['apt-get', 'install', '-y', '-qq', 'dpkg-dev'])
    if need_update:
        run_checked(['apt-get', 'update', '-qq'])


def cached_tree():
    """The cached test tree (target/node-conformance/src/node-tests), if complete."""
    tree = os.path.join(CACHE, 'src', 'node-tests')
    if os.path.exists(os.path.join(CACHE, 'src', 'READY')) and \
            os.path.isdir(os.path.join(tree, 'test', 'parallel')):
        return tree
    return None


def fetch_node_tests():
    """Returns a Node.js source tree (with test/parallel) from the cache,
    downloading and unpacking Debian's nodejs source package if needed."""
    tree = cached_tree()
    if tree:
        return tree
    src_dir = os.path.join(CACHE, 'src')
    os.makedirs(src_dir, exist_ok=True)
    ensure_apt_source_ready()
    dscs = glob.glob(os.path.join(src_dir, 'nodejs_*.dsc'))
    if not dscs:
        # bookworm's nodejs is Node.js 18.20.4 (with Debian's patches, none of
        # which touches the stream tests).
        try:
            run_checked(['apt-get', 'source', '--download-only', 'nodejs'], cwd=src_dir)
        except subprocess.CalledProcessError:
            # The package lists may predate the deb-src line: refresh and retry.
            if not (hasattr(os, 'geteuid') and os.geteuid() == 0):
                raise
            run_checked(['apt-get', 'update', '-qq'])
            run_checked(['apt-get', 'source', '--download-only', 'nodejs'], cwd=src_dir)
        dscs = glob.glob(os.path.join(src_dir, 'nodejs_*.dsc'))
    if not dscs:
        sys.exit('apt-get source did not download a nodejs .dsc')
    dsc = sorted(dscs)[-1]
    if f'_{NODE_VERSION}+' not in os.path.basename(dsc):
        log(f'warning: {os.path.basename(dsc)} is not Node.js {NODE_VERSION}')
    unpacked = os.path.join(src_dir, 'nodejs')
    if os.path.exists(unpacked):
        shutil.rmtree(unpacked)
    run_checked(['dpkg-source', '--no-check', '-x', dsc, unpacked])
    # Keep only the tests; the rest of the tree is several hundred MB. The
    # downloaded archives stay, so a lost tree is unpacked again, not fetched.
    keep = os.path.join(src_dir, 'node-tests')
    if os.path.exists(keep):
        shutil.rmtree(keep)
    os.makedirs(keep)
    shutil.move(os.path.join(unpacked, 'test'), os.path.join(keep, 'test'))
    shutil.rmtree(unpacked)
    with open(os.path.join(src_dir, 'READY'), 'w', encoding='utf-8') as f:
        f.write(os.path.basename(dsc) + '\n')
    return keep


# ---------------------------------------------------------------------------
# Selecting the tests.

def selection_problem(text):
    """None if the file qualifies, else why not."""
    if FLAGS_RE.search(text):
        return 'has // Flags:'
    if IMPORT_RE.search(text):
        return 'uses import'
    if 'process.binding' in text or 'internalBinding' in text:
        return 'uses bindings'
    if DYNAMIC_REQUIRE_RE.search(text):
        return 'computed require'
    for _, mod in REQUIRE_RE.findall(text):
        name = mod[5:] if mod.startswith('node:') else mod
        if name in ALLOWED_MODULES or mod in ALLOWED_LOCAL:
            continue
        return f'requires {mod}'
    return None


def select_tests(parallel_dir):
    files = set()
    for pattern in PATTERNS:
        files.update(glob.glob(os.path.join(parallel_dir, pattern)))
    selected, rejected = [], []
    for path in sorted(files):
        with open(path, encoding='utf-8', errors='replace') as f:
            problem = selection_problem(f.read())
        (rejected if problem else selected).append((os.path.basename(path), problem))
    return [name for name, _ in selected], rejected


# ---------------------------------------------------------------------------
# Running them.

def run_one(cmd, cwd, timeout, env):
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, _ = proc.communicate()
        code = 'timeout'
    return code, out.decode('utf-8', errors='replace'), time.monotonic() - start


def summarize(output, code):
    if code == 'timeout':
        head = 'timed out'
    else:
        head = f'exit code {code}'
    lines = [l for l in output.strip().splitlines() if l.strip()]
    # The first error line is usually the most telling one.
    interesting = [l for l in lines if re.search(r'Error|Mismatched|assert|not implemented|'
                                                 r'Cannot|undefined|expected', l, re.I)]
    pick = (interesting or lines)[:3]
    return head + (': ' + ' | '.join(s.strip()[:200] for s in pick) if pick else '')


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--weir', default=os.path.join(ROOT, 'target', 'release', 'weir'),
                    help='weir binary (default: target/release/weir)')
    ap.add_argument('--node', default='node', help='node binary (default: node on PATH)')
    ap.add_argument('--node-src', help='an unpacked Node.js 18.20.4 source tree to take '
                    'test/parallel from, instead of Debian\'s source package')
    ap.add_argument('--jobs', type=int, default=min(4, max(2, os.cpu_count() or 2)))
    ap.add_argument('--timeout', type=float, default=30.0, help='seconds per file')
    ap.add_argument('--filter', help='only files whose name contains this')
    ap.add_argument('--verbose', '-v', action='store_true',
                    help='print every result and the full output of weir failures')
    ap.add_argument('--list', action='store_true', help='print the selection and exit')
    args = ap.parse_args()

    node = shutil.which(args.node) or args.node
    weir = os.path.abspath(args.weir)
    if not args.list:
        if not (os.path.isfile(weir) and os.access(weir, os.X_OK)):
            sys.exit(f'weir binary not found: {weir}')
        if shutil.which(node) is None and not os.path.isfile(node):
            sys.exit(f'node not found: {args.node}')

    tree = os.path.abspath(args.node_src) if args.node_src else fetch_node_tests()
    parallel_src = os.path.join(tree, 'test', 'parallel')
    if not os.path.isdir(parallel_src):
        sys.exit(f'no test/parallel in {tree}')

    selected, rejected = select_tests(parallel_src)
    if args.filter:
        selected = [n for n in selected if args.filter in n]
    if args.list:
        for name in selected:
            print(name)
        for name, why in rejected:
            print(f'# skipped {name}: {why}')
        return 0

    work = os.path.join(CACHE, 'work')
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(os.path.join(work, 'parallel'))
    shutil.copytree(os.path.join(HERE, 'common'), os.path.join(work, 'common'))
    for name in selected:
        shutil.copy(os.path.join(parallel_src, name), os.path.join(work, 'parallel', name))
    cwd = os.path.join(work, 'parallel')

    env = dict(os.environ)
    for var in ('NODE_OPTIONS', 'NODE_V8_COVERAGE', 'NODE_DEBUG', 'NODE_ENV'):
        env.pop(var, None)

    log(f'{len(selected)} test files selected ({len(rejected)} left out); '
        f'node {subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()}, '
        f'weir {weir}; {args.jobs} workers, {args.timeout:g}s per file')

    started = time.monotonic()
    jobs = []
    for name in selected:
        jobs.append((name, 'node', [node, name]))
        jobs.append((name, 'weir', [weir, 'run', name]))
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, cmd, cwd, args.timeout, env): (name, who)
                   for name, who, cmd in jobs}
        for fut in concurrent.futures.as_completed(futures):
            results[futures[fut]] = fut.result()

    node_pass = [n for n in selected if results[(n, 'node')][0] == 0]
    weir_pass = [n for n in selected if results[(n, 'weir')][0] == 0]
    regressions = [n for n in node_pass if results[(n, 'weir')][0] != 0]
    node_fail = [n for n in selected if results[(n, 'node')][0] != 0]

    if args.verbose:
        for name in selected:
            nc, _, nt = results[(name, 'node')]
            wc, _, wt = results[(name, 'weir')]
            log(f'  {name}: node {"pass" if nc == 0 else "FAIL"} ({nt:.1f}s), '
                f'weir {"pass" if wc == 0 else "FAIL"} ({wt:.1f}s)')

    log('')
    log(f'node passes {len(node_pass)}/{len(selected)}')
    log(f'weir passes {len(weir_pass)}/{len(selected)}')
    if node_fail:
        log('files node fails (not counted against weir):')
        for name in node_fail:
            code, out, _ = results[(name, 'node')]
            log(f'  {name}: {summarize(out, code)}')
    if regressions:
        log('files node passes and weir fails:')
        for name in regressions:
            code, out, _ = results[(name, 'weir')]
            log(f'  {name}: {summarize(out, code)}')
            if args.verbose:
                for line in out.rstrip().splitlines()[-40:]:
                    log(f'      {line}')
    log(f'time {time.monotonic() - started:.1f}s')
    log(f'node-conformance: {len(node_pass) - len(regressions)} passed, '
        f'{len(regressions)} failed, {len(node_fail)} skipped')
    return 1 if regressions else 0


if __name__ == '__main__':
    sys.exit(main())
