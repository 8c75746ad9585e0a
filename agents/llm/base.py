"""Model backends behind one small contract: ``complete(prompt) -> Completion``.

Agents accept anything that can answer a prompt, wrapped once by :func:`as_llm`:

>>> echo = as_llm(lambda prompt: "Thought: easy.\\nAction: Finish[Paris]\\nObservation: ...")
>>> reply = echo.complete("Question: capital of France?", stop=["\\nObservation"])
>>> reply.text                                   # cut client-side at the stop sequence
'Thought: easy.\\nAction: Finish[Paris]'
>>> reply.input_tokens > 0 and reply.output_tokens > 0
True

Backends are built at the edge with :func:`make_llm` (``"local"``, ``"local:/models/x.gguf"``,
``"openai:gpt-4o-mini"``, ``"openai-compatible:qwen2.5-7b"`` with ``base_url=``, i.e. ``--base-url``);
importing this module, or building a remote backend, touches no network, key or model file.
"""
from __future__ import annotations

import hashlib
import inspect
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

DEFAULT_MAX_TOKENS = 192


class LLMCallError(RuntimeError):
    """A model call that failed for good: a non-retryable error, or retries exhausted.

    The message names the backend, the status and a short reason, never a credential; ``status``
    is the HTTP status (an int) or a word such as ``"timeout"``, ``"connection"``, ``"malformed"``.

    >>> str(LLMCallError("openai-compatible:m failed: HTTP 400 (bad request)", status=400))
    'openai-compatible:m failed: HTTP 400 (bad request)'
    """

    def __init__(self, message: str, *, backend: str | None = None, status: int | str | None = None,
                 attempts: int = 1):
        super().__init__(message)
        self.backend = backend
        self.status = status
        self.attempts = attempts


class StopRun(BaseException):
    """A failure that no further attempt can avoid: a dead server, an unreadable cache, a run that
    was asked to stop. A ``BaseException`` on purpose (like ``KeyboardInterrupt``): an actor's or a
    tool's ``except Exception`` must not turn it into one failed attempt and carry on.
    :meth:`agents.reflexion.Agent.run` lets it through; the runner then starts nothing new,
    records what finished, writes the manifest with why it stopped, and prints the command that
    resumes."""


class Cancelled(StopRun):
    """The run was asked to stop (Ctrl-C, SIGTERM, a fatal error elsewhere) while this call waited."""


class ServerUnreachable(StopRun):
    """Consecutive requests found no server listening: retrying sample by sample would only wait.

    >>> str(ServerUnreachable("http://127.0.0.1:9/v1 refused 6 connections in a row", backend="openai-compatible"))
    'http://127.0.0.1:9/v1 refused 6 connections in a row'
    """

    def __init__(self, message: str, *, backend: str | None = None, status: str = "connection"):
        super().__init__(message)
        self.backend, self.status = backend, status


# -- the run's shared state: stopping, what calls wait for, which calls are slow ------------------
# Set when the run is stopping: backoff sleeps, limiter waits and HTTP reads check it (sockets in
# use are shut by the aborters), so calls in flight end within a few seconds instead of draining
# every queued attempt. One per process: the runner clears it when a run starts and ends.
_SHUTDOWN = threading.Event()
_ABORTERS: list[Callable[[], None]] = []
_STATUS: list[Callable[[str], None]] = []
_IN_FLIGHT: dict[int, tuple[str, float]] = {}
_IN_FLIGHT_LOCK = threading.Lock()


def request_shutdown() -> None:
    """Ask every call in flight to give up at its next wait (it raises :class:`Cancelled` there);
    connections waiting for a reply are shut at once."""
    _SHUTDOWN.set()
    for abort in list(_ABORTERS):
        abort()


def shutdown_requested() -> bool:
    return _SHUTDOWN.is_set()


def clear_shutdown() -> None:
    _SHUTDOWN.clear()


def on_shutdown(abort: Callable[[], None]) -> None:
    """Register ``abort`` (e.g. shut the sockets waiting for replies) to run at :func:`request_shutdown`."""
    if abort not in _ABORTERS:
        _ABORTERS.append(abort)


def interruptible_sleep(seconds: float) -> None:
    """``time.sleep`` that ends early, raising :class:`Cancelled`, once a shutdown is requested.

    >>> interruptible_sleep(0.0)
    """
    if _SHUTDOWN.wait(max(0.0, seconds)):
        raise Cancelled("the run is stopping")


