#!/usr/bin/env python3
"""HTTP/3 frames as a misbehaving client writes them, sent with aioquic's QUIC layer
and hand-built frames, against `weir serve` with tests/js/server/handler.mjs:

  huge-headers  a HEADERS frame announcing 1 GiB, 16 MiB of it sent: the stream is
                stopped with H3_EXCESSIVE_LOAD and the server's RSS does not grow
                with the bytes sent (--pid); the connection serves on
  empty-data    DATA "ab", an empty DATA frame, DATA "cd" to /count: the handler
                counts 4 bytes (an empty DATA frame is legal, RFC 9114 §7.2.1)
  goaway        five GET /hello, then the client's GOAWAY: all five responses
                arrive whole before the connection closes
  early-answer  a POST to /hello whose body has not ended: the response arrives
                whole, then STOP_SENDING with H3_NO_ERROR (RFC 9114 §4.1); the same
                after weir's own refusal (417 for an expectation it cannot meet), and
                none for a refused GET, which has ended
  read-on       a POST to /respond-then-read whose handler answers at once and reads
                on, as Node lets it: the rest of the body, sent after the response,
                reaches the handler to its end (told on /stats); one the handler
                destroys then is stopped with H3_NO_ERROR, one it destroys before
                answering with H3_REQUEST_CANCELLED

usage: h3_frames.py CHECK --port PORT [--pid PID]; exit status 0 when the check holds.
"""
import argparse
import asyncio
import json
import ssl
import sys
import time

import pylsqpack
from aioquic.asyncio.client import connect
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.buffer import Buffer, encode_uint_var
from aioquic.h3.connection import H3_ALPN, FrameType, Setting, StreamType
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import (ConnectionTerminated, StopSendingReceived, StreamDataReceived,
                                  StreamReset)

H3_NO_ERROR = 0x100
H3_EXCESSIVE_LOAD = 0x107
H3_REQUEST_CANCELLED = 0x10c


def frame(ftype, payload):
    return encode_uint_var(ftype) + encode_uint_var(len(payload)) + payload


class Stream:
    def __init__(self):
        self.raw = bytearray()
        self.ended = False
        self.reset = None
        self.stopped = None


class Client(QuicConnectionProtocol):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.streams = {}
        self.terminated = None
        self.changed = asyncio.Event()
        self.qpack = pylsqpack.Encoder()

    def st(self, sid):
        return self.streams.setdefault(sid, Stream())

    def quic_event_received(self, ev):
        if isinstance(ev, StreamDataReceived):
            s = self.st(ev.stream_id)
            s.raw += ev.data
            s.ended |= ev.end_stream
        elif isinstance(ev, StreamReset):
            self.st(ev.stream_id).reset = ev.error_code
        elif isinstance(ev, StopSendingReceived):
            self.st(ev.stream_id).stopped = ev.error_code
        elif isinstance(ev, ConnectionTerminated):
            self.terminated = ev
        self.changed.set()

    def send(self, sid, data, fin=False):
        self._quic.send_stream_data(sid, data, fin)
        self.transmit()

    def setup(self):
        self.control = self._quic.get_next_available_stream_id(is_unidirectional=True)
        settings = encode_uint_var(Setting.QPACK_MAX_TABLE_CAPACITY) + encode_uint_var(0)
        self.send(self.control, encode_uint_var(StreamType.CONTROL) + frame(FrameType.SETTINGS, settings))
        for kind in (StreamType.QPACK_ENCODER, StreamType.QPACK_DECODER):
            self.send(self._quic.get_next_available_stream_id(is_unidirectional=True), encode_uint_var(kind))

    def head(self, sid, method, path, extra=()):
        fields = [(b":method", method), (b":scheme", b"https"), (b":authority", b"localhost"),
                  (b":path", path), *extra]
        _, block = self.qpack.encode(sid, fields)
        return block

    def request(self, method, path, body_frames=b"", fin=True, extra=()):
        sid = self._quic.get_next_available_stream_id()
        self.send(sid, frame(FrameType.HEADERS, self.head(sid, method, path, extra)) + body_frames, fin)
        return sid

    async def until(self, cond, timeout):
        end = time.monotonic() + timeout
        while not cond() and time.monotonic() < end:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), end - time.monotonic())
            except asyncio.TimeoutError:
                pass
        return cond()

    def response(self, sid):
        """(status, body) of a response read whole."""
        dec = pylsqpack.Decoder(4096, 16)
        buf, i, status, body = bytes(self.st(sid).raw), 0, None, b""
        while i < len(buf):
            b = Buffer(data=buf[i:])
            ftype, length = b.pull_uint_var(), b.pull_uint_var()
            payload = buf[i + b.tell():i + b.tell() + length]
            i += b.tell() + length
            if ftype == FrameType.HEADERS and status is None:
                _, fields = dec.feed_header(sid, payload)
                status = int(dict(fields)[b":status"])
            elif ftype == FrameType.DATA:
                body += payload
        return status, body


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def hello(c):
    sid = c.request(b"GET", b"/hello")
    await c.until(lambda: c.st(sid).ended, 5)
    return c.response(sid)


