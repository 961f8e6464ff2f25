#!/usr/bin/env python3
"""HTTP/3 client for checking `weir serve` over QUIC (aioquic's asyncio API).

  h3.py get URL [options]            one request; prints the status, the headers, then the
                                     body when it is small, and a summary line with the body
                                     length, its SHA-256, the time taken and the speed
  h3.py many URL --count N [options] N concurrent requests on one connection; all must
                                     complete with the expected status (200 by default)

URL is https://host:port/path; ALPN is h3. The server's certificate is verified against
certifi's CA bundle (aioquic's default), against --cafile PEM, or not at all with
--insecure (-k).
-H 'name: value' adds a request header; --head sends HEAD; --data-file PATH streams that
file as the request body (POST unless -X says otherwise).

The body is hashed as it arrives and never held in memory (only the first --print-limit
bytes are kept, to print; -o FILE writes it out), so multi-GiB downloads are fine. Speeds
are in MB/s (10^6 bytes per second).

Checks (each failure is reported on stderr and makes the exit status non-zero):
  --expect-status N, --expect-header 'name: value' (or just 'name' for presence; repeatable),
  --expect-body TEXT, --expect-bytes N, --expect-sha256 HEX, --expect-reset.

Exit status: 0 all checks passed; 1 a check failed; 2 bad usage; 3 the stream was reset by
the server (and --expect-reset was not given); 4 timed out; 5 connection failed or closed
(handshake, certificate, protocol error).

--timeout (default 30 s) is an inactivity limit: it fails when nothing happens on the
request's stream(s) (no handshake progress, no headers, no data) for that long, so a long
download that keeps moving is never cut short; --max-time bounds the whole run.
"""
import argparse
import asyncio
import hashlib
import logging
import os
import socket
import ssl
import sys
import time
from urllib.parse import urlsplit

try:
    import aioquic
    from aioquic.asyncio.client import connect
    from aioquic.asyncio.protocol import QuicConnectionProtocol
    from aioquic.h3.connection import H3_ALPN, ErrorCode, H3Connection
    from aioquic.h3.events import DataReceived, HeadersReceived
    from aioquic.quic.configuration import QuicConfiguration
    from aioquic.quic.connection import Limit
    from aioquic.quic.packet import QuicErrorCode
    from aioquic.tls import AlertDescription
    from aioquic.quic.events import (
        ConnectionTerminated,
        HandshakeCompleted,
        StopSendingReceived,
        StreamReset,
    )
except ImportError as exc:  # pragma: no cover
    sys.exit(f"h3: cannot import aioquic ({exc}); run: pip install -r {os.path.dirname(os.path.abspath(__file__))}/requirements.txt")

EXIT_OK, EXIT_CHECK, EXIT_USAGE, EXIT_RESET, EXIT_TIMEOUT, EXIT_CONNECTION = 0, 1, 2, 3, 4, 5
UPLOAD_CHUNK = 64 * 1024
UPLOAD_HIGH_WATER = 4 * 1024 * 1024  # unacknowledged request-body bytes before the upload waits
RECEIVE_BUFFER = 16 * 1024 * 1024  # SO_RCVBUF asked for (see H3Client.connection_made)
MIN_WINDOW, MAX_WINDOW = 256 * 1024, 16 * 1024 * 1024  # bounds of the connection's window
DRAIN_BATCH = 32  # datagrams read per event-loop wakeup (see H3Client.datagram_received)
TRANSMIT_EVERY = 16  # received datagrams between two sends (see H3Client.datagram_received)
TRANSMIT_DELAY = 0.0005
USER_AGENT = f"weir-h3-check aioquic/{aioquic.__version__}".encode()

H3_ERROR_NAMES = {e.value: e.name for e in ErrorCode}
QUIC_ERROR_NAMES = {e.value: e.name for e in QuicErrorCode}
TLS_ALERT_NAMES = {e.value: e.name for e in AlertDescription}


