"""OpenAI and OpenAI-compatible HTTP backends (vLLM, llama.cpp's server, Ollama, LM Studio, ...).

Both use the real ``openai`` client with its own retries switched off: the retry policy lives here,
in one place, so it is the same for every server and is tested against a loopback server.

- Retryable: 429 (waiting as long as ``retry-after-ms`` / ``Retry-After`` asks), 408, 409, 5xx,
  timeouts, connection errors and malformed (non-JSON) replies; exponential backoff with jitter,
  at most ``max_retries`` retries.
- Anything else (400, 401, 403, 404, 422, ...) raises at once.
- Either way the failure is an :class:`~agents.llm.LLMCallError` naming the backend, the status and
  a short reason. The API key lives only inside the ``openai`` client: it is in no attribute,
  ``repr``, :meth:`identity` or error message of ours.

Token counts come from the reply's ``usage`` (with OpenAI's ``cached_tokens``), else from
:func:`~agents.llm.approx_token_count`: no tokenizer is downloaded (no tiktoken).

``openai`` is imported when a backend is built, not when this module is imported.
"""
from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from typing import Any, Callable
from urllib.parse import urlsplit

from .llm import DEFAULT_MAX_TOKENS, LLM, Completion, LLMCallError, approx_token_count

OPENAI_BASE_URL = "https://api.openai.com/v1"
RETRYABLE_STATUS = frozenset({408, 409, 429})  # and every 5xx
MAX_RETRY_AFTER_S = 120.0                      # a server asking for longer is not waited on blindly
PLACEHOLDER_KEY = "not-needed"                 # local servers ignore the key; the client wants one


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


