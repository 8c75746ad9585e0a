"""Building a model from a spec string: backends register by the spec's prefix.

``make_llm("openai-compatible:qwen2.5-7b", base_url=...)`` looks up ``openai-compatible`` in the
table and calls its builder with the rest of the spec and the options. What every backend gets
the same way is done here, once: several ``base_url`` values make a
:class:`~agents.llm.pool.ServerPool` of the backend (where it takes a ``base_url``), and ``rpm=`` /
``tpm=`` / ``limiter=`` put the model behind a :class:`~agents.llm.limits.Limiter`. The builders
import their backend only when called: building a spec imports no other backend's library.

A new provider is one call (its module imported before ``make_llm`` is used):

>>> from agents.llm.base import CallableLLM
>>> register_backend("echo", lambda rest, **options: CallableLLM(lambda p: rest, name=f"echo:{rest}"),
...                  forms=("echo:<text>",))
>>> make_llm("echo:Finish[4]").complete("2+2?").text
'Finish[4]'
>>> _ = _BACKENDS.pop("echo")

>>> make_llm("gpt-4")
Traceback (most recent call last):
...
ValueError: unknown model spec 'gpt-4'; use one of: local, local:<path.gguf>, openai:<model>, openai-compatible:<model> (with --base-url), langchain:<provider>:<model>

Several servers of one model (a list, or one string with commas; ``cooldown_s=`` tunes the pool's
circuit breaker), one limiter for them all:

>>> make_llm("openai-compatible:m", base_url="http://127.0.0.1:9001/v1,http://127.0.0.1:9002/v1", rpm=600)
ServerPool(model='m', base_urls=['http://127.0.0.1:9001/v1', 'http://127.0.0.1:9002/v1'], endpoint='completions')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from . import base
from .base import LLM
from .limits import Limiter
from .pool import ServerPool, split_urls

POOL_OPTIONS = ("cooldown_s", "max_cooldown_s", "clock")


@dataclass(frozen=True)
class Backend:
    """One registered backend: ``build(rest_of_spec, **options) -> LLM``; ``forms``: how its spec
    is written (for messages); ``takes_base_url``: several URLs make a pool of it;
    ``needs_model``: the spec must name something after the prefix."""

    prefix: str
    build: Callable[..., LLM]
    forms: tuple[str, ...]
    takes_base_url: bool = False
    needs_model: bool = False


_BACKENDS: dict[str, Backend] = {}


def register_backend(prefix: str, build: Callable[..., LLM], *, forms: tuple[str, ...] = (),
                     takes_base_url: bool = False, needs_model: bool = False) -> None:
    """Make ``make_llm("<prefix>:...")`` call ``build(rest, **options)``; a prefix registered
    again is replaced (a notebook may re-run its cell)."""
    if not prefix or ":" in prefix:
        raise ValueError(f"a backend's prefix is one word without ':', got {prefix!r}")
    _BACKENDS[prefix] = Backend(prefix, build, tuple(forms) or (f"{prefix}:<model>",), takes_base_url,
                                needs_model)


def spec_forms() -> tuple[str, ...]:
    """Every spec form the registered backends accept, in the order they registered."""
    return tuple(form for entry in _BACKENDS.values() for form in entry.forms)


def takes_base_url(spec: str) -> bool:
    """Whether the backend of ``spec`` takes ``base_url`` (and so ``--base-url``, several making a pool).

    >>> takes_base_url("openai-compatible:m"), takes_base_url("langchain:openai:m"), takes_base_url("local")
    (True, True, False)
    """
    entry = _BACKENDS.get(str(spec).partition(":")[0])
    return entry is not None and entry.takes_base_url


def make_llm(spec: str = "local", **options: Any) -> LLM:
    """Build a backend from a spec string; options go to the backend's builder.

    The OpenAI-style backends take ``endpoint="completions"`` or ``"chat"`` (see
    :mod:`agents.llm.openai` for the defaults); nothing is sent until the first call or
    ``check_reachable()``, and ``openai:`` needs ``OPENAI_API_KEY`` only then.
    """
    kind, _, rest = str(spec).partition(":")
    entry = _BACKENDS.get(kind)
    if entry is None or (entry.needs_model and not rest):
        raise ValueError(f"unknown model spec {spec!r}; use one of: {', '.join(spec_forms())}")
    pool = {k: options.pop(k) for k in POOL_OPTIONS if k in options}
    limiter = options.pop("limiter", None)
    rates = {k: v for k, v in ((k, options.pop(k, None)) for k in ("rpm", "tpm")) if v is not None}
    if limiter is not None and rates:
        raise ValueError("pass limiter= or rpm=/tpm=, not both (the limiter has its own rates)")
    if rates:
        limiter = Limiter(**rates)
    if entry.takes_base_url and options.get("base_url") is not None:
        urls = split_urls(options.pop("base_url"))
        if len(urls) > 1:
            members = [entry.build(rest, base_url=url, **options) for url in urls]
            return ServerPool(members, limiter=limiter, **pool)
        options["base_url"] = urls[0] if urls else None
    model = entry.build(rest, **options)
    return model if limiter is None else model.with_limiter(limiter)


# -- the built-in backends: each imported when its spec is built -------------------------------------
def _local(rest: str, **options: Any) -> LLM:
    from .local import LocalLLM

    return LocalLLM(model_path=rest or None, **options)


def _openai(rest: str, **options: Any) -> LLM:
    from .openai import OpenAILLM

    return OpenAILLM(model=rest, **options)


def _openai_compatible(rest: str, **options: Any) -> LLM:
    from .openai import OpenAICompatibleLLM

    return OpenAICompatibleLLM(model=rest or options.pop("model", None), **options)


def _langchain(rest: str, **options: Any) -> LLM:
    from .langchain import from_spec

    return from_spec(rest, **options)


register_backend("local", _local, forms=("local", "local:<path.gguf>"))
register_backend("openai", _openai, forms=("openai:<model>",), takes_base_url=True, needs_model=True)
register_backend("openai-compatible", _openai_compatible, forms=("openai-compatible:<model> (with --base-url)",),
                 takes_base_url=True)
register_backend("langchain", _langchain, forms=("langchain:<provider>:<model>",), takes_base_url=True,
                 needs_model=True)
SPEC_FORMS = spec_forms()   # the built-in forms (the older name)
base._BUILDERS[:] = [make_llm]   # base.make_llm, for older imports, is this function
