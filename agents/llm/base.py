"""The model contract: ``complete(prompt) -> Completion``, and what every backend declares.

Agents accept anything that can answer a prompt, wrapped once by :func:`as_llm`:

>>> echo = as_llm(lambda prompt: "Thought: easy.\\nAction: Finish[Paris]\\nObservation: ...")
>>> reply = echo.complete("Question: capital of France?", stop=["\\nObservation"])
>>> reply.text                                   # cut client-side at the stop sequence
'Thought: easy.\\nAction: Finish[Paris]'
>>> reply.input_tokens > 0 and reply.output_tokens > 0
True

A backend (:class:`LLM`) implements one request (``_generate``, no retries) and may say what its
failures mean (``classify(error) -> Decision``); :meth:`LLM.complete` runs every request through
the one retry policy of :mod:`.retry` (backoff, ``Retry-After``, the shared limiter, the dead-server
stop, fail-over), whatever the backend. It declares, never to be probed: ``endpoint`` (and so
``is_chat``), ``max_concurrency``, ``check_reachable()``, ``with_limiter()``, ``label``/``where``.

Backends are built at the edge with :func:`~agents.llm.registry.make_llm` (``"local"``,
``"openai:gpt-4o-mini"``, ``"openai-compatible:qwen2.5-7b"`` with ``base_url=``,
``"langchain:anthropic:claude-3-5-haiku-latest"``): the registry imports the backends, this module
imports none. Importing it, or building a remote backend, touches no network, key or model file.
"""
from __future__ import annotations

import hashlib
import inspect
import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .retry import Decision, RefusalStreak, RetryPolicy, call_with_retries, classify_status, classify_transport
# The run's signals, handed on: the kit imports them from here (agents.engine.runner among others).
from .signals import (Cancelled, LLMCallError, ServerUnreachable, StopRun, calls_in_flight,  # noqa: F401
                      check_cancelled, clear_shutdown, in_flight, interruptible_sleep, on_shutdown,
                      report_status, request_shutdown, set_status_sink, shutdown_requested)