def _retry_after(headers: Any) -> float | None:
    """Seconds a 429/503 asks us to wait: ``retry-after-ms`` (OpenAI), else ``Retry-After``
    (seconds or an HTTP date); None when absent or unreadable.

    >>> _retry_after({"retry-after": "0"}), _retry_after({"retry-after-ms": "250"}), _retry_after({})
    (0.0, 0.25, None)
    """
    if not headers:
        return None
    try:
        return max(0.0, float(headers.get("retry-after-ms")) / 1000)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _short(text: Any, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _connection_reason(exc: BaseException) -> str:
    """'connection refused', 'timed out', ... from an ``APIConnectionError`` and its cause."""
    detail = f"{exc} {exc.__cause__ or ''} {getattr(exc.__cause__, '__cause__', '') or ''}".lower()
    for needle, reason in (("refused", "connection refused"), ("timed out", "timed out"),
                           ("timeout", "timed out"), ("reset", "connection reset"),
                           ("name or service not known", "unknown host"),
                           ("nodename nor servname", "unknown host"),
                           ("no address associated", "unknown host"),
                           ("unreachable", "network unreachable")):
        if needle in detail:
            return reason
    return _short(exc.__cause__ or exc, 120)


class OpenAICompatibleLLM(LLM):
    """Any server speaking the OpenAI API: ``OpenAICompatibleLLM(model, base_url=...)``.

    - ``model``: the served model's name; None asks the server (``GET /models``, the first one);
    - ``base_url``: required, e.g. ``http://localhost:8000/v1``;
    - ``api_key``: default ``$OPENAI_API_KEY``, else a placeholder (local servers ignore it);
    - ``chat``: True sends one user message to ``/chat/completions``; False sends the raw prompt
      to ``/completions`` (the right choice for base models served by vLLM or llama.cpp);
    - ``timeout``: seconds per request; ``max_retries``: retries after the first try;
      ``backoff_base`` / ``backoff_cap``: the exponential backoff's first delay and ceiling;
    - ``context_window``: the model's context in tokens, for the agents' budgeting.

    >>> OpenAICompatibleLLM("m")
    Traceback (most recent call last):
    ...
    ValueError: openai-compatible needs base_url=, e.g. http://localhost:8000/v1
    """

    backend = "openai-compatible"
    max_stop_sequences = 4          # OpenAI's limit; the base class cuts the rest client-side

    def __init__(self, model: str | None = None, base_url: str | None = None,
                 api_key: str | None = None, temperature: float = 0.0,
                 max_tokens: int = DEFAULT_MAX_TOKENS, timeout: float = 60.0, max_retries: int = 6,
                 chat: bool = True, backoff_base: float = 0.5, backoff_cap: float = 30.0,
                 context_window: int = 8192, connect_timeout: float = 3.0,
                 extra_body: dict[str, Any] | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        if not base_url:
            raise ValueError(f"{self.backend} needs base_url=, e.g. http://localhost:8000/v1")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {max_retries!r}")
        openai = _import_openai()
        import httpx  # the openai client's own transport: always installed with it

        self._openai, self._httpx = openai, httpx
        self.base_url = str(base_url).rstrip("/")
        self.model = model or None
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.timeout = float(timeout)
        self.max_retries = int(max_retries)
        self.chat = bool(chat)
        self.backoff_base = float(backoff_base)
        self.backoff_cap = float(backoff_cap)
        self.context_window = int(context_window)
        self.connect_timeout = float(connect_timeout)
        self.extra_body = dict(extra_body or {})
        self._sleep = sleep
        self._model_lock = threading.Lock()
        # The key goes into the client and nowhere else.
        self._client = openai.OpenAI(
            base_url=self.base_url, timeout=self.timeout, max_retries=0,
            api_key=api_key or os.environ.get("OPENAI_API_KEY") or PLACEHOLDER_KEY)

    # -- naming -----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The model's name (asked from the server on first use when not given)."""
        return self._resolve_model()

    @property
    def label(self) -> str:
        """``backend:model`` for messages; never triggers a request."""
        return f"{self.backend}:{self.model or '?'}"

    def identity(self) -> dict[str, Any]:
        """Backend, server (no credentials), model and decoding settings: the response cache's key."""
        return {"backend": self.backend, "base_url": _public_url(self.base_url), "model": self.name,
                "temperature": self.temperature, "max_tokens": self.max_tokens, "chat": self.chat}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(model={self.model!r}, base_url={_public_url(self.base_url)!r}, "
                f"chat={self.chat})")

    # -- reachability -----------------------------------------------------------------------------
    def _list_models(self) -> list[str]:
        client = self._client.with_options(timeout=self.connect_timeout, max_retries=0)
        return [entry.id for entry in client.models.list().data]

    def check_reachable(self) -> None:
        """Fail fast (a ~3 s ``GET /models``) when the server is down or rejects the key.

        A server that answers at all is reachable (some do not implement ``/models``: fine unless
        ``model`` was left for the server to name).
        """
        where = _public_url(self.base_url)
        try:
            models = self._list_models()
        except self._openai.APIConnectionError as exc:
            raise LLMCallError(f"cannot reach {where}: {_connection_reason(exc)}",
                               backend=self.backend, status="connection") from None
        except self._openai.APIStatusError as exc:
            if exc.status_code in (401, 403):
                raise LLMCallError(f"{self.label} at {where} refused the API key: HTTP {exc.status_code}",
                                   backend=self.backend, status=exc.status_code) from None
            if self.model is None:
                raise LLMCallError(f"{where} did not list its models (HTTP {exc.status_code}); "
                                   "pass the model name", backend=self.backend,
                                   status=exc.status_code) from None
            return
        except (ValueError, self._openai.APIResponseValidationError):
            if self.model is None:
                raise LLMCallError(f"{where} answered /models with something unreadable; "
                                   "pass the model name", backend=self.backend,
                                   status="malformed") from None
            return
        if self.model is None:
            self._set_model_from(models, where)

    def _set_model_from(self, models: list[str], where: str) -> None:
        if not models:
            raise LLMCallError(f"{where} serves no models (GET /models is empty); pass the model name",
                               backend=self.backend, status="no-model")
        self.model = models[0]

    def _resolve_model(self) -> str:
        if self.model is None:
            with self._model_lock:
                if self.model is None:
                    self.check_reachable()
        return self.model  # type: ignore[return-value]

    # -- a call -----------------------------------------------------------------------------------
    def _request(self, prompt: str, stop: list[str], max_tokens: int) -> Any:
        """POST through the real ``openai`` client (its auth, base URL, timeouts and error types),
        with a plain JSON body: its typed-parameter transform costs ~1.5 ms of CPU a call, which is
        what bounds throughput at high concurrency (bench/bench_p1_concurrency.py)."""
        body: dict[str, Any] = {"model": self.name, "temperature": self.temperature}
        body.update(self._max_tokens_option(max_tokens))
        if stop:
            body["stop"] = stop[:self.max_stop_sequences]
        body.update(self.extra_body)
        if self.chat:
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        path = "/chat/completions" if self.chat else "/completions"
        return self._client.post(path, body=body, cast_to=self._httpx.Response).json()

    def _max_tokens_option(self, max_tokens: int) -> dict[str, int]:
        return {"max_tokens": max_tokens}

    def _parse(self, reply: Any, prompt: str) -> Completion:
        try:
            choice = reply["choices"][0]
            text = choice["message"]["content"] if self.chat else choice["text"]
        except (AttributeError, IndexError, TypeError, KeyError):
            raise _Malformed("the reply has no choices") from None
        text = text or ""
        usage = reply.get("usage") or {}
        input_tokens = usage.get("prompt_tokens") or approx_token_count(prompt)
        output_tokens = usage.get("completion_tokens")
        if output_tokens is None:
            output_tokens = approx_token_count(text) if text else 0
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return Completion(text, int(input_tokens), int(output_tokens), int(cached))

    def _generate(self, prompt: str, stop: list[str], max_tokens: int) -> Completion:
        started = time.perf_counter()
        reply = self._with_retries(lambda: self._parse(self._request(prompt, stop, max_tokens), prompt))
        return Completion(reply.text, reply.input_tokens, reply.output_tokens, reply.cached_tokens,
                          time.perf_counter() - started)

    # -- the retry policy -------------------------------------------------------------------------
    def _classify(self, exc: BaseException) -> tuple[bool, int | str, str, float | None]:
        """``(retryable, status, reason, retry_after_s)`` for a failed request; unknown errors raise."""
        openai = self._openai
        if isinstance(exc, openai.APITimeoutError):
            return True, "timeout", f"no reply within {self.timeout:g} s", None
        if isinstance(exc, openai.APIConnectionError):
            return True, "connection", _connection_reason(exc), None
        if isinstance(exc, openai.APIStatusError):
            status = int(exc.status_code)
            retryable = status in RETRYABLE_STATUS or status >= 500
            headers = getattr(getattr(exc, "response", None), "headers", None)
            wait = _retry_after(headers) if retryable else None
            return retryable, status, self._status_reason(exc), wait
        if isinstance(exc, (_Malformed, json.JSONDecodeError, openai.APIResponseValidationError)):
            # a 200 with a truncated or non-JSON body; other ValueErrors are bugs and are raised
            return True, "malformed", f"unreadable reply ({_short(exc, 80)})", None
        raise exc

    def _status_reason(self, exc: Any) -> str:
        body = getattr(exc, "body", None)
        message = None
        if isinstance(body, dict):  # {"error": {"message": ...}} or already the inner error
            error = body.get("error")
            message = error.get("message") if isinstance(error, dict) else body.get("message")
        return _short(message or getattr(exc, "message", None) or exc)

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry`` (1-based): the server's ask, else full-jitter
        exponential backoff between half and all of ``min(cap, base * 2 ** (retry - 1))``."""
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (retry - 1))
        return ceiling * random.uniform(0.5, 1.0)

    def _with_retries(self, call: Callable[[], Completion]) -> Completion:
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except LLMCallError:
                raise
            except Exception as exc:  # noqa: BLE001 - classified below; unknown errors re-raise
                retryable, status, reason, wait = self._classify(exc)
                if not retryable or attempt > self.max_retries:
                    raise self._error(status, reason, attempt, retryable) from None
            self._sleep(self._backoff(attempt, wait))

    def _error(self, status: int | str, reason: str, attempts: int, retryable: bool) -> LLMCallError:
        what = f"HTTP {status}" if isinstance(status, int) else str(status)
        tail = f" after {attempts} attempts" if retryable else ""
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

    Without a key it refuses at construction, before any request:
    ``ValueError: openai:gpt-4o-mini needs OPENAI_API_KEY in the environment (or api_key=)``.
    """

    backend = "openai"

    def __init__(self, model: str, api_key: str | None = None, base_url: str | None = None,
                 context_window: int = 128_000, **options: Any):
        if not model:
            raise ValueError("openai needs a model name, e.g. openai:gpt-4o-mini")
        if not (api_key or os.environ.get("OPENAI_API_KEY")):
            raise ValueError(f"openai:{model} needs OPENAI_API_KEY in the environment (or api_key=)")
        super().__init__(model=model, base_url=base_url or OPENAI_BASE_URL, api_key=api_key,
                         context_window=context_window, **options)

    def _max_tokens_option(self, max_tokens: int) -> dict[str, int]:
        # OpenAI's chat API deprecated max_tokens (reasoning models refuse it).
        return {"max_completion_tokens": max_tokens} if self.chat else {"max_tokens": max_tokens}
