"""Real local servers standing in for the outside services, for tests and benchmarks.

`FakeServer` (HTTP: webhook receivers, WeCom and DingTalk bots, SMS gateways) listens on
127.0.0.1 in a thread, records every request (path, query, headers, body) and answers from a
script: a list of (status, body) per path, consumed in order, the last one repeated. `keys()`
counts requests per Idempotency-Key, which is how a receiver recognises a retry of something
it already has.

`FakeSMTPServer` (e-mail) speaks enough SMTP for Django's SMTP backend (HELO/EHLO, MAIL,
RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH), records every message it accepts, and
answers a command with a scripted reply instead when told to (a 5xx to RCPT, a 4xx to DATA).
"""

from __future__ import annotations

import email
import email.policy
import json
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Received:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int] = ("", 0)  # the client's address: one per connection

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


@dataclass
class FakeServer:
    answers: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0
    delay: float = 0.0  # seconds to wait before answering (a slow receiver)
    # Close each connection after answering without saying so (as a server whose idle
    # timeout ran out): the client finds out when it sends the next request.
    drop_idle: bool = False

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def script(self, path: str, *answers: tuple[int, Any]) -> None:
        """Answer requests to `path` with these (status, body) in turn (body: bytes, or
        anything JSON-serialisable); the last answer repeats."""
        self.answers[path] = [
            (status, body if isinstance(body, bytes) else json.dumps(body).encode())
            for status, body in answers
        ]

    def answer(self, path: str) -> tuple[int, bytes]:
        with self.lock:
            queue = self.answers.get(path)
            if not queue:
                return 200, b'{"errcode": 0, "Code": "OK"}'
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def keys(self) -> Counter[str]:
        with self.lock:
            return Counter(r.headers.get("Idempotency-Key", "") for r in self.received)

    def connections(self) -> int:
        """How many connections the requests came over."""
        with self.lock:
            return len({r.peer for r in self.received})

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]


def _handler(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # As production servers do on kept-alive connections (nginx's tcp_nodelay): without
        # it the answer's body waits for the client's delayed ACK of its headers (40 ms).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            parts = urlsplit(self.path)
            with server.lock:
                server.received.append(
                    Received(
                        parts.path,
                        parse_qs(parts.query),
                        dict(self.headers.items()),
                        body,
                        (str(self.client_address[0]), int(self.client_address[1])),
                    )
                )
            if server.delay:
                time.sleep(server.delay)
            status, answer = server.answer(parts.path)
            if status == 0:  # garbage: not HTTP at all
                self.wfile.write(answer)
                self.close_connection = True
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            if server.drop_idle:
                self.close_connection = True

        def do_GET(self) -> None:
            # What a receiver in another process saw: requests and distinct idempotency keys.
            keys = server.keys()
            answer = json.dumps({"requests": sum(keys.values()), "keys": len(keys)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    """A FakeServer listening on a free port for the duration of the block."""
    state = FakeServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def serve_forever() -> None:
    """Run a FakeServer in this process until killed, printing its port first (a receiver
    in a process of its own, for benchmarks: no GIL shared with the sender)."""
    import sys

    with fake_server() as state:
        sys.stdout.write(f"{state.port}\n")
        sys.stdout.flush()
        threading.Event().wait()


# --- SMTP ----------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    data: bytes

    def message(self) -> EmailMessage:
        """The message parsed (headers decoded: ``message()["Subject"]`` is plain text)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class FakeSMTPServer:
    received: list[ReceivedMail] = field(default_factory=list)
    # Command ("MAIL", "RCPT", "DATA" for the answer after the message, …) → (code, text)
    # answered instead of accepting it.
    replies: dict[str, tuple[int, str]] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def script(self, command: str, code: int, text: str) -> None:
        """Answer `command` with `code` and `text` from now on (e.g. "RCPT", 550)."""
        with self.lock:
            self.replies[command.upper()] = (code, text)

    def reply(self, command: str, default: tuple[int, str]) -> tuple[int, str]:
        with self.lock:
            self.commands.append(command)
            return self.replies.get(command, default)


def _smtp_handler(server: FakeSMTPServer) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        def say(self, code: int, text: str) -> None:
            self.wfile.write(f"{code} {text}\r\n".encode())
            self.wfile.flush()

        def handle(self) -> None:
            self.say(220, "fake-smtp ready")
            sender, recipients = "", []
            while True:
                line = self.rfile.readline(65536)
                if not line:
                    return
                verb, _sep, argument = line.decode("utf-8", "replace").strip().partition(" ")
                verb = verb.upper()
                if verb in ("HELO", "EHLO"):
                    self.say(*server.reply(verb, (250, "fake-smtp")))
                elif verb == "MAIL":
                    code, text = server.reply(verb, (250, "OK"))
                    sender = argument.partition(":")[2].strip().split(" ")[0].strip("<>")
                    self.say(code, text)
                elif verb == "RCPT":
                    code, text = server.reply(verb, (250, "OK"))
                    if code < 400:
                        recipients.append(argument.partition(":")[2].strip().strip("<>"))
                    self.say(code, text)
                elif verb == "DATA":
                    self.say(354, "end data with <CR><LF>.<CR><LF>")
                    data = bytearray()
                    while True:
                        chunk = self.rfile.readline(1 << 20)
                        if not chunk or chunk in (b".\r\n", b".\n"):
                            break
                        data += chunk[1:] if chunk.startswith(b"..") else chunk
                    code, text = server.reply(verb, (250, "OK: queued"))
                    if code < 400:
                        with server.lock:
                            server.received.append(
                                ReceivedMail(sender, list(recipients), bytes(data))
                            )
                    sender, recipients = "", []
                    self.say(code, text)
                elif verb == "RSET":
                    sender, recipients = "", []
                    self.say(250, "OK")
                elif verb == "NOOP":
                    self.say(250, "OK")
                elif verb == "QUIT":
                    self.say(221, "bye")
                    return
                else:
                    self.say(502, "command not implemented")

    return Handler


class _ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def fake_smtp_server() -> Iterator[FakeSMTPServer]:
    """A FakeSMTPServer listening on a free port of 127.0.0.1 for the duration of the block
    (point EMAIL_HOST/EMAIL_PORT at it, with Django's SMTP backend)."""
    state = FakeSMTPServer()
    smtpd = _ThreadingTCPServer(("127.0.0.1", 0), _smtp_handler(state))
    state.port = smtpd.server_address[1]
    thread = threading.Thread(target=smtpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        smtpd.shutdown()
        smtpd.server_close()
