"""A real OpenAI-compatible HTTP server on loopback, for tests and benchmarks: scripted replies,
configurable latency and deterministic fault injection.

The kit talks to it through its own ``openai-compatible`` backend and the real ``openai`` client, so
everything between ``Agent._call`` and the socket is exercised: retries, timeouts, parsing, usage.

>>> with FakeOpenAIServer(brain=lambda prompt: "Thought.\\nAction: Finish[4]\\nObservation: x") as server:
...     import json, urllib.request
...     body = json.dumps({"model": "m", "prompt": "2+2?", "stop": ["\\nObservation"]}).encode()
...     reply = json.load(urllib.request.urlopen(server.base_url + "/completions", body))
>>> reply["choices"][0]["text"], reply["usage"]["total_tokens"] > 0, server.completions
('Thought.\\nAction: Finish[4]', True, 1)

Faults (:class:`FaultPlan`) are decided by a hash of ``(seed, prompt, attempt number of that
prompt)``: reproducible, independent of concurrency and arrival order, and a retry of a faulted
request is a new attempt that eventually succeeds (at most ``max_faults_per_prompt`` faults in a
row per prompt). Kinds: ``429`` (with ``Retry-After`` and ``retry-after-ms``), ``500``,
``timeout`` (the request is held past the client's timeout, then the connection is closed),
``reset`` (the socket is closed with an RST before any reply) and ``malformed`` (status 200,
a truncated JSON body). Misbehaviours, named explicitly in ``kinds``: ``endless`` (a 200 whose
chunked body never ends), ``drip`` (a good reply sent one byte every ``drip_s`` seconds),
``hang`` (never answered until the server stops) and ``not_text`` (a reply whose text is ``42``). ``reject`` is a predicate on the prompt that answers a non-retryable
``400`` every time (until the plan is replaced: ``server.faults = FaultPlan()``).

Scale drills: ``latency_jitter=0.5`` spreads each reply's latency uniformly over ±50 % (seeded by
the prompt, so a run is reproducible); ``rpm=N`` enforces N completions a minute like a provider
(a token bucket of N/60 a second holding one second's worth; beyond it a ``429`` with
``Retry-After`` and ``retry-after-ms`` saying when the next one fits); ``GET /_latency`` returns the
latency served per question (the text after the prompt's last ``Question: ``), from which a
benchmark computes a question's chain of call latencies.

Run it standalone (e.g. to keep it out of the client's process in a benchmark)::

    python -m agents.testing.fake_server --hotpotqa PATH --latency 0.05 --port 8765
"""
from __future__ import annotations

import hashlib
import json
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterable

FAULT_KINDS = ("429", "500", "timeout", "reset", "malformed")
# Servers that misbehave rather than fail (never drawn unless named in ``kinds``): a 200 whose body
# never ends, a reply dripped a byte every ``drip_s`` seconds, a request never answered (until the
# server stops), a reply whose text is not text (``42``).
MISBEHAVIOURS = ("endless", "drip", "hang", "not_text")


