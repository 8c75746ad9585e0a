"""OpenAI and OpenAI-compatible HTTP backends (vLLM, llama.cpp's server, Ollama, LM Studio, ...).

Both hold their key and base URL in the real ``openai`` client (its own retries switched off: a
backend here sends one request and :meth:`~OpenAICompatibleLLM.classify` says what a failure means;
the retry policy is :mod:`agents.llm.retry`'s, the same for every backend, tested against loopback
servers). The ``/models`` check and HTTPS go through that client; completions to a plain ``http://``
server (vLLM, llama.cpp, the fake server: the hot loop of a large run) go through a lean path,
one keep-alive socket per thread and server, replies parsed by ``http.client``: ~0.15 ms of CPU a
call against ~0.9 ms through the client (``http_client="openai"`` keeps the client for those too).

- Retryable: 429 (waiting as long as ``retry-after-ms`` / ``Retry-After`` asks), 408, 409, 5xx,
  timeouts, connection errors and malformed (non-JSON) replies; exponential backoff with jitter,
  at most ``max_retries`` retries.
- Anything else (400, 401, 403, 404, 422, a reply past ``max_reply_bytes``) raises at once.
- A 429 is the server pacing us, not a failure: it has its own budget (``max_rate_limited``).
- With a :class:`~agents.llm.limits.Limiter` (``limiter=``, ``rpm=``/``tpm=``, or the run's own),
  every request waits for it, a 429 pauses every caller, and 429s and timeouts shrink the calls
  allowed in flight (see :mod:`agents.llm.limits`).
- Either way the failure is an :class:`~agents.llm.LLMCallError` naming the backend, the status and
  a short reason. The API key lives only inside the ``openai`` client: it is in no attribute,
  ``repr``, :meth:`identity` or error message of ours.

Token counts come from the reply's ``usage`` (with OpenAI's ``cached_tokens``), else from
:func:`~agents.llm.approx_token_count`: no tokenizer is downloaded (no tiktoken), so counting works
offline and a dry run needs neither a key nor a network.

Which endpoint (``endpoint=``):

- ``openai-compatible`` posts to ``/completions`` by default: the kit's prompts are completion-style
  transcripts with few-shots (``Thought 1: ... Action 1: ...``) that the model must *continue*. The
  chat endpoint wraps them in the model's chat template as one user turn, and a base model (the
  embedded Gemma 3 270M, most GGUFs served for research) then answers the "user" instead of
  continuing the transcript: 0/10 where the same model scored 2/10 on raw text. vLLM, llama.cpp,
  Ollama and LM Studio all serve ``/completions``; pass ``endpoint="chat"`` (``--endpoint chat``)
  for an instruction-tuned model, or a server that offers only chat.
- ``openai`` posts to ``/chat/completions`` by default: OpenAI's current models are chat-only
  (``endpoint="completions"`` remains for ``gpt-3.5-turbo-instruct``, ``davinci-002``).

The endpoint changes what a model answers, so it is part of :meth:`~OpenAICompatibleLLM.identity`
(the response cache's key).

Keys: ``openai:`` needs ``OPENAI_API_KEY`` only at the first real call or at
:meth:`~OpenAICompatibleLLM.check_reachable` (the runner's check before the first attempt), never to
be built; ``openai-compatible:`` never needs one (a placeholder is sent when none is set).

``openai`` is imported when a backend is built, not when this module is imported.
"""
from __future__ import annotations

import copy
import difflib
import heapq
import http.client
import json
import os
import select
import socket
import threading
import time
import urllib.request
from dataclasses import replace
from typing import Any, Callable
from urllib.parse import urlsplit

from .base import (DEFAULT_MAX_TOKENS, LLM, Cancelled, Completion, LLMCallError, approx_token_count,
                   check_cancelled, draw_seed, interruptible_sleep, jsonable, on_shutdown, shutdown_requested)
from .limits import Limiter
from .retry import MAX_RETRY_AFTER_S as _DEFAULT_MAX_RETRY_AFTER_S
from .retry import Decision, RefusalStreak, RetryPolicy, retry_after_of, short