DEFAULT_MAX_TOKENS = 192
_OWN = object()   # "this model's own limiter", as opposed to None (no limiter)


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
    """Base class of every backend: implement :meth:`_generate` (one request, no retries).

    ``name`` is a human-readable id (``"local:gemma-3-270m"``); :meth:`identity` is what keys the
    response cache and goes into a run's manifest: backend, model and decoding settings.
    ``context_window`` is the model's context length in its own tokens (agents budget with it).
    ``cacheable`` is False for a model whose identity cannot tell it from another (an unnamed
    function): its replies are never stored or served by the response cache.

    What a backend declares (defaults here; the kit reads these, it never probes with ``hasattr``):

    - ``endpoint``: ``"completions"`` (the prompt is a transcript to continue) or ``"chat"`` (it
      goes as one user message through a chat template); :attr:`is_chat` says which;
    - ``max_concurrency``: calls it can serve at once (None: no limit of its own; the embedded
      model: 1), which caps the run's concurrency;
    - :meth:`check_reachable`: a quick check before a run's first attempt (a server that is down,
      a key that is missing), raising :class:`LLMCallError` that says what to do;
    - :meth:`classify`: what a failure of :meth:`_generate` means (a :class:`~agents.llm.retry.Decision`,
      or None: not a model failure, raised as it is); the default reads an
      :class:`LLMCallError`'s status and any error's HTTP ``status_code``; ``retry_policy``: how
      hard to try (a :class:`~agents.llm.retry.RetryPolicy`);
    - ``limiter``: the :class:`~agents.llm.limits.Limiter` its requests go through (None: none),
      and :meth:`with_limiter`, the same model through another one (the run's);
    - ``label`` (for messages) and ``where`` (its server, or its name).

    A ``_generate`` that takes a ``draw`` keyword receives the draw of each call (see
    :meth:`complete`): backends that can seed their sampling use it.

    A backend in a few lines, retried on a 429 like every other:

    >>> class Flaky(LLM):
    ...     name, calls = "flaky", 0
    ...     def _generate(self, prompt, stop, max_tokens):
    ...         self.calls += 1
    ...         if self.calls == 1:
    ...             raise LLMCallError("slow down", status=429, retry_after=0.0)
    ...         return Completion("Finish[4]", 3, 2)
    >>> Flaky().complete("2+2?").text
    'Finish[4]'
    """

    name: str = "llm"
    backend: str = "custom"
    context_window: int = 8192
    temperature: float = 0.0
    max_tokens: int = DEFAULT_MAX_TOKENS
    cacheable: bool = True
    wraps: bool = False          # a wrapper (cache, limiter): the model it wraps makes the requests
    endpoint: str = "completions"
    max_concurrency: int | None = None
    limiter: Any = None
    retry_policy: RetryPolicy = RetryPolicy()

    # -- what a backend implements ----------------------------------------------------------------
    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        raise NotImplementedError

    def classify(self, error: BaseException) -> Decision | None:
        """What ``error`` (raised by :meth:`_generate`) means: retry or not, after how long."""
        return classify_status(error)

    def give_up(self, error: BaseException, decision: Decision, attempts: int) -> LLMCallError:
        """The error the caller sees when the policy stops trying: a backend's own
        :class:`LLMCallError` as it is when it was not retried, else one naming the status, the
        reason and the attempts."""
        if isinstance(error, LLMCallError) and not decision.retry:
            return error
        what = f"HTTP {decision.status}" if isinstance(decision.status, int) else str(decision.status)
        tail = f" after {attempts} attempts" if decision.retry else ""
        return LLMCallError(f"{self.label} failed: {what} ({decision.reason}){tail}", backend=self.backend,
                            status=decision.status, attempts=attempts)

    # -- what a backend declares --------------------------------------------------------------------
    @property
    def is_chat(self) -> bool:
        """True when prompts go as a chat message (the model answers rather than continues)."""
        return self.endpoint == "chat"

    @property
    def label(self) -> str:
        """How messages name this model; never sends a request."""
        return self.name

    @property
    def where(self) -> str:
        """Where its requests go (a server's URL), or its label: names it in messages and in a pool."""
        return self.label

    def check_reachable(self) -> None:
        """Fail fast, before a run's first attempt, when this model cannot answer (nothing to check here)."""

    def with_limiter(self, limiter: Any) -> "LLM":
        """This model sending every request through ``limiter`` (the run's shared one); the caller's
        object is not changed."""
        return LimitedLLM(self, limiter)

    @property
    def refusals(self) -> RefusalStreak:
        """Connection refusals in a row (the dead-server stop), one per model and its copies."""
        streak = self.__dict__.get("_refusals")
        if streak is None:
            policy = self.retry_policy
            streak = self.__dict__.setdefault("_refusals", RefusalStreak(policy.max_refusals, policy.refused_for_s))
        return streak

    # -- a call -----------------------------------------------------------------------------------
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
        agents.llm.signals.LLMCallError: forty-two replied with int 42, not text: a model must answer a string
        """
        stop = list(stop or [])
        started = time.perf_counter()
        reply = self._answer(prompt, stop, max_tokens or self.max_tokens, draw)
        if not isinstance(reply.text, str):
            raise LLMCallError(f"{self.name} replied with {type(reply.text).__name__} {_clip(repr(reply.text))}, "
                               "not text: a model must answer a string", backend=self.backend, status="not-text")
        text = cut_at_stop(reply.text, stop)
        latency = reply.latency_s or (time.perf_counter() - started)
        return Completion(text, reply.input_tokens, reply.output_tokens, reply.cached_tokens,
                          latency, reply.from_cache)

    def _answer(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None,
                limiter: Any = _OWN) -> Completion:
        """The reply before cutting: a wrapper's own :meth:`_generate`, else every request through
        the retry policy and ``limiter`` (this model's own unless another is given)."""
        if self.wraps:
            return self._generate(prompt, stop, max_tokens, **_draw_of(self, draw))
        limiter = self.limiter if limiter is _OWN else limiter
        cost = self.count_tokens(prompt) + max_tokens if limiter is not None and limiter.tpm else 0
        with in_flight(self.label):
            return call_with_retries(
                self, lambda target: target._generate(prompt, stop, max_tokens, **_draw_of(target, draw)),
                cost=cost, limiter=limiter)

    # -- where a request goes: this model; a pool overrides these three --------------------------
    def _route(self) -> "LLM":
        return self

    def _settle(self, target: "LLM", status: int | str | None) -> None:
        """After each request: ``"ok"``, the failure's status, or None (no model failure)."""

    def _can_fail_over(self, target: "LLM") -> bool:
        """Whether a retry can go elsewhere at once (no backoff): never, with one server."""
        return False

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


def _draw_of(model: LLM, draw: str | None) -> dict[str, Any]:
    return {"draw": draw} if _takes_draw(type(model)) else {}


class Wrapper(LLM):
    """A model in front of another (the response cache, the run's limiter): the wrapped model
    makes the requests, and everything it declares is its own.

    >>> inner = CallableLLM(str.upper, name="up"); inner.endpoint = "chat"
    >>> outer = Wrapper(inner)
    >>> outer.is_chat, outer.label, outer.max_concurrency
    (True, 'up', None)
    """

    wraps = True

    def __init__(self, llm: LLM):
        self.llm = llm
        self.name, self.backend = llm.name, llm.backend
        self.context_window, self.max_tokens = llm.context_window, llm.max_tokens
        self.temperature = llm.temperature
        self.cacheable = llm.cacheable

    def __getattr__(self, name: str) -> Any:  # anything else (server_stats, model_path, ...) as the model
        return getattr(self.__dict__["llm"], name)

    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        return self.llm.complete(prompt, stop=stop, max_tokens=max_tokens, draw=draw)

    endpoint = property(lambda self: self.llm.endpoint)          # type: ignore[assignment]
    max_concurrency = property(lambda self: self.llm.max_concurrency)  # type: ignore[assignment]
    limiter = property(lambda self: self.llm.limiter)            # type: ignore[assignment]

    @property
    def label(self) -> str:
        return self.llm.label

    @property
    def where(self) -> str:
        return self.llm.where

    def check_reachable(self) -> None:
        self.llm.check_reachable()

    def count_tokens(self, text: str) -> int:
        return self.llm.count_tokens(text)

    def identity(self) -> dict[str, Any]:
        return self.llm.identity()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.llm!r})"