async def huge_headers(c, args):
    before = rss_kib(args.pid) if args.pid else 0
    sid = c._quic.get_next_available_stream_id()
    c.send(sid, encode_uint_var(FrameType.HEADERS) + encode_uint_var(1 << 30))
    junk = b"\x00" * (64 << 10)
    for _ in range(256):  # 16 MiB, while the server lets it through
        if c.st(sid).stopped is not None or c.terminated:
            break
        try:
            c.send(sid, junk)
        except Exception:
            break
        await asyncio.sleep(0)
    await c.until(lambda: c.st(sid).stopped is not None or c.terminated, 5)
    grown = (rss_kib(args.pid) - before) if args.pid else 0
    status, body = await hello(c)
    print(f"stop_sending={c.st(sid).stopped} rss_growth_kib={grown} then /hello {status}")
    return (c.st(sid).stopped == H3_EXCESSIVE_LOAD and grown < 8 << 10
            and (status, body) == (200, b"hello world\n"))


async def empty_data(c, args):
    body = frame(FrameType.DATA, b"ab") + frame(FrameType.DATA, b"") + frame(FrameType.DATA, b"cd")
    sid = c.request(b"POST", b"/count", body)
    await c.until(lambda: c.st(sid).ended or c.terminated, 5)
    status, text = c.response(sid)
    print(f"/count answered {status} {text!r}")
    return (status, text) == (200, b"4") and not c.terminated


async def goaway(c, args):
    sids = [c.request(b"GET", b"/hello") for _ in range(5)]
    c.send(c.control, frame(FrameType.GOAWAY, encode_uint_var(0)))
    await c.until(lambda: all(c.st(s).ended for s in sids) or c.terminated, 10)
    got = [c.response(s) if c.st(s).ended else None for s in sids]
    print(f"after GOAWAY: {got}")
    return all(r == (200, b"hello world\n") for r in got)


async def early_answer(c, args):
    sid = c.request(b"POST", b"/hello", frame(FrameType.DATA, b"part of a body"), fin=False)
    await c.until(lambda: (c.st(sid).ended and c.st(sid).stopped is not None) or c.terminated, 5)
    status, body = c.response(sid)
    stopped = c.st(sid).stopped
    print(f"answered {status} {body!r}, ended={c.st(sid).ended}, stop_sending={stopped}")
    answered = (status, body) == (200, b"hello world\n") and c.st(sid).ended and stopped == H3_NO_ERROR
    refused = c.request(b"POST", b"/hello", frame(FrameType.DATA, b"part"), fin=False,
                        extra=[(b"expect", b"something")])
    await c.until(lambda: (c.st(refused).ended and c.st(refused).stopped is not None) or c.terminated, 5)
    status, _ = c.response(refused)
    print(f"refused {status}, stop_sending={c.st(refused).stopped}")
    # A refused GET has ended already: no STOP_SENDING for it.
    get = c.request(b"GET", b"/hello", extra=[(b"expect", b"something")])
    await c.until(lambda: c.st(get).ended or c.terminated, 5)
    await asyncio.sleep(0.2)
    print(f"refused GET {c.response(get)[0]}, stop_sending={c.st(get).stopped}")
    return (answered and status == 417 and c.st(refused).stopped == H3_NO_ERROR
            and c.response(get)[0] == 417 and c.st(get).stopped is None)