OPENAI_BASE_URL = "https://api.openai.com/v1"
MAX_RETRY_AFTER_S = _DEFAULT_MAX_RETRY_AFTER_S  # the policy's cap, read at each call (tests shorten it)
_RefusalStreak = RefusalStreak                  # the older name
_retry_after, _short = retry_after_of, short    # the older names
PLACEHOLDER_KEY = "not-needed"                 # local servers ignore the key; the client wants one
ENDPOINTS = ("completions", "chat")
LISTED_MODELS = 10                             # names shown when a model is not served (OpenAI lists ~100)
HTTP_CLIENTS = ("auto", "openai", "lean")


class _Malformed(Exception):
    """A 200 reply we cannot read (truncated JSON, no choices): retried like a server error."""


def _import_openai():
    try:
        import openai
    except ImportError as exc:
        raise ImportError("the openai backends need the openai package: "
                          "pip install -r requirements.txt") from exc
    return openai


def _public_url(url: str) -> str:
    """``url`` without credentials or query (``http://user:pw@h:8000/v1?k=x`` -> ``http://h:8000/v1``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}".rstrip("/")


def _serves(models: list[str], model: str) -> bool:
    """Whether a server listing ``models`` serves ``model``; Ollama lists ``name:latest`` for ``name``.

    >>> _serves(["gemma-3-270m"], "gemma"), _serves(["llama3:latest"], "llama3")
    (False, True)
    """
    return model in models or (":" not in model and f"{model}:latest" in models)


def _connection_reason(exc: BaseException) -> str:
    """'connection refused', 'timed out', ... from an ``APIConnectionError`` and its cause."""
    detail = f"{exc} {exc.__cause__ or ''} {getattr(exc.__cause__, '__cause__', '') or ''}".lower()
    for needle, reason in (("refused", "connection refused"), ("timed out", "timed out"),
                           ("timeout", "timed out"), ("reset", "connection reset"),
                           ("name or service not known", "unknown host"),
                           ("nodename nor servname", "unknown host"),
                           ("no address associated", "unknown host"),
                           ("unreachable", "network unreachable"),
                           ("closed connection", "connection closed")):
        if needle in detail:
            return reason
    return _short(exc.__cause__ or exc, 120)


class _HTTPStatus(Exception):
    """A reply of the lean path with a status >= 400: the status, its headers, its JSON body."""

    def __init__(self, status: int, headers: Any, body: Any, text: str):
        super().__init__(f"HTTP {status}: {text[:200]}")
        self.status_code, self.headers, self.body, self.message = status, headers, body, text


def _lean_target(base_url: str) -> tuple[str, int, str] | None:
    """``(host, port, path)`` for the lean path: plain ``http`` without a proxy; else None
    (HTTPS and proxies stay with the ``openai`` client, which knows them).

    >>> _lean_target("http://127.0.0.1:8000/v1/"), _lean_target("https://api.openai.com/v1")
    (('127.0.0.1', 8000, '/v1'), None)
    """
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname or parts.username:
        return None
    proxies = urllib.request.getproxies_environment()
    if proxies.get("http") and not urllib.request.proxy_bypass_environment(parts.hostname, proxies):
        return None
    return parts.hostname, parts.port or 80, parts.path.rstrip("/")


class _TooLarge(Exception):
    """A reply body past ``max_reply_bytes``: a server streaming without end, not a completion."""


class _Deadlines:
    """One thread that shuts a socket whose request ran past its total deadline (or all of them
    when the run stops): a reply dripped a byte every few seconds, or headers that never come,
    cannot hold a call longer than ``timeout`` even though each read is quick.

    Entries are ``[deadline, id, socket, active, fired]``; a finished request marks its entry
    inactive (no removal from the heap: the thread drops it when its time comes).
    """

    def __init__(self) -> None:
        self._heap: list[list[Any]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._live: set[int] = set()
        self._entries: dict[int, list[Any]] = {}

    def watch(self, sock: Any, deadline: float) -> list[Any]:
        entry = [deadline, id(sock), sock, True, False]
        with self._cond:
            heapq.heappush(self._heap, entry)
            self._entries[id(entry)] = entry
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="reinagent-deadlines", daemon=True)
                self._thread.start()
            if self._heap[0] is entry:
                self._cond.notify()
        return entry

    def done(self, entry: list[Any]) -> None:
        with self._cond:
            entry[3] = False
            self._entries.pop(id(entry), None)

    def abort_all(self) -> None:
        """Shut every socket still waiting for a reply (the run is stopping)."""
        with self._cond:
            entries = list(self._entries.values())
        for entry in entries:
            _shut(entry[2])

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                entry = self._heap[0]
                wait = entry[0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
                heapq.heappop(self._heap)
                expired = entry[3]
                entry[4] = expired
                self._entries.pop(id(entry), None)
            if expired:
                _shut(entry[2])


def _shut(sock: Any) -> None:
    """Wake a thread blocked reading ``sock``: shutting it makes the read end at once."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_DEADLINES = _Deadlines()
