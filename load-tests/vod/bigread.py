#!/usr/bin/env python3
"""Case (a) with large reads: one HTTP/1.1 connection downloading a file over and
over, reading up to 1 MiB per recv().

wrk reads a response 8 KiB at a time, so one wrk connection receives about 1.2 GB/s
on this class of machine whatever the server does, and case (a) then measures wrk.
This client pays one system call per MiB instead, and shows the servers' own rates.

Bytes are counted as they arrive (head and body), as wrk counts them; a download cut
by the end of the run still counts. Every answer must be a 200 whose Content-Length
is the file's size; anything else ends the run with an error. The last line has the
format of report.lua's, so bench.py reads both alike.

usage: bigread.py PORT PATH SECONDS
"""
import socket
import sys
import time

READ = 1 << 20


def main():
    port, path, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    buf = bytearray(READ)
    view = memoryview(buf)
    sock = socket.create_connection(("127.0.0.1", port))
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    total = requests = 0
    start = time.monotonic()
    deadline = start + seconds
    while time.monotonic() < deadline:
        sock.sendall(request)
        head = b""
        while b"\r\n\r\n" not in head:
            n = sock.recv_into(view)
            if n == 0:
                sys.exit("bigread: the server closed the connection before a response head")
            head += bytes(view[:n])
            total += n
            if b"\r\n\r\n" not in head and len(head) > 65536:
                sys.exit("bigread: no end of the response head in 64 KiB")
        fields, body = head.split(b"\r\n\r\n", 1)
        lines = fields.decode("latin-1").split("\r\n")
        if lines[0].split(" ")[1] != "200":
            sys.exit(f"bigread: {path} answered {lines[0]!r}")
        length = next((int(l.split(":", 1)[1]) for l in lines[1:]
                       if l.lower().startswith("content-length:")), None)
        if length is None:
            sys.exit(f"bigread: {path} answered without Content-Length")
        left = length - len(body)
        while left > 0:
            if time.monotonic() >= deadline:
                break
            n = sock.recv_into(view, min(left, READ))
            if n == 0:
                sys.exit(f"bigread: the connection closed with {left} bytes of the body unread")
            left -= n
            total += n
        if left == 0:
            requests += 1
        elif left < 0:
            sys.exit("bigread: more bytes than Content-Length before the next request")
    elapsed = time.monotonic() - start
    print(f"VOD bytes={total} requests={requests} duration_us={int(elapsed * 1e6)} "
          "connect=0 read=0 write=0 status=0 timeout=0 ok=0 bad=0 first_bad=-")


if __name__ == "__main__":
    main()