def error_name(code, application=True):
    """An error code as hex with its name: HTTP/3's for stream resets and application
    closes, QUIC's (TLS alerts included) for transport closes."""
    if application:
        name = H3_ERROR_NAMES.get(code)
    elif 0x100 <= code <= 0x1FF:  # CRYPTO_ERROR carrying a TLS alert (RFC 9001 section 4.8)
        name = f"CRYPTO_ERROR, TLS alert {TLS_ALERT_NAMES.get(code - 0x100, code - 0x100)}"
    else:
        name = QUIC_ERROR_NAMES.get(code)
    return f"0x{code:x}" + (f" ({name})" if name else "")


def close_reason(event):
    """Describes a ConnectionTerminated event."""
    application = event.frame_type is None
    reason = f"error {error_name(event.error_code, application)}"
    if event.reason_phrase:
        reason += f", {event.reason_phrase!r}"
    return reason


class Failure(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Activity:
    """When something last happened on the connection's requests (for the idle timeout)."""

    def __init__(self):
        self.last = time.monotonic()
        self.phase = "during the QUIC handshake (is anything serving HTTP/3 on that UDP port?)"

    def touch(self):
        self.last = time.monotonic()


class Response:
    def __init__(self, stream_id, keep=0, sink=None):
        self.stream_id = stream_id
        self.status = None
        self.headers = []  # [(name, value)] as str
        self.interim = []  # 1xx statuses
        self.trailers = []
        self.length = 0
        self.sha256 = hashlib.sha256()
        self.keep = keep
        self.kept = bytearray()
        self.sink = sink
        self.reset_code = None
        self.connection_error = None
        self.finished = False
        self.started = time.monotonic()
        self.headers_at = None
        self.ended_at = None
        self.done = asyncio.get_running_loop().create_future()

    @property
    def elapsed(self):
        return (self.ended_at or time.monotonic()) - self.started

    def header_values(self, name):
        return [v for k, v in self.headers if k == name]

    def _settle(self):
        self.ended_at = time.monotonic()
        if not self.done.done():
            self.done.set_result(self)

    def on_headers(self, headers, ended):
        decoded = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers]
        if self.status is None:
            status = int(dict(decoded)[":status"])
            if 100 <= status < 200:
                self.interim.append(status)
                return
            self.status = status
            self.headers = [(k, v) for k, v in decoded if not k.startswith(":")]
            self.headers_at = time.monotonic()
        else:
            self.trailers.extend(decoded)
        if ended:
            self.finished = True
            self._settle()

    def on_data(self, data, ended):
        if data:
            self.length += len(data)
            self.sha256.update(data)
            if len(self.kept) < self.keep:
                self.kept += data[: self.keep - len(self.kept)]
            if self.sink is not None:
                self.sink.write(data)
        if ended:
            self.finished = True
            self._settle()

    def on_reset(self, code):
        if self.done.done():
            return
        self.reset_code = code
        self._settle()

    def on_connection_closed(self, reason):
        if self.done.done():
            return
        self.connection_error = reason
        self._settle()


class _H3Connection(H3Connection):
    """aioquic's H3Connection, minus one client-side false positive.

    aioquic checks a response's content-length against the DATA it carries, also for
    responses to HEAD, which have none (RFC 9110 section 9.3.2), and closes the connection
    with H3_MESSAGE_ERROR. Streams listed in `bodiless` skip that check.
    """

    def __init__(self, quic):
        super().__init__(quic)
        self.bodiless = set()

    def _check_content_length(self, stream):
        if stream.stream_id in self.bodiless:
            return
        super()._check_content_length(stream)


class _SlidingLimit(Limit):
    """The connection's receive limit (MAX_DATA) as a sliding window.

    aioquic doubles MAX_DATA whenever half of it is used, so during a download the
    window grows with the bytes received and stops bounding what the server may have in
    flight. Its setter keeps the value at most `window` ahead of the bytes received,
    while aioquic's own rule still decides when to raise it (each send once past half).
    """

    def __init__(self, limit, window):
        self.window = window
        self._value = window
        super().__init__(limit.frame_type, limit.name, window)
        self.used = limit.used

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value):
        self._value = max(self._value, min(value, self.used + self.window))


