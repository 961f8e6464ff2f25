"""Helpers shared by the benchmark scripts under load-tests/: ports, process trees
and their CPU time from /proc, random files."""
import os
import signal
import socket
import subprocess
import time

HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=20, proc=None):
    """Whether 127.0.0.1:port accepts a connection within timeout seconds; gives up
    early if proc (a Popen) has exited."""
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def cpu_split(pids):
    """(user, system) CPU time of these processes (all their threads), in clock ticks."""
    user = system = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            user += int(fields[11])
            system += int(fields[12])
        except OSError:
            pass
    return user, system


def cpu_ticks(pids):
    """User + system CPU time of these processes (all their threads), in clock ticks."""
    return sum(cpu_split(pids))


def signal_tree(pid, sig=signal.SIGTERM):
    """Sends sig to pid and its descendants, the children first."""
    for p in reversed(tree(pid)):
        try:
            os.kill(p, sig)
        except OSError:
            pass


def tree(pid):
    """pid and its descendants (nginx and cluster workers, runtime shims)."""
    out = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    except OSError:
        children = []
    for c in children:
        out += tree(int(c))
    return out


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n