class LimitedLLM(Wrapper):
    """A model whose every request goes through ``limiter`` (what :meth:`LLM.with_limiter` gives):
    it waits for the limiter and the limiter hears each outcome, retries included (a 429's
    ``Retry-After`` pauses every caller). In front of another wrapper, each call is one request.
    """

    def __init__(self, llm: LLM, limiter: Any):
        super().__init__(llm)
        self._limiter = limiter

    limiter = property(lambda self: self._limiter)               # type: ignore[assignment]

    def _generate(self, prompt: str, stop: list[str], max_tokens: int, draw: str | None = None) -> Completion:
        if not self.llm.wraps:
            return self.llm._answer(prompt, stop, max_tokens, draw, limiter=self._limiter)
        cost = self.llm.count_tokens(prompt) + max_tokens if self._limiter.tpm else 0
        ticket = self._limiter.acquire(cost)
        try:
            reply = self.llm.complete(prompt, stop=stop, max_tokens=max_tokens, draw=draw)
        except LLMCallError as error:
            outcome = {429: "rate_limited", "timeout": "timeout"}.get(error.status, "error")
            self._limiter.release(ticket, outcome)
            raise
        except BaseException:
            self._limiter.release(ticket, "error")
            raise
        self._limiter.release(ticket, "ok", used_tokens=reply.input_tokens + reply.output_tokens)
        return reply


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
    model's own identifying parameters (model name, temperature, top_p, ...). A chat model is
    ``endpoint="chat"``. Its failures are classified by HTTP status and by the client's transport
    errors (:func:`~agents.llm.retry.classify_transport`), so a provider's 429 or timeout is retried
    by the one policy (build the provider's client with its own retries off: ``max_retries=0``).
    """

    backend = "langchain"

    def __init__(self, model: Any):
        self.model = model
        model_id = getattr(model, "model_name", None) or getattr(model, "model", None)
        self.name = f"{type(model).__name__}:{model_id}" if model_id else type(model).__name__
        self.temperature = getattr(model, "temperature", None) or 0.0
        self.endpoint = "chat" if _is_chat_model(model) else "completions"

    def classify(self, error: BaseException) -> Decision | None:
        return classify_transport(error)

    def _invoke(self, prompt: str, stop: list[str], max_tokens: int) -> Any:
        try:
            return self.model.invoke(prompt, stop=stop or None)
        except TypeError:  # models whose invoke takes no ``stop``: we cut client-side anyway
            return self.model.invoke(prompt)

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        reply = self._invoke(prompt, stop, max_tokens)
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


def _is_chat_model(model: Any) -> bool:
    """Whether a LangChain model takes messages (a chat model) rather than text; langchain_core is
    installed wherever a LangChain model exists."""
    try:
        from langchain_core.language_models import BaseChatModel
    except ImportError:
        return False
    return isinstance(model, BaseChatModel)


def as_llm(model: Any) -> LLM:
    """Wrap whatever the user passed into an :class:`LLM`; an ``LLM`` is returned unchanged.

    >>> as_llm(lambda p: "Finish[yes]").name
    '<lambda>'
    """
    if isinstance(model, LLM):
        return model
    if hasattr(model, "invoke"):   # a LangChain model or runnable (its library is not imported here)
        return LangChainLLM(model)
    if callable(model):
        return CallableLLM(model)
    raise TypeError(f"cannot use {type(model).__name__} as a model: pass an LLM from make_llm(), "
                    "a LangChain chat model/LLM (anything with .invoke) or a str -> str callable")


# -- building from a spec: the registry's (agents.llm.registry) ----------------------------------------
# This module imports no backend and not the registry: the registry, which the package imports
# first, hands its builder in here, so older code importing make_llm from here keeps working.
_BUILDERS: list[Callable[..., LLM]] = []


def make_llm(spec: str = "local", **options: Any) -> LLM:
    """Build a backend from a spec string: :func:`agents.llm.registry.make_llm` (the same function,
    also named here for code written before the registry had its own module)."""
    if not _BUILDERS:
        raise RuntimeError("no backend registry: import agents.llm (it loads agents.llm.registry)")
    return _BUILDERS[0](spec, **options)