def check_cancelled() -> None:
    """Raise :class:`Cancelled` if the run is stopping (call before starting something long)."""
    if _SHUTDOWN.is_set():
        raise Cancelled("the run is stopping")


def report_status(message: str) -> None:
    """Tell the run what a call waits for (a 429 pause, a retry): the runner shows it on its
    progress line; outside a run it goes nowhere."""
    for sink in list(_STATUS):
        sink(message)


def set_status_sink(sink: Callable[[str], None] | None) -> None:
    """The one receiver of :func:`report_status` (None: none)."""
    _STATUS[:] = [sink] if sink is not None else []


def calls_in_flight() -> list[tuple[str, float]]:
    """``(model label, seconds so far)`` of every backend call now running, longest first."""
    now = time.monotonic()
    with _IN_FLIGHT_LOCK:
        rows = [(label, now - started) for label, started in _IN_FLIGHT.values()]
    return sorted(rows, key=lambda row: -row[1])


def draw_seed(seed: int, draw: str) -> int:
    """The sampling seed of one draw: the model's seed and the draw's name, hashed (31 bits, what
    every server accepts). Reproducible: the same draw samples the same reply.

    >>> draw_seed(0, "q1/2/0") == draw_seed(0, "q1/2/0") != draw_seed(0, "q1/3/0")
    True
    """
    digest = hashlib.sha256(f"{seed}\x1f{draw}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


@dataclass(frozen=True)
class Completion:
    """One model call: the text and what it cost.

    ``cached_tokens`` counts prompt tokens the backend did not have to evaluate (KV prefix reuse);
    ``from_cache`` is True when the reply came from the persistent response cache, not the model.
    """

    text: str
    input_tokens: int
    output_tokens: int
    cached_tokens: int = 0
    latency_s: float = 0.0
    from_cache: bool = False


def approx_token_count(text: str) -> int:
    """A tokenizer-free estimate (~4 characters a token, BPE's average on English prose).

    Used where a backend has no offline tokenizer (remote APIs, plain callables) so that nothing
    downloads a vocabulary at run time; the API's reported ``usage`` replaces it when present.

    >>> approx_token_count("Thought 1: I need to search Opry Mills.")
    10
    """
    return max(1, math.ceil(len(text) / 4))


def cut_at_stop(text: str, stop: Iterable[str] | None) -> str:
    """Cut ``text`` at the earliest stop sequence; backends may ignore ``stop``, we never rely on it.

    >>> cut_at_stop("Search[X]\\nObservation 1: ...", ["\\nObservation"])
    'Search[X]'
    """
    cut = len(text)
    for marker in stop or ():
        at = text.find(marker)
        if marker and at != -1:
            cut = min(cut, at)
    return text[:cut]


class LLM:
    """Base class of every backend. Subclasses implement :meth:`_generate`.

    ``name`` is a human-readable id (``"local:gemma-3-270m"``); :meth:`identity` is what keys the
    response cache and goes into a run's manifest: backend, model and decoding settings.
    ``context_window`` is the model's context length in its own tokens (agents budget with it).
    ``cacheable`` is False for a model whose identity cannot tell it from another (an unnamed
    function): its replies are never stored or served by the response cache.

    A ``_generate`` that takes a ``draw`` keyword receives the draw of each call (see
    :meth:`complete`): backends that can seed their sampling use it.
    """

    name: str = "llm"
    backend: str = "custom"
    context_window: int = 8192
    temperature: float = 0.0
    max_tokens: int = DEFAULT_MAX_TOKENS
    cacheable: bool = True
    wraps: bool = False          # a wrapper (cache, limiter): the call it wraps is the one timed

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        raise NotImplementedError

    def complete(self, prompt: str, *, stop: Iterable[str] | None = None,
                 max_tokens: int | None = None, draw: str | None = None) -> Completion:
        """Answer ``prompt``; the reply is always cut at the first stop sequence.

        ``draw`` names *which* sample of the model's distribution this call is
        (``"<sample id>/<trial>/<call index>"``, set by the agent): at temperature > 0 two calls
        with the same prompt but different draws are different samples (the response cache keys
        them apart and a seed is derived from it); at temperature 0 it changes nothing.

        A reply that is not text is an error that says so:

        >>> CallableLLM(lambda p: 42, name="forty-two").complete("2+2?")
        Traceback (most recent call last):
        ...
        agents.llm.base.LLMCallError: forty-two replied with int 42, not text: a model must answer a string
        """
        stop = list(stop or [])
        started = time.perf_counter()
        extra = {"draw": draw} if _takes_draw(type(self)) else {}
        if self.wraps:
            reply = self._generate(prompt, stop, max_tokens or self.max_tokens, **extra)
        else:
            token = object()
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT[id(token)] = (getattr(self, "label", None) or self.name, time.monotonic())
            try:
                reply = self._generate(prompt, stop, max_tokens or self.max_tokens, **extra)
            finally:
                with _IN_FLIGHT_LOCK:
                    _IN_FLIGHT.pop(id(token), None)
        if not isinstance(reply.text, str):
            raise LLMCallError(f"{self.name} replied with {type(reply.text).__name__} {_clip(repr(reply.text))}, "
                               "not text: a model must answer a string", backend=self.backend, status="not-text")
        text = cut_at_stop(reply.text, stop)
        latency = reply.latency_s or (time.perf_counter() - started)
        return Completion(text, reply.input_tokens, reply.output_tokens, reply.cached_tokens,
                          latency, reply.from_cache)

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's tokenizer (an estimate where none is available offline)."""
        return approx_token_count(text)

    def identity(self) -> dict[str, Any]:
        """Everything that changes what this model answers: the response cache's key."""
        return {"backend": self.backend, "model": self.name,
                "temperature": self.temperature, "max_tokens": self.max_tokens}

    def invoke(self, prompt: str) -> str:
        """LangChain-style convenience: the reply text alone."""
        return self.complete(prompt).text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _takes_draw(cls: type) -> bool:
    """Whether ``cls._generate`` accepts ``draw=`` (looked up once per class)."""
    found = cls.__dict__.get("_takes_draw_")
    if found is None:
        try:
            found = "draw" in inspect.signature(cls._generate).parameters
        except (TypeError, ValueError):
            found = False
        cls._takes_draw_ = found
    return found


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _function_fingerprint(fn: Any) -> str:
    """Where a function is defined and a digest of its code: two lambdas are two models.

    >>> _function_fingerprint(lambda p: "4") != _function_fingerprint(lambda p: "banana")
    True
    """
    code = getattr(fn, "__code__", None)
    where = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__qualname__)}"
    if code is None:
        return where
    digest = hashlib.sha256()

    def feed(code_object: Any) -> None:
        digest.update(code_object.co_code)
        for const in code_object.co_consts:
            if hasattr(const, "co_code"):
                feed(const)
            else:
                digest.update(repr(const).encode())
        digest.update(repr(code_object.co_names).encode())

    feed(code)
    return f"{where}:{digest.hexdigest()[:16]}"


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data (sorted keys, unknown objects as their ``repr`` without ids),
    for identities that go into a cache key and a manifest.

    >>> jsonable({"b": (1, 2), "a": {"x"}})
    {'a': ['x'], 'b': [1, 2]}
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return type(value).__qualname__


