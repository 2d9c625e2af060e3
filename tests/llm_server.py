"""A scripted OpenAI-compatible chat server on 127.0.0.1 for the LLM briefing tests.

Each POST /v1/chat/completions is answered by the next scripted step (or by the default
responder when the script is empty). A step can fail with a status (429 with Retry-After,
500), stall past the client's timeout, send a malformed body, or stream a text in chunks.
Requests are recorded, so tests can check what the prompts held.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.replay_server import serving


@dataclass
class Step:
    """One scripted answer."""

    status: int = 200
    text: str | None = None  # None: the responder writes it from the request
    stall: float = 0.0  # seconds to wait before the first byte
    delay: float = 0.0  # seconds between streamed chunks
    malformed: bool = False
    headers: dict[str, str] = field(default_factory=dict)


def papers_in(messages: list[dict]) -> list[int]:
    """The paper numbers a prompt offers (from its <papers> JSON block)."""
    block = re.search(r"<papers>\n(.*?)\n</papers>", messages[-1]["content"], re.DOTALL)
    return [item["n"] for item in json.loads(block.group(1))] if block else []


def grounded_reply(messages: list[dict]) -> str:
    """A well-behaved answer citing the first papers offered (with the synthesis separator when asked)."""
    numbers = papers_in(messages)
    first, second = numbers[0], numbers[min(1, len(numbers) - 1)]
    text = f"These papers study related questions [{first}]. They compare methods and report gains [{second}]."
    if "'###'" in messages[-1]["content"]:
        text = f"The period centres on a few themes [{first}].\n###\nMethods move between fields [{second}]."
    return text


class ScriptedLLM:
    """The server's state: the script, the default responder and the requests seen."""

    def __init__(self, responder: Callable[[list[dict]], str] = grounded_reply) -> None:
        self.script: list[Step] = []
        self.responder = responder
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()

    def next_step(self, body: dict[str, Any]) -> Step:
        with self.lock:
            self.requests.append(body)
            return self.script.pop(0) if self.script else Step()


def _handler(llm: ScriptedLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            step = llm.next_step(body)
            time.sleep(step.stall)
            if step.status != 200:
                payload = json.dumps({"error": {"message": f"scripted {step.status}", "type": "scripted"}}).encode()
                self.send_response(step.status)
                for key, value in {"Content-Type": "application/json", **step.headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                return
            text = step.text if step.text is not None else llm.responder(body["messages"])
            if step.malformed:
                self._send(b"<html>gateway says hello</html>", "text/html")
                return
            if not body.get("stream"):
                self._send(json.dumps(_completion(text)).encode(), "application/json")
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in re.findall(r"\S+\s*", text):
                self._chunk(f"data: {json.dumps(_chunk(piece))}\n\n".encode())
                time.sleep(step.delay)
            usage = {"prompt_tokens": sum(len(m["content"]) for m in body["messages"]) // 4,
                     "completion_tokens": len(text) // 4, "total_tokens": 0}
            self._chunk(f"data: {json.dumps({**_chunk(None), 'choices': [], 'usage': usage})}\n\n".encode())
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _send(self, payload: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _chunk(piece: str | None) -> dict[str, Any]:
    delta = {"content": piece} if piece is not None else {}
    return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}


def _completion(text: str) -> dict[str, Any]:
    return {"id": "c1", "object": "chat.completion", "created": 0, "model": "scripted",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}}


@contextmanager
def scripted_llm(responder: Callable[[list[dict]], str] = grounded_reply) -> Iterator[tuple[str, ScriptedLLM]]:
    """Run the scripted server; yield its /v1 base URL and its state."""
    llm = ScriptedLLM(responder)
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), _handler(llm))) as base:
        yield f"{base}/v1", llm