on_shutdown(_DEADLINES.abort_all)


class _LeanHTTP:
    """POST JSON over a plain socket, the reply parsed by ``http.client.HTTPResponse``: one
    keep-alive connection per (thread, server), ``TCP_NODELAY``, the request in one ``send``,
    dropped after any failure. A connection the server closed while idle (keep-alive timeouts)
    is seen before sending (its socket reads as ready) and replaced, so no request is sent twice.

    Each request has a total deadline (``timeout``: connect, send and the whole reply) and a
    reply larger than ``max_bytes`` is refused; a run that stops shuts the sockets in use."""

    def __init__(self) -> None:
        self._local = threading.local()

    def post(self, target: tuple[str, int, str], path: str, body: bytes, headers: str,
             timeout: float, max_bytes: int = 16 << 20) -> Any:
        socks = self._local.__dict__.setdefault("socks", {})
        key = (target[0], target[1])
        sock = socks.pop(key, None)
        if sock is not None and _readable(sock):
            sock.close()           # closed (or talking) while idle: not reusable
            sock = None
        deadline = time.monotonic() + timeout
        watch = None
        try:
            check_cancelled()
            if sock is None:
                sock = socket.create_connection((target[0], target[1]), timeout=timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(timeout)
            watch = _DEADLINES.watch(sock, deadline)
            host = f"[{target[0]}]" if ":" in target[0] else target[0]   # an IPv6 literal
            sock.sendall(f"POST {target[2]}{path} HTTP/1.1\r\nHost: {host}:{target[1]}\r\n"
                         f"Content-Length: {len(body)}\r\n{headers}\r\n".encode("latin-1") + body)
            reply = http.client.HTTPResponse(sock, method="POST")
            reply.begin()
            declared = reply.getheader("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise _TooLarge(f"the reply declares {int(declared):,} bytes (more than {max_bytes:,})")
            chunks, size = [], 0
            while True:
                chunk = reply.read(65536)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _TooLarge(f"the reply passed {max_bytes:,} bytes without ending")
                chunks.append(chunk)
            if watch[4]:   # the deadline shut the socket: what came is a cut reply, not a reply
                raise TimeoutError(f"no complete reply within {timeout:g} s")
            raw = b"".join(chunks)
        except BaseException as error:
            if sock is not None:
                sock.close()
            if shutdown_requested():
                raise Cancelled("the run is stopping") from None
            if time.monotonic() >= deadline and not isinstance(error, _TooLarge):
                raise TimeoutError(f"no complete reply within {timeout:g} s") from None
            raise
        finally:
            if watch is not None:
                _DEADLINES.done(watch)
        if reply.will_close:
            sock.close()
        else:
            socks[key] = sock
        if reply.status >= 400:
            text = raw.decode("utf-8", "replace")
            try:
                payload = json.loads(text)
            except ValueError:
                payload = None
            raise _HTTPStatus(reply.status, reply.headers, payload, text)
        return json.loads(raw)


_LEAN = _LeanHTTP()


def _readable(sock: Any) -> bool:
    """Whether an idle socket has something to read: EOF (the server closed it) or stray bytes.
    ``poll``, not ``select``: a run of a thousand workers holds descriptors past select's 1024."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class OpenAICompatibleLLM(LLM):
    """Any server speaking the OpenAI API: ``OpenAICompatibleLLM(model, base_url=...)``.

    - ``model``: the served model's name; None asks the server (``GET /models``, the first one);
    - ``base_url``: required, e.g. ``http://localhost:8000/v1`` (``--base-url`` on the command line);
    - ``api_key``: default ``$OPENAI_API_KEY``, else a placeholder (local servers ignore it);
    - ``endpoint``: ``"completions"`` (default here) sends the raw prompt to ``/completions``;
      ``"chat"`` sends it as one user message to ``/chat/completions`` (see the module's notes);
      ``chat=True``/``False`` is the older spelling of the same choice;
    - ``timeout``: the total seconds one request may take (connect, send, the whole reply: a reply
      dripped byte by byte is cut there too); ``max_reply_bytes``: a longer reply is refused
      (a body that never ends); ``max_retries``: retries after the first try;
    - ``max_refusals``: after this many connection refusals in a row (no success between, over
      at least ``refused_for_s`` seconds) the server is taken for dead:
      :class:`~agents.llm.base.ServerUnreachable` stops the run instead of retrying each sample;
      ``backoff_base`` / ``backoff_cap``: the exponential backoff's first delay and ceiling;
      ``max_rate_limited``: 429s waited out (as long as each asks) before giving up;
    - ``limiter``: a shared :class:`~agents.llm.limits.Limiter` (or ``rpm=`` / ``tpm=`` to build
      one); the runner gives every model of a run the same one;
    - ``http_client``: ``"auto"`` (lean path for plain http, see the module), ``"openai"``, ``"lean"``;
    - ``context_window``: the model's context in tokens, for the agents' budgeting.

    Building one sends nothing: :meth:`check_reachable` (the runner calls it before the first
    attempt) checks the server and that it serves ``model``.

    >>> OpenAICompatibleLLM("m", base_url="http://127.0.0.1:8080/v1", endpoint="chat")
    OpenAICompatibleLLM(model='m', base_url='http://127.0.0.1:8080/v1', endpoint='chat')
    >>> OpenAICompatibleLLM("m")
    Traceback (most recent call last):
    ...
    ValueError: openai-compatible:m needs the server's URL: pass --base-url, e.g. http://localhost:8000/v1 (base_url= in Python); `python -m agents serve` starts one for a GGUF model
    """

    backend = "openai-compatible"
    default_endpoint = "completions"  # the kit's prompts are transcripts to continue (module notes)
    max_stop_sequences = 4            # OpenAI's limit; the base class cuts the rest client-side

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, temperature: float = 0.0,
                 max_tokens: int = DEFAULT_MAX_TOKENS, timeout: float = 60.0, max_retries: int = 6,
                 endpoint: str | None = None, chat: bool | None = None, backoff_base: float = 0.5,
                 backoff_cap: float = 30.0, context_window: int = 8192, connect_timeout: float = 3.0,
                 extra_body: dict[str, Any] | None = None, max_rate_limited: int = 30,
                 limiter: Limiter | None = None, rpm: float | None = None, tpm: float | None = None,
                 http_client: str = "auto", sleep: Callable[[float], None] = interruptible_sleep,
                 max_reply_bytes: int = 16 << 20, max_refusals: int = 6, refused_for_s: float = 5.0):
        if not base_url:
            raise ValueError(f"{self.backend}:{model or '<model>'} needs the server's URL: pass "
                             "--base-url, e.g. http://localhost:8000/v1 (base_url= in Python); "
                             "`python -m agents serve` starts one for a GGUF model")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if http_client not in HTTP_CLIENTS:
            raise ValueError(f"http_client must be one of {HTTP_CLIENTS}, got {http_client!r}")
        if limiter is not None and (rpm or tpm):
            raise ValueError("pass limiter= or rpm=/tpm=, not both (the limiter has its own rates)")
        self.endpoint = self._pick_endpoint(endpoint, chat)
        openai = _import_openai()
        import httpx  # the openai client's own transport: always installed with it

        self._openai, self._httpx = openai, httpx
        self.base_url = str(base_url).rstrip("/")
        self.model = model or None
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.timeout = float(timeout)
        self.context_window = int(context_window)
        self.connect_timeout = float(connect_timeout)
        self.extra_body = dict(extra_body or {})
        self.limiter = limiter if limiter is not None else (Limiter(rpm, tpm) if rpm or tpm else None)
        self.http_client = http_client
        self.max_reply_bytes = int(max_reply_bytes)
        # The one retry policy (agents.llm.retry), with this backend's settings; the requests
        # themselves have their own total deadline (timeout), so the policy sets none.
        self._policy = RetryPolicy(max_retries=int(max_retries), max_rate_limited=int(max_rate_limited),
                                   backoff_base=float(backoff_base), backoff_cap=float(backoff_cap),
                                   max_refusals=int(max_refusals), refused_for_s=float(refused_for_s),
                                   sleep=sleep)
        # Shared by this model's copies (with_limiter): refusals are the server's state, not a copy's.
        self._refusals = RefusalStreak(int(max_refusals), float(refused_for_s))
        self._model_lock = threading.Lock()
        self._lean_route: tuple[Any, Any] | None = None   # (client, target) of the last request
        # The key goes into the client and nowhere else. Without one the client still needs a
        # string: the placeholder (a backend that must have a real key checks before each use).
        self._client = openai.OpenAI(
            base_url=self.base_url, timeout=self.timeout, max_retries=0,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY)

    def _pick_endpoint(self, endpoint: str | None, chat: bool | None) -> str:
        """``endpoint``, else the older ``chat`` flag, else this backend's default."""
        from_chat = None if chat is None else ("chat" if chat else "completions")
        if endpoint is not None and from_chat is not None and endpoint != from_chat:
            raise ValueError(f"endpoint={endpoint!r} contradicts chat={chat!r}: pass endpoint= alone")
        chosen = endpoint or from_chat or self.default_endpoint
        if chosen not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {chosen!r}: use 'completions' (raw prompt, base "
                             "models) or 'chat' (one user message, chat models)")
        return chosen

    @property
    def chat(self) -> bool:
        """True when prompts go to ``/chat/completions`` (the older spelling of ``endpoint``)."""
        return self.endpoint == "chat"

    @property
    def retry_policy(self) -> RetryPolicy:
        """This backend's policy; its cap on ``Retry-After`` is :data:`MAX_RETRY_AFTER_S` now."""
        policy = self._policy
        return policy if policy.max_retry_after == MAX_RETRY_AFTER_S else replace(policy, max_retry_after=MAX_RETRY_AFTER_S)

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry``: see :meth:`~agents.llm.retry.RetryPolicy.backoff`."""
        return self.retry_policy.backoff(retry, retry_after)

    def with_limiter(self, limiter: Limiter | None) -> "OpenAICompatibleLLM":
        """This model (same client, same server) sending through ``limiter``: a run shares one
        limiter among all its models without changing the caller's objects."""
        twin = copy.copy(self)
        twin.limiter = limiter
        return twin

    # -- naming -----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The model's name (asked from the server on first use when not given)."""
        return self._resolve_model()

    @property
    def label(self) -> str:
        """``backend:model`` for messages; never triggers a request."""
        return f"{self.backend}:{self.model or '?'}"

    @property
    def where(self) -> str:
        """The server's URL, without credentials."""
        return _public_url(self.base_url)

    def identity(self) -> dict[str, Any]:
        """Backend, server (no credentials), model, endpoint and every sampling setting (the
        ``extra_body`` sent with each request too: seed, top_p, ...): the response cache's key
        (the same prompt through the chat template is another question)."""
        identity = {"backend": self.backend, "base_url": _public_url(self.base_url), "model": self.name,
                    "endpoint": self.endpoint, "temperature": self.temperature,
                    "max_tokens": self.max_tokens}
        if self.extra_body:
            identity["extra_body"] = jsonable(self.extra_body)
        return identity

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(model={self.model!r}, base_url={_public_url(self.base_url)!r}, "
                f"endpoint={self.endpoint!r})")

    # -- reachability -----------------------------------------------------------------------------
    def _check_key(self) -> None:
        """Raise if this backend cannot be used without a key it lacks (OpenAI's does: see there)."""

    def _list_models(self) -> list[str]:
        client = self._client.with_options(timeout=self.connect_timeout, max_retries=0)
        return [entry.id for entry in client.models.list().data]

    def check_reachable(self) -> None:
        """Fail fast (a ~3 s ``GET /models``) when the server is down, rejects the key, or does not
        serve ``model`` (the error lists what it serves).

        A server that answers at all is reachable: one that does not implement ``/models`` is
        taken at its word (fine unless ``model`` was left for the server to name). The endpoint
        the run will post to is probed too (an invalid request: refused as such where the route
        exists, 404 where it does not), so a base URL without ``/v1`` fails here, with the fix,
        not in every attempt.
        """
        self._check_key()
        where = _public_url(self.base_url)
        try:
            models = self._list_models()
        except self._openai.APIConnectionError as exc:
            raise LLMCallError(f"cannot reach {where}: {_connection_reason(exc)}",
                               backend=self.backend, status="connection") from None
        except self._openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise LLMCallError(self._scrub(f"{self.label} at {where} refused the API key: HTTP "
                                               f"{exc.status_code}; check OPENAI_API_KEY"),
                                   backend=self.backend, status=exc.status_code) from None
            if self.model is None:
                raise LLMCallError(f"{where} did not list its models (HTTP {exc.status_code}); "
                                   f"name the model: --llm {self.backend}:<model>",
                                   backend=self.backend, status=exc.status_code) from None
            return self._probe_endpoint(where)
        except (ValueError, TypeError, AttributeError, self._openai.APIResponseValidationError):
            if self.model is None:
                raise LLMCallError(f"{where} answered /models with something unreadable; "
                                   f"name the model: --llm {self.backend}:<model>",
                                   backend=self.backend, status="malformed") from None
            return self._probe_endpoint(where)
        if self.model is None:
            self._set_model_from(models, where)
        elif models and not _serves(models, self.model):
            raise LLMCallError(self._unknown_model(models, where), backend=self.backend,
                               status="unknown-model")
        self._probe_endpoint(where)

    def _probe_endpoint(self, where: str) -> None:
        """POST an invalid body to the endpoint the run uses: a server with the route refuses it as
        invalid (400, 422) without generating anything; one without answers 404 (or 405), which is
        a wrong base URL or endpoint, said here with the fix. OpenAI's own API is not probed."""
        if where == OPENAI_BASE_URL:
            return
        path = "/chat/completions" if self.chat else "/completions"
        client = self._client.with_options(timeout=self.connect_timeout, max_retries=0)
        # Invalid on purpose (the text to answer is a number): refused before any generation.
        body = {"model": self.model or "", "messages" if self.chat else "prompt": 0, "max_tokens": 1}
        try:
            client.post(path, body=body, cast_to=self._httpx.Response)
        except self._openai.APIStatusError as exc:
            if exc.status_code not in (404, 405):
                return
            if not where.endswith("/v1"):
                fix = (f"the base URL of an OpenAI-compatible server usually ends in /v1: try "
                       f"--base-url {where}/v1")
            elif not self.chat:
                fix = "if the server offers only the chat endpoint, use --endpoint chat"
            else:
                fix = "if the server offers only completions, use --endpoint completions"
            raise LLMCallError(f"{where}{path} does not exist (HTTP {exc.status_code}); {fix}",
                               backend=self.backend, status=exc.status_code) from None
        except Exception:  # noqa: BLE001 - a probe that cannot tell (timeout, odd reply) decides nothing
            return

    def _unknown_model(self, models: list[str], where: str) -> str:
        """'... does not serve model 'gemma'; it serves: 'gemma-3-270m'. Use --llm ...'"""
        shown = ", ".join(repr(m) for m in models[:LISTED_MODELS])
        if len(models) > LISTED_MODELS:
            shown += f" and {len(models) - LISTED_MODELS} more"
        close = difflib.get_close_matches(self.model or "", models, n=1)
        better = close[0] if close else (models[0] if len(models) == 1 else None)
        hint = f"; use --llm {self.backend}:{better}" if better else f"; use --llm {self.backend}:<one of them>"
        return f"{where} does not serve model {self.model!r}; it serves: {shown}{hint}"

    def _set_model_from(self, models: list[str], where: str) -> None:
        if not models:
            raise LLMCallError(f"{where} serves no models (GET /models is empty); name the model: "
                               f"--llm {self.backend}:<model>", backend=self.backend, status="no-model")
        self.model = models[0]

    def _resolve_model(self) -> str:
        if self.model is None:
            with self._model_lock:
                if self.model is None:
                    self.check_reachable()
        return self.model  # type: ignore[return-value]

    # -- a call -----------------------------------------------------------------------------------
    def _request(self, prompt: str, stop: list[str], max_tokens: int, seed: int | None = None) -> Any:
        """POST through the real ``openai`` client (its auth, base URL, timeouts and error types),
        with a plain JSON body: its typed-parameter transform costs ~1.5 ms of CPU a call, which is
        what bounds throughput at high concurrency (bench/bench_p1_concurrency.py). ``seed``: the
        draw's sampling seed (temperature > 0), unless ``extra_body`` sets one."""
        body: dict[str, Any] = {"model": self.name, "temperature": self.temperature}
        body.update(self._max_tokens_option(max_tokens))
        if stop:
            body["stop"] = stop[:self.max_stop_sequences]
        if seed is not None:
            body["seed"] = seed
        body.update(self.extra_body)
        if self.chat:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        path = "/chat/completions" if self.chat else "/completions"
        client = self._client              # replaced when a key is set late: base URL and key live there
        route = self._lean_route
        if route is None or route[0] is not client:
            target = None if self.http_client == "openai" else _lean_target(str(client.base_url))
            if target is None and self.http_client == "lean":
                raise ValueError(f"http_client='lean' needs a plain http:// URL without a proxy, "
                                 f"not {_public_url(str(client.base_url))}")
            route = self._lean_route = (client, target)
        if route[1] is None:
            return self._post_with_client(client, path, body)
        headers = (f"Content-Type: application/json\r\nAccept: application/json\r\n"
                   f"Authorization: Bearer {client.api_key}\r\nUser-Agent: reinagent\r\n")
        return _LEAN.post(route[1], path, json.dumps(body).encode(), headers, self.timeout,
                          self.max_reply_bytes)

    def _post_with_client(self, client: Any, path: str, body: dict[str, Any]) -> Any:
        """The client path (HTTPS, proxies): the reply is streamed so that its size is capped and
        its total time checked between chunks (each read has the client's own timeout)."""
        deadline = time.monotonic() + self.timeout
        response = client.post(path, body=body, cast_to=self._httpx.Response, stream=True)
        try:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > self.max_reply_bytes:
                    raise _TooLarge(f"the reply passed {self.max_reply_bytes:,} bytes without ending")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete reply within {self.timeout:g} s")
                chunks.append(chunk)
        finally:
            response.close()
        return json.loads(b"".join(chunks))

    def _max_tokens_option(self, max_tokens: int) -> dict[str, int]:
        return {"max_tokens": max_tokens}

    def _parse(self, reply: Any, prompt: str) -> Completion:
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"] if self.chat else choice["text"]
        except (AttributeError, IndexError, TypeError, KeyError):
            raise _Malformed("the reply has no choices") from None
        text = "" if text is None else text
        if not isinstance(text, str):
            raise _Malformed(f"the reply's text is {type(text).__name__} {_short(repr(text), 40)}, not text")
        usage = reply.get("usage") or {}
        input_tokens = usage.get("prompt_tokens") or approx_token_count(prompt)
        output_tokens = usage.get("completion_tokens")
        if output_tokens is None:
            output_tokens = approx_token_count(text) if text else 0
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return Completion(text, int(input_tokens), int(output_tokens), int(cached))

    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        """One request (the retry policy is :mod:`agents.llm.retry`'s, applied by ``complete``)."""
        self._check_key()
        # At temperature > 0 each draw has its own seed: a retry re-samples, a re-run reproduces.
        seed = draw_seed(0, draw) if draw is not None and self.temperature > 0 else None
        return self._parse(self._request(prompt, stop, max_tokens, seed), prompt)

    # -- what a failure means -----------------------------------------------------------------------
    def classify(self, exc: BaseException) -> Decision | None:
        """Retryable: 429 (as long as ``retry-after-ms`` / ``Retry-After`` asks), 408, 409, 5xx,
        timeouts, connection errors, malformed replies; not: other statuses, a reply too large, our
        own errors (a missing key); None (raised as it is) for anything else: a bug."""
        openai = self._openai
        if isinstance(exc, LLMCallError):
            return Decision(False, exc.status if exc.status is not None else "error", str(exc))
        if isinstance(exc, openai.APITimeoutError):
            return Decision(True, "timeout", f"no complete reply within {self.timeout:g} s")
        if isinstance(exc, openai.APIConnectionError):
            return self._connection(exc)
        if isinstance(exc, openai.APIStatusError):
            headers = getattr(getattr(exc, "response", None), "headers", None)
            return Decision.from_status(int(exc.status_code), self._status_reason(exc), _retry_after(headers))
        if isinstance(exc, (_Malformed, json.JSONDecodeError, openai.APIResponseValidationError)):
            # a 200 with a truncated or non-JSON body; other ValueErrors are bugs and are raised
            return Decision(True, "malformed", f"unreadable reply ({_short(exc, 80)})")
        # the lean path's own failures, classified the same way
        if isinstance(exc, _HTTPStatus):
            return Decision.from_status(exc.status_code, self._status_reason(exc), _retry_after(exc.headers))
        if isinstance(exc, _TooLarge):
            return Decision(False, "too-large", str(exc))
        if isinstance(exc, TimeoutError):
            return Decision(True, "timeout", f"no complete reply within {self.timeout:g} s")
        if isinstance(exc, (OSError, http.client.HTTPException)):
            return self._connection(exc)
        return None

    @staticmethod
    def _connection(exc: BaseException) -> Decision:
        reason = _connection_reason(exc)
        return Decision(True, "connection", reason, refused=reason == "connection refused")

    def _status_reason(self, exc: Any) -> str:
        body = getattr(exc, "body", None)
        message = None
        if isinstance(body, dict):  # {"error": {"message": ...}} or already the inner error
            error = body.get("error")
            message = error.get("message") if isinstance(error, dict) else body.get("message")
        return _short(message or getattr(exc, "message", None) or exc)

    def give_up(self, error: BaseException, decision: Decision, attempts: int) -> LLMCallError:
        """Our own errors as they are; else one naming the server, the status and the reason
        (never the key, should a server have echoed it)."""
        if isinstance(error, LLMCallError):
            return error
        return self._error(decision.status, decision.reason, attempts, decision.retry)

    def _error(self, status: int | str, reason: str, attempts: int, retryable: bool) -> LLMCallError:
        what = f"HTTP {status}" if isinstance(status, int) else str(status)
        tail = f" after {attempts} attempts" if retryable else ""
        if status == 404 and self.endpoint == "completions":
            # Chat-only servers (and OpenAI's chat models) have no /completions route.
            tail += "; if the server offers only the chat endpoint, use --endpoint chat"
        message = f"{self.label} at {_public_url(self.base_url)} failed: {what} ({reason}){tail}"
        return LLMCallError(self._scrub(message), backend=self.backend, status=status, attempts=attempts)

    def _scrub(self, text: str) -> str:
        """Remove the API key from ``text``, should a server have echoed it."""
        key = self._client.api_key
        if isinstance(key, str) and len(key) >= 8 and key != PLACEHOLDER_KEY:
            text = text.replace(key, "***")
        return text


class OpenAILLM(OpenAICompatibleLLM):
    """OpenAI's own API: ``OpenAILLM("gpt-4o-mini")``, the key from ``$OPENAI_API_KEY`` (or ``api_key=``).

    Building one needs no key and no network (a dry run prices a run without either); the key is
    checked at :meth:`check_reachable` and at the first call. Without one both raise
    ``LLMCallError: openai:gpt-4o-mini needs an OpenAI API key: set OPENAI_API_KEY in the
    environment (...)``.

    >>> llm = OpenAILLM("gpt-4o-mini")              # no request, key or no key
    >>> llm.identity()["endpoint"], llm.count_tokens("Thought 1: I need to search Opry Mills.")
    ('chat', 10)
    """

    backend = "openai"
    default_endpoint = "chat"  # OpenAI's current models are chat-only

    def __init__(self, model: str, api_key: str | None = None, base_url: str | None = None,
                 context_window: int = 128_000, **options: Any):
        if not model:
            raise ValueError("openai needs a model name, e.g. --llm openai:gpt-4o-mini")
        super().__init__(model=model, base_url=base_url or OPENAI_BASE_URL, api_key=api_key,
                         context_window=context_window, **options)

    def _check_key(self) -> None:
        """OpenAI's API (not a server given with --base-url) refuses a request without a key.

        A key exported after this model was built (a notebook's ``os.environ``) is picked up here.
        """
        if self._client.api_key != PLACEHOLDER_KEY or _public_url(self.base_url) != OPENAI_BASE_URL:
            return
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise LLMCallError(f"{self.label} needs an OpenAI API key: set OPENAI_API_KEY in the "
                               "environment (for a local or other OpenAI-compatible server: --llm "
                               "openai-compatible:<model> --base-url URL, no key needed)",
                               backend=self.backend, status="no-key")
        self._client = self._client.with_options(api_key=key)

    def _max_tokens_option(self, max_tokens: int) -> dict[str, int]:
        # OpenAI's chat API deprecated max_tokens (reasoning models refuse it).
        return {"max_completion_tokens": max_tokens} if self.chat else {"max_tokens": max_tokens}