async def read_on(c, args):
    sid = c.request(b"POST", b"/respond-then-read?tag=h3", frame(FrameType.DATA, b"0123456789"),
                    fin=False, extra=[(b"content-length", b"100000")])
    await c.until(lambda: c.st(sid).ended or c.terminated, 5)
    print(f"answered {c.response(sid)}, stop_sending={c.st(sid).stopped}")
    await asyncio.sleep(0.1)
    try:
        c.send(sid, frame(FrameType.DATA, b"x" * 99990), fin=True)
    except ValueError as e:  # aioquic: the server stopped the stream
        print(f"the rest of the body could not be sent: {e}")
        return False
    seen = None
    for _ in range(60):
        await asyncio.sleep(0.05)
        q = c.request(b"GET", b"/stats")
        await c.until(lambda: c.st(q).ended or c.terminated, 5)
        seen = json.loads(c.response(q)[1])["reqEvents"].get("h3")
        if seen == ["data", "end 100000", "close"]:
            break
    print(f"the handler saw {seen}; STOP_SENDING on the GET /stats: {c.st(q).stopped}")
    # (A request whose end has arrived, as a GET's, gets no STOP_SENDING.)
    whole = (c.st(sid).stopped is None and seen == ["data", "end 100000", "close"]
             and c.st(q).stopped is None)
    # The handler destroys the request at its first chunk: the rest is not wanted,
    # and the response was complete (H3_NO_ERROR, RFC 9114 §4.1).
    dropped = c.request(b"POST", b"/respond-then-read?tag=h3d&destroy",
                        frame(FrameType.DATA, b"0123456789"), fin=False,
                        extra=[(b"content-length", b"100000")])
    await c.until(lambda: (c.st(dropped).ended and c.st(dropped).stopped is not None)
                  or c.terminated, 5)
    print(f"destroyed after its response: {c.response(dropped)}, "
          f"stop_sending={c.st(dropped).stopped}")
    # Destroyed before any answer (an upload past its limit): no response, and the
    # body is stopped with H3_REQUEST_CANCELLED.
    cut = c.request(b"POST", b"/upload-limit?limit=5", frame(FrameType.DATA, b"0123456789"),
                    fin=False)
    await c.until(lambda: (c.st(cut).reset is not None and c.st(cut).stopped is not None)
                  or c.terminated, 5)
    print(f"destroyed before its response: reset={c.st(cut).reset}, "
          f"stop_sending={c.st(cut).stopped}")
    return (whole and c.st(dropped).ended and c.st(dropped).stopped == H3_NO_ERROR
            and c.st(cut).stopped == H3_REQUEST_CANCELLED)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("check", choices=["huge-headers", "empty-data", "goaway", "early-answer",
                                      "read-on"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int)
    args = ap.parse_args()
    cfg = QuicConfiguration(is_client=True, alpn_protocols=H3_ALPN, verify_mode=ssl.CERT_NONE,
                            server_name="localhost")
    check = {"huge-headers": huge_headers, "empty-data": empty_data, "goaway": goaway,
             "early-answer": early_answer, "read-on": read_on}[args.check]
    async with connect("127.0.0.1", args.port, configuration=cfg, create_protocol=Client) as c:
        c.setup()
        ok = await asyncio.wait_for(check(c, args), 60)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
