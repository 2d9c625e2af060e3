"""A local HTTP server that replays scripted replies and records what it was asked."""

from __future__ import annotations

import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted answer: a status with headers and body, after an optional delay, or a broken one."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset_after: int | None = None  # send this many body bytes of a longer promised body, then drop


@dataclass
class Seen:
    """A request as the server received it."""

    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class ReplayServer:
    """Answers each path from its own queue of replies (the last reply repeats)."""

    def __init__(self) -> None:
        self.scripts: dict[str, deque[Reply | Callable[[Seen], Reply]]] = defaultdict(deque)
        self.seen: list[Seen] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                request = Seen(parts.path, parse_qs(parts.query), dict(self.headers))
                server.seen.append(request)
                queue = server.scripts[parts.path]
                reply = queue.popleft() if len(queue) > 1 else (queue[0] if queue else Reply(404))
                if callable(reply):
                    reply = reply(request)
                time.sleep(reply.delay)
                if reply.reset_after is not None:
                    self.send_response(reply.status)
                    self.send_header("Content-Length", str(len(reply.body) + 100_000))
                    self.end_headers()
                    self.wfile.write(reply.body[: reply.reset_after])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def do_POST(self) -> None:  # a webhook: the body is read and dropped, the path's script answers
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, path: str, *replies: Reply | Callable[[Seen], Reply]) -> None:
        """Set the replies of a path (replacing what was left of its previous script)."""
        self.scripts[path] = deque(replies)

    def requests_to(self, path: str) -> list[Seen]:
        """What was asked of one path, in order."""
        return [s for s in self.seen if s.path == path]


@contextmanager
def serving(httpd: ThreadingHTTPServer) -> Iterator[str]:
    """Serve an HTTP server in a thread for the duration of the block; yield its base URL.

    Handler errors are not printed: a client that gave up (a timeout test) leaves a broken pipe
    behind, which would otherwise land in whichever test's captured output runs next.
    """
    httpd.daemon_threads = True
    httpd.handle_error = lambda _request, _address: None  # type: ignore[method-assign]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def replay_server() -> Iterator[ReplayServer]:
    """Run a ReplayServer in a thread for the duration of the block."""
    server = ReplayServer()
    with serving(server.httpd):
        yield server