class H3Client(QuicConnectionProtocol):
    def __init__(self, *args, activity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.http = _H3Connection(self._quic)
        self.activity = activity or Activity()
        self.responses = {}
        self.terminated = None
        self._acked = asyncio.Event()
        self._received_since_transmit = 0
        self._deferred_transmit = None
        self._drain_socket = None
        self._uploads = 0

    def connection_made(self, transport):
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is None:
            return
        # A bigger receive buffer (capped by net.core.rmem_max), then a connection
        # flow-control window sized to it, so that the server can never have more in
        # flight than the buffer holds: a datagram the kernel drops for want of space
        # is a loss to the server's congestion control, and a fast server (or a busy
        # machine) would otherwise overrun a Python reader all the time.
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        except OSError:
            pass
        try:
            buffer = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        except OSError:
            buffer = 0
        # The kernel's count includes its own per-datagram overhead, about as much
        # again as a full-size QUIC packet: a quarter leaves room to spare.
        window = min(MAX_WINDOW, max(MIN_WINDOW, buffer // 4))
        limit = getattr(self._quic, "_local_max_data", None)  # set before connect() sends it
        if isinstance(limit, Limit):
            self._quic._local_max_data = _SlidingLimit(limit, window)
        # A second handle on the same (non-blocking) socket, to read the datagrams queued
        # behind the one the event loop hands over without a loop iteration for each.
        try:
            self._drain_socket = socket.socket(fileno=os.dup(sock.fileno()))
        except OSError:
            self._drain_socket = None

    def connection_lost(self, exc):
        if self._drain_socket is not None:
            self._drain_socket.close()
            self._drain_socket = None
        super().connection_lost(exc)

    # Events. The base class would also copy every stream's data into an asyncio
    # StreamReader; this override replaces it so that nothing accumulates.
    def quic_event_received(self, event):
        if isinstance(event, HandshakeCompleted):
            self.activity.touch()
            self.activity.phase = "waiting for the response"
        elif isinstance(event, ConnectionTerminated):
            self.terminated = event
            reason = f"connection closed: {close_reason(event)}"
            for resp in self.responses.values():
                resp.on_connection_closed(reason)
            self._acked.set()
            return
        for h3_event in self.http.handle_event(event):
            resp = self.responses.get(h3_event.stream_id)
            if resp is None or getattr(h3_event, "push_id", None) is not None:
                continue
            self.activity.touch()
            if isinstance(h3_event, HeadersReceived):
                resp.on_headers(h3_event.headers, h3_event.stream_ended)
            elif isinstance(h3_event, DataReceived):
                resp.on_data(h3_event.data, h3_event.stream_ended)
        # H3Connection turns a reset into no event of its own: take it from QUIC.
        if isinstance(event, StreamReset) and event.stream_id in self.responses:
            self.activity.touch()
            self.responses[event.stream_id].on_reset(event.error_code)
        elif isinstance(event, StopSendingReceived):
            self._acked.set()  # aioquic reset our send side: wake the upload so it stops

    def datagram_received(self, data, addr):
        # The base class handles one datagram per event-loop iteration and sends after
        # each; during a download the send pass is mostly empty and costs more than the
        # receive. Here: read what else is queued (up to DRAIN_BATCH), then send once
        # TRANSMIT_EVERY datagrams have come in, or TRANSMIT_DELAY after the first one not
        # answered yet (aioquic makes ACKs due 1 ms after a packet; the peer allows 25 ms).
        quic, loop = self._quic, self._loop
        quic.receive_datagram(data, addr, now=loop.time())
        count = 1
        sock = self._drain_socket
        while sock is not None and count < DRAIN_BATCH:
            try:
                data, addr = sock.recvfrom(65536)
            except OSError:  # BlockingIOError: nothing more queued
                break
            quic.receive_datagram(data, addr, now=loop.time())
            count += 1
        self._process_events()
        # ACKs may have freed request-body buffer space: wake the uploads.
        self._acked.set()
        self._received_since_transmit += count
        if self._received_since_transmit >= TRANSMIT_EVERY or self._uploads:
            # (while a request body is going out, ACKs open the congestion window: send now)
            self.transmit()
        elif self._deferred_transmit is None:
            self._deferred_transmit = loop.call_later(TRANSMIT_DELAY, self.transmit)

    def transmit(self):
        self._received_since_transmit = 0
        if self._deferred_transmit is not None:
            self._deferred_transmit.cancel()
            self._deferred_transmit = None
        super().transmit()

    def _unacked(self, stream_id):
        streams = getattr(self._quic, "_streams", None)  # private: only used to pace uploads
        stream = streams.get(stream_id) if streams is not None else None
        buffer = getattr(getattr(stream, "sender", None), "_buffer", None)
        return len(buffer) if buffer is not None else 0

    async def _upload(self, stream_id, path, resp):
        self._uploads += 1
        try:
            await self._upload_file(stream_id, path, resp)
        finally:
            self._uploads -= 1

    async def _upload_file(self, stream_id, path, resp):
        with open(path, "rb") as f:
            while True:
                while (
                    self._unacked(stream_id) > UPLOAD_HIGH_WATER
                    and not resp.done.done()
                    and self.terminated is None
                ):
                    self._acked.clear()
                    await self._acked.wait()
                if resp.done.done() or self.terminated is not None:
                    return
                chunk = f.read(UPLOAD_CHUNK)
                try:
                    self.http.send_data(stream_id, chunk, end_stream=not chunk)
                except RuntimeError:
                    return  # the server sent STOP_SENDING: it no longer wants the body
                self.transmit()
                if not chunk:
                    return
                self.activity.touch()
                await asyncio.sleep(0)

    async def request(self, method, authority, path, headers=(), data_file=None, keep=0, sink=None):
        stream_id = self._quic.get_next_available_stream_id()
        resp = Response(stream_id, keep=keep, sink=sink)
        self.responses[stream_id] = resp
        if method == "HEAD":
            self.http.bodiless.add(stream_id)
        hs = [
            (b":method", method.encode()),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
            (b":path", path.encode()),
        ]
        names = {k for k, _ in headers}
        if "user-agent" not in names:
            hs.append((b"user-agent", USER_AGENT))
        if data_file is not None and "content-length" not in names:
            hs.append((b"content-length", str(os.path.getsize(data_file)).encode()))
        hs += [(k.encode(), v.encode()) for k, v in headers]
        if self.terminated is not None:
            resp.on_connection_closed("connection already closed")
            return resp
        self.http.send_headers(stream_id, hs, end_stream=data_file is None)
        self.transmit()
        upload = None
        if data_file is not None:
            upload = asyncio.ensure_future(self._upload(stream_id, data_file, resp))
        try:
            await resp.done
        finally:
            if upload is not None:
                if not upload.done():
                    upload.cancel()
                await asyncio.gather(upload, return_exceptions=True)
        return resp

    def max_streams(self):
        return getattr(self._quic, "_remote_max_streams_bidi", None)


# ----------------------------------------------------------------------------------------


def parse_url(url):
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise Failure(EXIT_USAGE, f"URL must be https://host[:port]/path, got {url!r}")
    host = parts.hostname
    port = parts.port or 443
    authority = f"[{host}]" if ":" in host else host
    if parts.port:
        authority += f":{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return host, port, authority, path


def parse_header(text, what):
    if ":" not in text.lstrip(":"):
        raise Failure(EXIT_USAGE, f"{what} must be 'name: value', got {text!r}")
    i = text.index(":", 1) if text.startswith(":") else text.index(":")
    name, value = text[:i].strip().lower(), text[i + 1 :].strip()
    if not name:
        raise Failure(EXIT_USAGE, f"{what} has an empty name: {text!r}")
    return name, value


def configuration(args):
    cfg = QuicConfiguration(
        is_client=True,
        alpn_protocols=H3_ALPN,
        # Per-stream windows (aioquic doubles them as they fill); the connection's window,
        # which bounds them all, is set from the socket buffer in H3Client.connection_made.
        max_data=MAX_WINDOW,
        max_stream_data=MAX_WINDOW,
        idle_timeout=max(args.timeout + 5, 30.0),
    )
    if args.insecure:
        cfg.verify_mode = ssl.CERT_NONE
    elif args.cafile:
        cfg.load_verify_locations(cafile=args.cafile)
    if args.keylog:
        cfg.secrets_log_file = open(args.keylog, "a")
    return cfg


async def with_timeouts(coro, activity, idle, max_time):
    """Run `coro`, failing when `activity` shows nothing for `idle` s or after `max_time` s."""
    task = asyncio.ensure_future(coro)
    start = time.monotonic()
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=0.1)
            if task in done:
                return task.result()
            now = time.monotonic()
            if now - activity.last > idle:
                raise Failure(EXIT_TIMEOUT, f"timed out {activity.phase}: nothing happened for {idle:g} s (--timeout)")
            if max_time and now - start > max_time:
                raise Failure(EXIT_TIMEOUT, f"timed out {activity.phase}: still running after {max_time:g} s (--max-time)")
    finally:
        if not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=3)


async def open_connection(args, host, port, activity, body):
    """Connect, run `body(client)` and close; turns handshake failures into Failure."""
    client = None

    def factory(*a, **kw):
        nonlocal client
        client = H3Client(*a, activity=activity, **kw)
        return client

    try:
        async with connect(host, port, configuration=configuration(args), create_protocol=factory) as c:
            try:
                return await body(c)
            finally:  # also when given up on (timeout): close as HTTP/3 says
                c.close(error_code=ErrorCode.H3_NO_ERROR)
    except ConnectionError:
        reason = "handshake failed"
        if client is not None and client.terminated is not None:
            reason += f": {close_reason(client.terminated)}"
        raise Failure(EXIT_CONNECTION, f"{reason} (https://{host}:{port}, UDP)")
    except OSError as exc:
        raise Failure(EXIT_CONNECTION, f"cannot connect to {host}:{port} over UDP: {exc}")


def rate(nbytes, seconds):
    return nbytes / seconds / 1e6 if seconds > 0 else 0.0


def check_response(resp, args, failures):
    """Appends to `failures` every expectation `resp` does not meet."""
    if args.expect_status is not None and resp.status != args.expect_status:
        failures.append(f"status: got {resp.status}, want {args.expect_status}")
    for name, value in args.expect_header:
        values = resp.header_values(name)
        if value is None:
            if not values:
                failures.append(f"header {name}: missing")
        elif value not in values:
            got = " | ".join(values) if values else "missing"
            failures.append(f"header {name}: got {got!r}, want {value!r}")
    if args.expect_bytes is not None and resp.length != args.expect_bytes:
        failures.append(f"body length: got {resp.length}, want {args.expect_bytes}")
    if args.expect_sha256 is not None and resp.sha256.hexdigest() != args.expect_sha256.lower():
        failures.append(f"body sha256: got {resp.sha256.hexdigest()}, want {args.expect_sha256.lower()}")
    if args.expect_body is not None:
        want = args.expect_body.encode()
        if resp.length != len(want) or bytes(resp.kept) != want:
            got = bytes(resp.kept) + (b"..." if resp.length > len(resp.kept) else b"")
            failures.append(f"body: got {got!r}, want {want!r}")


# ----------------------------------------------------------------------------------------


async def cmd_get(args):
    host, port, authority, path = parse_url(args.url)
    method = args.method or ("HEAD" if args.head else "POST" if args.data_file else "GET")
    headers = [parse_header(h, "--header") for h in args.header]
    keep = 0 if args.output else args.print_limit
    if args.expect_body is not None:
        keep = max(keep, len(args.expect_body.encode()) + 1)
    sink = None
    if args.output:
        sink = sys.stdout.buffer if args.output == "-" else open(args.output, "wb")
    activity = Activity()

    async def body(client):
        return await client.request(method, authority, path, headers, args.data_file, keep, sink)

    try:
        resp = await with_timeouts(open_connection(args, host, port, activity, body), activity, args.timeout, args.max_time)
    finally:
        if sink is not None and sink is not sys.stdout.buffer:
            sink.close()
    out = sys.stderr if args.output == "-" else sys.stdout

    if resp.status is not None:
        for s in resp.interim:
            print(f"HTTP/3 {s} (interim)", file=out)
        print(f"HTTP/3 {resp.status}", file=out)
        for k, v in resp.headers:
            print(f"{k}: {v}", file=out)
        print(file=out)
        small = resp.length <= args.print_limit and not args.sha256 and not args.output
        if small and resp.length:
            try:
                text = bytes(resp.kept).decode("utf-8")
            except UnicodeDecodeError:
                text = "(binary body, not shown)\n"
            print(text, end="" if text.endswith("\n") else "\n", file=out)
        for k, v in resp.trailers:
            print(f"trailer {k}: {v}", file=out)
        ttfb = f", headers after {1000 * (resp.headers_at - resp.started):.1f} ms" if resp.headers_at else ""
        print(
            f"body: {resp.length} bytes, sha256 {resp.sha256.hexdigest()}, "
            f"{resp.elapsed:.3f} s, {rate(resp.length, resp.elapsed):.1f} MB/s{ttfb}",
            file=out,
        )
    else:
        print(f"no response head (after {resp.elapsed:.3f} s)", file=out)
    out.flush()

    if resp.connection_error is not None:
        raise Failure(EXIT_CONNECTION, f"{resp.connection_error} (after {resp.length} body bytes)")
    failures = []
    if resp.reset_code is not None:
        msg = f"stream reset by the server: error {error_name(resp.reset_code)} after {resp.length} body bytes"
        if not args.expect_reset:
            raise Failure(EXIT_RESET, msg)
        print(f"ok: {msg} (expected)", file=out)
    elif args.expect_reset:
        failures.append(f"expected the stream to be reset, but it completed (status {resp.status}, {resp.length} bytes)")
    check_response(resp, args, failures)
    if len(failures) == 1:
        raise Failure(EXIT_CHECK, failures[0])
    if failures:
        raise Failure(EXIT_CHECK, f"{len(failures)} checks failed:\n  " + "\n  ".join(failures))


async def cmd_many(args):
    host, port, authority, path = parse_url(args.url)
    method = args.method or ("HEAD" if args.head else "POST" if args.data_file else "GET")
    headers = [parse_header(h, "--header") for h in args.header]
    if args.count < 1:
        raise Failure(EXIT_USAGE, "--count must be at least 1")
    if args.expect_status is None:
        args.expect_status = 200
    keep = len(args.expect_body.encode()) + 1 if args.expect_body is not None else 0
    activity = Activity()
    limit = {}

    async def body(client):
        limit["streams"] = client.max_streams()
        start = time.monotonic()
        resps = await asyncio.gather(
            *(client.request(method, authority, path, headers, args.data_file, keep) for _ in range(args.count))
        )
        return resps, time.monotonic() - start

    resps, elapsed = await with_timeouts(
        open_connection(args, host, port, activity, body), activity, args.timeout, args.max_time
    )
    total = sum(r.length for r in resps)
    statuses = {}
    for r in resps:
        key = r.status if r.reset_code is None and r.connection_error is None else "failed"
        statuses[key] = statuses.get(key, 0) + 1
    summary = ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items(), key=lambda kv: str(kv[0])))
    print(
        f"{args.count} requests on one connection: {summary}; {total} bytes in {elapsed:.3f} s, "
        f"{rate(total, elapsed):.1f} MB/s, {args.count / elapsed:.0f} requests/s"
        + (f" (server allows {limit['streams']} concurrent streams)" if limit.get("streams") else "")
    )
    failures = []
    for r in resps:
        what = f"request on stream {r.stream_id}"
        if r.connection_error is not None:
            failures.append(f"{what}: {r.connection_error}")
        elif r.reset_code is not None:
            failures.append(f"{what}: stream reset, error {error_name(r.reset_code)}")
        else:
            problems = []
            check_response(r, args, problems)
            failures += [f"{what}: {p}" for p in problems]
    if failures:
        shown = failures[:10] + ([f"... and {len(failures) - 10} more"] if len(failures) > 10 else [])
        raise Failure(EXIT_CHECK, f"{len(failures)} of {args.count} requests failed:\n  " + "\n  ".join(shown))