class CallableLLM(LLM):
    """A plain ``str -> str`` function as a model (tests, rules, a quick experiment).

    Name it (``name=``) to have its replies cached: a function's own ``__name__`` does not tell
    two lambdas apart, so an unnamed function is never served from the response cache, and its
    identity carries a digest of its code.

    >>> CallableLLM(str.upper).complete("finish[x]").text
    'FINISH[X]'
    >>> CallableLLM(lambda p: "4").cacheable, CallableLLM(lambda p: "4", name="four").cacheable
    (False, True)
    """

    backend = "callable"

    def __init__(self, fn: Callable[[str], str], name: str | None = None):
        self.fn = fn
        self.named = bool(name)
        self.name = name or getattr(fn, "__name__", "callable")
        self.cacheable = self.named

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        text = self.fn(prompt)
        if not isinstance(text, str):
            return Completion(text, approx_token_count(prompt), 0)   # complete() says it is not text
        return Completion(text, approx_token_count(prompt), approx_token_count(text))

    def identity(self) -> dict[str, Any]:
        identity = super().identity()
        if not self.named:
            identity["function"] = _function_fingerprint(self.fn)
        return identity


class LangChainLLM(LLM):
    """Any LangChain chat model or LLM (``ChatOpenAI``, ``ChatOllama``, ``FakeListLLM``, ...).

    The prompt is sent as one user message; token counts come from the reply's ``usage_metadata``
    when the provider reports it, else from :func:`approx_token_count`. Its identity holds the
    model's own identifying parameters (model name, temperature, top_p, ...).
    """

    backend = "langchain"

    def __init__(self, model: Any):
        self.model = model
        model_id = getattr(model, "model_name", None) or getattr(model, "model", None)
        self.name = f"{type(model).__name__}:{model_id}" if model_id else type(model).__name__
        self.temperature = getattr(model, "temperature", None) or 0.0

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        try:
            reply = self.model.invoke(prompt, stop=stop or None)
        except TypeError:  # models whose invoke takes no ``stop``: we cut client-side anyway
            reply = self.model.invoke(prompt)
        text = reply if isinstance(reply, str) else getattr(reply, "content", reply)
        if isinstance(text, list):  # content blocks
            text = "".join(part.get("text", "") if isinstance(part, dict) else str(part)
                           for part in text)
        if not isinstance(text, str):
            return Completion(text, approx_token_count(prompt), 0)   # complete() says it is not text
        usage = getattr(reply, "usage_metadata", None) or {}
        return Completion(text, usage.get("input_tokens") or approx_token_count(prompt),
                          usage.get("output_tokens") or approx_token_count(text))

    def identity(self) -> dict[str, Any]:
        identity = super().identity()
        try:
            params = getattr(self.model, "_identifying_params", None)
        except Exception:  # noqa: BLE001 - a provider's property that fails: the name must do
            params = None
        if isinstance(params, dict):
            identity["params"] = jsonable(params)
        return identity