def _approx_tokens(text: str) -> int:
    """The kit's ``approx_token_count`` (~4 characters a token), so usage looks plausible."""
    return max(1, -(-len(text) // 4))


def _cut_at_stop(text: str, stop: Iterable[str] | str | None) -> str:
    """Cut at the earliest stop sequence, as a real server does (the stop text is not returned)."""
    if isinstance(stop, str):
        stop = [stop]
    cut = len(text)
    for marker in stop or ():
        at = text.find(marker) if marker else -1
        if at != -1:
            cut = min(cut, at)
    return text[:cut]


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2 ** 64


@dataclass
class FaultPlan:
    """Which requests fail, and how: ``rate`` of attempts faulted, by kind drawn from ``kinds``.

    - ``seed``: another seed, another (reproducible) set of faulted requests;
    - ``retry_after_s``: the ``Retry-After`` a 429 announces (also sent as ``retry-after-ms``);
    - ``hold_s``: how long a ``timeout`` fault holds the request (longer than the client's timeout);
    - ``max_faults_per_prompt``: attempts of one prompt past this number always succeed;
    - ``reject``: ``prompt -> bool``; True answers ``400`` (non-retryable), never counted as an attempt.

    >>> plan = FaultPlan(rate=0.2, seed=1)
    >>> [plan.decide("p", n) for n in (1, 2, 3)] == [plan.decide("p", n) for n in (1, 2, 3)]
    True
    >>> FaultPlan(rate=0.2).decide("p", 99) is None  # past max_faults_per_prompt
    True
    """

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    seed: int = 0
    retry_after_s: float = 0.02
    hold_s: float = 1.5
    max_faults_per_prompt: int = 3
    reject: Callable[[str], bool] | None = None
    drip_s: float = 2.0

    def __post_init__(self):
        unknown = set(self.kinds) - set(FAULT_KINDS) - set(MISBEHAVIOURS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; use {FAULT_KINDS + MISBEHAVIOURS}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {self.rate}")

    def decide(self, prompt: str, attempt: int) -> str | None:
        """The fault for the ``attempt``-th request of ``prompt`` (1-based), or None to serve it."""
        if not self.kinds or attempt > self.max_faults_per_prompt:
            return None
        if _unit(self.seed, "fault", prompt, attempt) >= self.rate:
            return None
        return self.kinds[int(_unit(self.seed, "kind", prompt, attempt) * len(self.kinds))]


@dataclass
class _State:
    """Counters, shared by the handler threads under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0                  # every HTTP request, /v1/models included
    completions: int = 0               # completion requests received (faulted or not)
    served: int = 0                    # completion requests answered with a good reply
    faults: Counter = field(default_factory=Counter)
    by_endpoint: Counter = field(default_factory=Counter)
    attempts: Counter = field(default_factory=Counter)   # prompt -> attempts so far
    authorization: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    in_flight: int = 0
    max_in_flight: int = 0
    rate_limited: int = 0              # 429s of the server's own rate limit (not injected faults)
    served_per_s: Counter = field(default_factory=Counter)   # second since start -> good replies
    latency_by_question: Counter = field(default_factory=Counter)
    started: float = field(default_factory=time.monotonic)


class _RateLimit:
    """A provider's limit: ``rpm`` a minute as a bucket refilled at rpm/60 a second, holding one
    second's worth. :meth:`take` returns None (go ahead) or the seconds until one fits."""

    def __init__(self, rpm: float):
        self.rate = rpm / 60.0
        self.capacity = max(1.0, self.rate)
        self.level, self.stamp = self.capacity, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> float | None:
        with self.lock:
            now = time.monotonic()
            self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.level >= 1.0:
                self.level -= 1.0
                return None
            return (1.0 - self.level) / self.rate


def _question_of(prompt: str) -> str:
    """The question a prompt is about: the line after its last ``Question: ``."""
    return prompt.rpartition("Question: ")[2].split("\n", 1)[0].strip()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive: the openai client pools connections
    server: "_Server"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes: without TCP_NODELAY, Nagle + delayed ACK
        # add ~40 ms to a reply on a keep-alive connection.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self):
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format, *args):  # quiet: tests and benches print their own figures
        pass

    # -- plumbing ---------------------------------------------------------------------------------
    def _send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self._send_raw(status, body, headers)

    def _send_raw(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": kind, "param": None,
                                           "code": None}}, headers)

    def _reset(self) -> None:
        """Close the socket with an RST (SO_LINGER 0): the client sees a connection reset."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    # -- endpoints --------------------------------------------------------------------------------
    def do_GET(self):
        state = self.server.state
        with state.lock:
            state.requests += 1
            state.by_endpoint[self.path] += 1
            state.authorization[self.headers.get("Authorization")] += 1
        if self.server.api_key is not None and \
                self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
            return self._error(401, "Incorrect API key provided.", "invalid_request_error")
        if self.path == "/_stats":        # counters, for a server run in another process
            return self._send_json(200, self.server.owner.stats())
        if self.path == "/_reset":
            self.server.owner.reset_counters()
            return self._send_json(200, {"reset": True})
        if self.path == "/_latency":      # seconds of latency served, per question
            return self._send_json(200, self.server.owner.latency_by_question())
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [
                {"id": self.server.model_name, "object": "model", "created": 0, "owned_by": "fake"}]})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self):
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.rstrip("/")
        with state.lock:
            state.requests += 1
            state.by_endpoint[path] += 1
            state.authorization[self.headers.get("Authorization")] += 1
        if path not in ("/v1/chat/completions", "/v1/completions"):
            return self._error(404, f"no route {self.path}", "not_found")
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            return self._error(400, "request body is not JSON", "invalid_request_error")
        chat = path.endswith("chat/completions")
        if chat:
            messages = request.get("messages")
            if not isinstance(messages, list) or not messages:
                return self._error(400, "'messages' must be a non-empty list", "invalid_request_error")
            prompt = "\n".join(_content(m.get("content")) for m in messages)
        else:
            prompt = request.get("prompt")
            if isinstance(prompt, list):
                prompt = "".join(map(str, prompt))
            if not isinstance(prompt, str):
                return self._error(400, "'prompt' must be a string", "invalid_request_error")
        if request.get("stream"):
            return self._error(400, "streaming is not supported by the fake server", "invalid_request_error")
        model = request.get("model") or self.server.model_name
        plan: FaultPlan = self.server.faults
        with state.lock:
            state.completions += 1
            state.models[model] += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if self.server.api_key is not None and \
                    self.headers.get("Authorization") != f"Bearer {self.server.api_key}":
                with state.lock:
                    state.faults["401"] += 1
                return self._error(401, "Incorrect API key provided.", "invalid_request_error")
            if plan.reject is not None and plan.reject(prompt):
                with state.lock:
                    state.faults["400"] += 1
                return self._error(400, "This request was rejected (injected 400).", "invalid_request_error")
            limit: _RateLimit | None = self.server.rate_limit
            wait = limit.take() if limit is not None else None
            if wait is not None:
                with state.lock:
                    state.rate_limited += 1
                wait_ms = max(1, int(wait * 1000 + 0.999))
                return self._error(429, "Rate limit reached for requests per minute.", "rate_limit_error",
                                   {"Retry-After": f"{wait_ms / 1000:g}", "retry-after-ms": str(wait_ms)})
            key = (path, hash(prompt))     # not the prompt itself: a long run sends many thousands
            with state.lock:
                state.attempts[key] += 1
                attempt = state.attempts[key]
            fault = plan.decide(prompt, attempt) if plan.rate else None
            if fault is not None:
                with state.lock:
                    state.faults[fault] += 1
                return self._fault(fault, plan, chat)
            latency = self.server.latency_s
            if latency and self.server.latency_jitter:
                latency *= 1 + self.server.latency_jitter * (2 * _unit(plan.seed, "latency", prompt) - 1)
            if latency:
                time.sleep(latency)
            text = _cut_at_stop(str(self.server.brain(prompt)), request.get("stop"))
            usage = {"prompt_tokens": _approx_tokens(prompt), "completion_tokens": _approx_tokens(text)}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            created = int(time.time())
            if chat:
                payload = {"id": f"chatcmpl-{attempt}", "object": "chat.completion", "created": created,
                           "model": model, "usage": usage, "choices": [
                               {"index": 0, "finish_reason": "stop", "logprobs": None,
                                "message": {"role": "assistant", "content": text}}]}
            else:
                payload = {"id": f"cmpl-{attempt}", "object": "text_completion", "created": created,
                           "model": model, "usage": usage, "choices": [
                               {"index": 0, "finish_reason": "stop", "logprobs": None, "text": text}]}
            with state.lock:   # counted before the write: a client that has its reply sees it counted
                state.served += 1
                state.served_per_s[int(time.monotonic() - state.started)] += 1
                state.latency_by_question[_question_of(prompt)] += latency
            self._send_json(200, payload)
        finally:
            with state.lock:
                state.in_flight -= 1

    def _fault(self, fault: str, plan: FaultPlan, chat: bool = False) -> None:
        if fault == "429":
            wait = plan.retry_after_s
            self._error(429, "Rate limit reached (injected).", "rate_limit_error",
                        {"Retry-After": f"{wait:g}", "retry-after-ms": str(int(round(wait * 1000)))})
        elif fault == "500":
            self._error(500, "The server had an error (injected).", "server_error")
        elif fault == "timeout":
            # Hold past the client's timeout (stopping early if the server shuts down), then drop.
            self.server.stopping.wait(plan.hold_s)
            self._reset()
        elif fault == "reset":
            self._reset()
        elif fault == "malformed":
            self._send_raw(200, b'{"id": "cmpl-broken", "object": "text_completion", "choices": [{"te')
        elif fault == "not_text":
            choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": 42}} \
                if chat else {"index": 0, "finish_reason": "stop", "text": 42}
            self._send_json(200, {"id": "cmpl-42", "object": "text_completion", "choices": [choice]})
        elif fault == "hang":
            self.server.stopping.wait()
            self._reset()
        elif fault == "endless":
            self._endless()
        elif fault == "drip":
            self._drip(plan.drip_s, chat)

    def _endless(self) -> None:
        """A 200 whose chunked body never ends (until the client hangs up or the server stops)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
        try:
            self.wfile.write(b'5\r\n{"a":\r\n')
            while not self.server.stopping.is_set():
                self.wfile.write(chunk)
        except OSError:
            pass

    def _drip(self, every_s: float, chat: bool) -> None:
        """A good reply, one byte every ``every_s`` seconds: every read is quick, the whole never."""
        self.close_connection = True
        choice = {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "x"}} \
            if chat else {"index": 0, "finish_reason": "stop", "text": "x"}
        body = json.dumps({"id": "cmpl-drip", "object": "text_completion", "choices": [choice]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.flush()
            for byte in body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                if self.server.stopping.wait(every_s):
                    return
        except OSError:
            pass


def _content(content: object) -> str:
    """A chat message's content: a string, or a list of ``{"type": "text", "text": ...}`` parts."""
    if isinstance(content, list):
        return "".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)
    return "" if content is None else str(content)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False           # never wait on a held (timeout-fault) request at shutdown
    request_queue_size = 4096        # a thousand concurrent connects must not overflow the backlog
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A client that hung up (a stopping run shuts its sockets) is not the server's error."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


class FakeOpenAIServer:
    """``FakeOpenAIServer(brain, latency_s=0.0, faults=FaultPlan(), port=0, model_name="scripted",
    api_key=None)``: a context manager serving on ``127.0.0.1``; ``.base_url`` ends in ``/v1``.

    - ``brain``: ``prompt -> reply``, e.g. ``ScriptedHotpotModel(...).reply_for``; replies are cut
      at the request's ``stop`` sequences;
    - ``latency_s``: sleep before every good reply (handler threads sleep in parallel);
      ``latency_jitter``: ±that fraction, uniform, seeded by the prompt;
    - ``rpm``: the server's own rate limit (429 with ``Retry-After`` beyond it);
    - ``api_key``: when set, a request without ``Authorization: Bearer <api_key>`` gets 401;
    - counters: ``requests``, ``completions``, ``served``, ``faults`` (by kind),
      ``authorization`` (header values seen), ``max_in_flight``; :meth:`stats` returns them all
      (also served as ``GET /_stats``; ``GET /_reset`` zeroes them, for a server in another process).
    """

    def __init__(self, brain: Callable[[str], str], latency_s: float = 0.0,
                 faults: FaultPlan | None = None, port: int = 0, model_name: str = "scripted",
                 api_key: str | None = None, latency_jitter: float = 0.0, rpm: float | None = None):
        if not 0.0 <= latency_jitter <= 1.0:
            raise ValueError(f"latency_jitter is a fraction in [0, 1], got {latency_jitter!r}")
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.brain = brain
        self._httpd.latency_s = latency_s
        self._httpd.latency_jitter = latency_jitter
        self._httpd.rate_limit = _RateLimit(rpm) if rpm else None
        self._httpd.faults = faults or FaultPlan()
        self._httpd.model_name = model_name
        self._httpd.api_key = api_key
        self._httpd.state = _State()
        self._httpd.stopping = threading.Event()
        self._httpd.connections = set()
        self._httpd.connections_lock = threading.Lock()
        self._httpd.owner = self
        self._thread: threading.Thread | None = None

    # configuration that tests change between runs (e.g. heal the server before a resume)
    @property
    def faults(self) -> FaultPlan:
        return self._httpd.faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self._httpd.faults = plan

    @property
    def latency_s(self) -> float:
        return self._httpd.latency_s

    @latency_s.setter
    def latency_s(self, value: float) -> None:
        self._httpd.latency_s = value

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "FakeOpenAIServer":
        if self._thread is None:
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"fake-openai-{self.port}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, and drop the connections open now: a stopped server answers nothing
        (kept-alive connections included), as a crashed one."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        with self._httpd.connections_lock:
            live = list(self._httpd.connections)
        for connection in live:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> "FakeOpenAIServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- counters ---------------------------------------------------------------------------------
    def __getattr__(self, name: str):
        state = self.__dict__["_httpd"].state
        if name in ("requests", "completions", "served", "faults_injected", "authorization",
                    "models", "max_in_flight", "by_endpoint"):
            with state.lock:
                value = state.faults if name == "faults_injected" else getattr(state, name)
                return value.copy() if isinstance(value, Counter) else value
        raise AttributeError(name)

    def stats(self) -> dict:
        state = self._httpd.state
        with state.lock:
            return {"requests": state.requests, "completions": state.completions, "served": state.served,
                    "faults": dict(state.faults), "faulted": sum(state.faults.values()),
                    "max_in_flight": state.max_in_flight, "by_endpoint": dict(state.by_endpoint),
                    "rate_limited": state.rate_limited,
                    "served_per_s": {str(k): v for k, v in sorted(state.served_per_s.items())}}

    def latency_by_question(self) -> dict[str, float]:
        """Seconds of latency served per question (see the module notes)."""
        with self._httpd.state.lock:
            return dict(self._httpd.state.latency_by_question)

    def reset_counters(self) -> None:
        """Zero the counters and the per-prompt attempt numbers (the fault plan starts over)."""
        self._httpd.state = _State()


class FakeOpenAIServerProcess:
    """The same server in a child process (``python -m agents.testing.fake_server``), so that its
    request handling does not share the client's GIL (benchmarks). Scripted HotPotQA brain over
    the file at ``hotpotqa`` (``questions=N``: the :func:`scale_questions` derived from it);
    ``stats()`` / ``reset_counters()`` go over HTTP; bounded in time; ``kill()`` crashes it and
    entering it again restarts it on the same port.
    """

    def __init__(self, hotpotqa: str, latency_s: float = 0.0, fault_rate: float = 0.0, seed: int = 0,
                 max_seconds: float = 900.0, latency_jitter: float = 0.0, rpm: float | None = None,
                 port: int = 0, questions: int | None = None):
        import subprocess
        import sys
        from pathlib import Path
        self._command = [sys.executable, str(Path(__file__).resolve()), "--hotpotqa", str(hotpotqa),
                         "--latency", str(latency_s), "--fault-rate", str(fault_rate), "--seed", str(seed),
                         "--max-seconds", str(max_seconds), "--latency-jitter", str(latency_jitter),
                         "--port", str(port)] + (["--rpm", str(rpm)] if rpm else []) + (
                            ["--questions", str(questions)] if questions else [])
        self._subprocess = subprocess
        self._child = None
        self.base_url = ""

    def __enter__(self) -> "FakeOpenAIServerProcess":
        self._child = self._subprocess.Popen(self._command, stdin=self._subprocess.PIPE,
                                             stdout=self._subprocess.PIPE, text=True)
        line = self._child.stdout.readline().strip()   # the child prints its base URL when serving
        if not line.startswith("http://127.0.0.1:"):
            self.__exit__()
            raise RuntimeError(f"the fake server process did not start (said {line!r})")
        self.base_url = line
        # the same port on a restart (a pool's server coming back where it was)
        self._command[self._command.index("--port") + 1] = line.rsplit(":", 1)[1].split("/")[0]
        return self

    def kill(self) -> None:
        """SIGKILL the server (a crash: connections drop, nothing is answered); ``__enter__``
        starts it again on the same port."""
        if self._child is not None:
            self._child.kill()
            self._child.wait(timeout=10)
            self._child.stdin.close()
            self._child.stdout.close()
            self._child = None

    def __exit__(self, *exc) -> None:
        if self._child is not None:
            self._child.stdin.close()                  # the child stops when its stdin closes
            try:
                self._child.wait(timeout=10)
            except self._subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait(timeout=10)
            self._child = None

    def _get(self, path: str) -> dict:
        import urllib.request
        root = self.base_url.rsplit("/v1", 1)[0]
        with urllib.request.urlopen(root + path, timeout=10) as reply:
            return json.load(reply)

    def stats(self) -> dict:
        return self._get("/_stats")

    def latency_by_question(self) -> dict[str, float]:
        return self._get("/_latency")

    def reset_counters(self) -> None:
        self._get("/_reset")


def scale_questions(records, n: int) -> list[dict]:
    """``n`` distinct HotPotQA-schema questions from ``records`` (a list of dicts or the DataFrame of
    ``load_hotpotqa``), for scale drills: the originals first, then copies whose id and question
    text carry ``-r<k>`` / ``(r<k>)``; the context is shared, so the scripted model searches the same
    pages, and solves each copy at its own trial (its trial comes from a hash of the question).

    >>> rows = [{"id": "a", "question": "Who?", "answer": "x", "context": {"title": ["T"], "sentences": [["s"]]}}]
    >>> [(r["id"], r["question"]) for r in scale_questions(rows, 3)]
    [('a', 'Who?'), ('a-r1', 'Who? (r1)'), ('a-r2', 'Who? (r2)')]
    """
    records = list(records.to_dict("records") if hasattr(records, "to_dict") else records)
    out = []
    for k in range(n):
        base, copy = records[k % len(records)], k // len(records)
        out.append(base if copy == 0 else {**base, "id": f"{base['id']}-r{copy}",
                                           "question": f"{base['question']} (r{copy})"})
    return out


def scripted_brain(records) -> Callable[[str], str]:
    """The server's brain over HotPotQA records: :class:`agents.testing.scripted.ScriptedHotpotModel`."""
    from agents.testing.scripted import ScriptedHotpotModel
    return ScriptedHotpotModel.from_records(records).reply_for


def _main(argv: list[str] | None = None) -> None:
    import argparse
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    parser = argparse.ArgumentParser(description="Serve scripted HotPotQA replies on 127.0.0.1.")
    parser.add_argument("--hotpotqa", default=os.environ.get("HOTPOTQA_PATH"), required=False)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop by itself after this long")
    parser.add_argument("--latency-jitter", type=float, default=0.0, help="latency +- this fraction")
    parser.add_argument("--rpm", type=float, default=None, help="the server's own limit (429 beyond)")
    parser.add_argument("--questions", type=int, default=None, help="serve N scale_questions of the file")
    args = parser.parse_args(argv)
    from agents.tasks.hotpotqa.data import load_hotpotqa
    done = threading.Event()

    def watch_stdin() -> None:  # the parent closes our stdin (or dies) to stop us
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    records = load_hotpotqa(args.hotpotqa)
    if args.questions:
        records = scale_questions(records, args.questions)
    with FakeOpenAIServer(scripted_brain(records), latency_s=args.latency,
                          faults=FaultPlan(rate=args.fault_rate, seed=args.seed), port=args.port,
                          latency_jitter=args.latency_jitter, rpm=args.rpm) as server:
        print(server.base_url, flush=True)
        done.wait(args.max_seconds)  # bounded: stops by itself after --max-seconds


if __name__ == "__main__":
    _main()