async def run(args):
    def on_error(loop, context):
        # A handshake given up on (--timeout) leaves aioquic a waiter failed with
        # ConnectionError that nobody reads; that is expected, anything else is not.
        if isinstance(context.get("exception"), ConnectionError):
            return
        loop.default_exception_handler(context)

    asyncio.get_running_loop().set_exception_handler(on_error)
    await (cmd_get(args) if args.command == "get" else cmd_many(args))


def build_parser():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("url", help="https://host:port/path")
    common.add_argument("-H", "--header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="request header (repeatable)")
    common.add_argument("-X", "--method", help="request method (default GET; POST with --data-file; HEAD with --head)")
    common.add_argument("--head", action="store_true", help="send HEAD")
    common.add_argument("--data-file", metavar="PATH", help="send this file as the request body (streamed)")
    tls = common.add_mutually_exclusive_group()
    tls.add_argument("-k", "--insecure", action="store_true", help="do not verify the server's certificate")
    tls.add_argument("--cafile", metavar="PEM", help="verify the server's certificate against these CAs")
    common.add_argument("--keylog", metavar="PATH", help="append TLS secrets here (SSLKEYLOGFILE format)")
    common.add_argument("-v", "--verbose", action="store_true", help="aioquic's debug log on stderr")
    common.add_argument("--timeout", type=float, default=30.0, metavar="S",
                        help="fail after S seconds without progress (default 30)")
    common.add_argument("--max-time", type=float, default=0, metavar="S", help="fail after S seconds in all (default: no limit)")
    common.add_argument("--expect-status", type=int, metavar="N")
    common.add_argument("--expect-header", action="append", default=[], metavar="'NAME: VALUE'",
                        help="a response header with exactly this value (or 'NAME' alone: present); repeatable")
    common.add_argument("--expect-body", metavar="TEXT", help="the exact body")
    common.add_argument("--expect-bytes", type=int, metavar="N", help="the body length")
    common.add_argument("--expect-sha256", metavar="HEX", help="the body's SHA-256")

    ap = argparse.ArgumentParser(prog="h3.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    get = sub.add_parser("get", parents=[common], help="one request")
    get.add_argument("--sha256", action="store_true", help="never print the body, only its length and SHA-256")
    get.add_argument("--print-limit", type=int, default=1024, metavar="N",
                     help="print bodies up to N bytes (default 1024)")
    get.add_argument("-o", "--output", metavar="FILE", help="write the body to FILE ('-': stdout; the rest goes to stderr)")
    get.add_argument("--expect-reset", action="store_true",
                     help="the server must reset the request stream (exit 0 when it does)")
    many = sub.add_parser("many", parents=[common], help="N concurrent requests on one connection")
    many.add_argument("--count", type=int, required=True, metavar="N")
    return ap


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.expect_header = [
            (h.strip().lower(), None) if ":" not in h.lstrip(":") else parse_header(h, "--expect-header")
            for h in args.expect_header
        ]
        if args.data_file is not None and not os.path.isfile(args.data_file):
            raise Failure(EXIT_USAGE, f"--data-file {args.data_file!r} is not a file")
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.CRITICAL,
                            format="%(name)s %(levelname)s %(message)s")
        asyncio.run(run(args))
    except Failure as f:
        print(f"h3: FAIL: {f}", file=sys.stderr)
        return f.code
    except KeyboardInterrupt:
        return 130
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