def as_llm(model: Any) -> LLM:
    """Wrap whatever the user passed into an :class:`LLM`; an ``LLM`` is returned unchanged.

    >>> as_llm(lambda p: "Finish[yes]").name
    '<lambda>'
    """
    if isinstance(model, LLM):
        return model
    if hasattr(model, "invoke"):
        return LangChainLLM(model)
    if callable(model):
        return CallableLLM(model)
    raise TypeError(f"cannot use {type(model).__name__} as a model: pass an LLM from make_llm(), "
                    "a LangChain chat model/LLM (anything with .invoke) or a str -> str callable")


SPEC_FORMS = ("local", "local:<path.gguf>", "openai:<model>",
              "openai-compatible:<model> (with --base-url)")


def make_llm(spec: str = "local", **options: Any) -> LLM:
    """Build a backend from a spec string. Options go to the backend's constructor.

    >>> make_llm("gpt-4")
    Traceback (most recent call last):
    ...
    ValueError: unknown model spec 'gpt-4'; use one of: local, local:<path.gguf>, openai:<model>, openai-compatible:<model> (with --base-url)

    The OpenAI-style backends take ``endpoint="completions"`` or ``"chat"`` (see
    :mod:`agents.llm.openai` for the defaults); nothing is sent until the first call or
    ``check_reachable()``, and ``openai:`` needs ``OPENAI_API_KEY`` only then.

    ``rpm=`` / ``tpm=`` put the model behind a :class:`~agents.llm.limits.Limiter` (requests and
    tokens per minute); a run shares it with its other models. ``base_url`` may name several
    servers of the same model (a list, or one string with commas): the result is a
    :class:`~agents.llm.pool.ServerPool` (``cooldown_s=`` tunes its circuit breaker).

    >>> make_llm("openai-compatible:m", base_url="http://127.0.0.1:9001/v1,http://127.0.0.1:9002/v1", rpm=600)
    ServerPool(model='m', base_urls=['http://127.0.0.1:9001/v1', 'http://127.0.0.1:9002/v1'], endpoint='completions')
    """
    kind, _, rest = str(spec).partition(":")
    if kind in ("openai", "openai-compatible") and options.get("base_url") is not None:
        from .pool import make_pool, split_urls

        urls = split_urls(options["base_url"])
        if len(urls) > 1:
            return make_pool(spec, urls, **{k: v for k, v in options.items() if k != "base_url"})
        options["base_url"] = urls[0] if urls else None
        for pool_only in ("cooldown_s", "max_cooldown_s", "clock"):
            options.pop(pool_only, None)
    rates = {k: options.pop(k) for k in ("rpm", "tpm") if k in options}
    if kind == "openai" and rest:
        from .openai import OpenAILLM
        return OpenAILLM(model=rest, **options, **rates)
    if kind == "openai-compatible":
        from .openai import OpenAICompatibleLLM
        return OpenAICompatibleLLM(model=rest or options.pop("model", None), **options, **rates)
    if kind == "local":
        from .local import LocalLLM
        model = LocalLLM(model_path=rest or None, **options)
        if any(rates.values()):
            from .limits import Limiter, with_limiter
            return with_limiter(model, Limiter(**rates))
        return model
    raise ValueError(f"unknown model spec {spec!r}; use one of: {', '.join(SPEC_FORMS)}")
