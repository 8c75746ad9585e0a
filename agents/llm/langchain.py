"""Any provider LangChain knows, by spec: ``langchain:<provider>:<model>``, built by ``init_chat_model``.

``make_llm("langchain:anthropic:claude-3-5-haiku-latest")``, ``langchain:google_genai:gemini-2.0-flash``,
``langchain:ollama:llama3``, ``langchain:bedrock_converse:<model id>``, ... : LangChain's
``init_chat_model`` (the ``langchain`` package) builds the provider's chat model, and the kit
drives it as any backend (:class:`~agents.llm.base.LangChainLLM`): one request per call, its
failures classified by status and transport (a provider's 429, 5xx, timeout or lost connection is
retried by the one policy of :mod:`agents.llm.retry`, with the run's limiter and fail-over), the
provider client's own retries switched off where it has them (``max_retries=0``). The lean
``openai-compatible:`` path stays the fast one for the servers the kit runs at scale.

Options: ``temperature`` and ``max_tokens`` (decoding, part of the identity), ``base_url`` (a
provider's endpoint; several make a pool), ``api_key``, ``timeout`` (seconds per request); anything
else goes to ``init_chat_model`` and so to the provider's class. Building needs no network. A
missing provider package or key fails at once, naming what to install or set:

>>> from_spec("anthropic")
Traceback (most recent call last):
...
ValueError: langchain needs a provider and a model: langchain:<provider>:<model>, e.g. langchain:openai:gpt-4o-mini, langchain:anthropic:claude-3-5-haiku-latest, langchain:ollama:llama3
"""
from __future__ import annotations

import os
from typing import Any

from .base import DEFAULT_MAX_TOKENS, LangChainLLM, jsonable
from .openai import _public_url  # a server's URL without credentials, in labels and identities
from .retry import RetryPolicy

# Providers whose client retries on its own unless told not to: ours is the one policy.
OWN_RETRIES = frozenset({"openai", "azure_openai", "anthropic", "deepseek", "xai", "groq", "mistralai"})
# The key each provider reads from the environment (named in the error when it is missing).
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY", "google_genai": "GOOGLE_API_KEY",
                 "mistralai": "MISTRAL_API_KEY", "groq": "GROQ_API_KEY", "cohere": "COHERE_API_KEY",
                 "deepseek": "DEEPSEEK_API_KEY", "xai": "XAI_API_KEY", "together": "TOGETHER_API_KEY",
                 "fireworks": "FIREWORKS_API_KEY", "openrouter": "OPENROUTER_API_KEY",
                 "azure_openai": "AZURE_OPENAI_API_KEY", "perplexity": "PPLX_API_KEY"}
PLACEHOLDER_KEY = "not-needed"          # an OpenAI-style server given by URL ignores the key
USAGE = ("langchain:<provider>:<model>, e.g. langchain:openai:gpt-4o-mini, "
         "langchain:anthropic:claude-3-5-haiku-latest, langchain:ollama:llama3")


class LangChainChatLLM(LangChainLLM):
    """A chat model built from a spec: the prompt as one user message, ``max_tokens`` per call."""

    backend = "langchain"

    def __init__(self, model: Any, provider: str, model_name: str, base_url: str | None,
                 temperature: float, max_tokens: int, context_window: int, secret: str | None):
        super().__init__(model)
        self.provider, self.model_name = provider, model_name
        self.name = f"{provider}:{model_name}"
        self.base_url = base_url
        self.temperature, self.max_tokens = float(temperature), int(max_tokens)
        self.context_window = int(context_window)
        self.endpoint = "chat"
        self._secret = secret     # only to scrub it from error messages; never shown

    @property
    def label(self) -> str:
        return f"langchain:{self.name}"

    @property
    def where(self) -> str:
        return _public_url(self.base_url) if self.base_url else self.label

    def _invoke(self, prompt: str, stop: list[str], max_tokens: int) -> Any:
        return self.model.invoke(prompt, stop=stop or None, max_tokens=max_tokens)

    def give_up(self, error: BaseException, decision: Any, attempts: int) -> Any:
        failure = super().give_up(error, decision, attempts)
        if self._secret and len(self._secret) >= 8 and self._secret in str(failure):
            failure.args = (str(failure).replace(self._secret, "***"),)
        return failure

    def identity(self) -> dict[str, Any]:
        """Provider, model, server and decoding settings (the provider's own parameters too)."""
        identity = {"backend": self.backend, "provider": self.provider, "model": self.name,
                    "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.base_url:
            identity["base_url"] = _public_url(self.base_url)
        try:
            params = self.model._identifying_params
        except Exception:  # noqa: BLE001 - a provider's property that fails: the rest must do
            params = None
        if isinstance(params, dict):
            identity["params"] = jsonable({k: v for k, v in params.items() if "key" not in k.lower()})
        return identity

    def __repr__(self) -> str:
        where = f", base_url={self.where!r}" if self.base_url else ""
        return f"LangChainChatLLM({self.label!r}{where})"


def from_spec(rest: str, *, temperature: float = 0.0, max_tokens: int = DEFAULT_MAX_TOKENS,
              base_url: str | None = None, api_key: str | None = None, timeout: float = 60.0,
              context_window: int = 8192, retry_policy: RetryPolicy | None = None,
              endpoint: str | None = None, **options: Any) -> LangChainChatLLM:
    """The backend of ``langchain:<rest>``, ``rest`` being ``<provider>:<model>``; ``retry_policy``:
    how hard the kit tries (a :class:`~agents.llm.retry.RetryPolicy`; default: the contract's)."""
    provider, _, model = rest.partition(":")
    if not provider or not model:
        raise ValueError(f"langchain needs a provider and a model: {USAGE}")
    if endpoint not in (None, "chat"):
        raise ValueError(f"langchain:{rest} is a chat model: --endpoint {endpoint} does not apply (leave it out)")
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        raise ImportError("langchain:<provider>:<model> needs the langchain package (its init_chat_model): "
                          "pip install -r requirements.txt") from exc
    variable = KEY_VARIABLES.get(provider)
    if api_key is None and variable and not os.environ.get(variable):
        if base_url and provider == "openai":
            api_key = PLACEHOLDER_KEY      # a local OpenAI-compatible server: no key needed
        else:
            raise ValueError(f"langchain:{rest} needs an API key: set {variable} in the environment "
                             "(or pass api_key=)")
    kwargs: dict[str, Any] = {"temperature": float(temperature), "timeout": timeout, **options}
    if base_url:
        kwargs["base_url"] = base_url
    if api_key is not None:
        kwargs["api_key"] = api_key
    if provider in OWN_RETRIES:
        kwargs.setdefault("max_retries", 0)
    try:
        chat = init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError as exc:        # the provider's package: LangChain's message names it
        raise ImportError(f"langchain:{rest}: {exc}") from None
    except ValueError as exc:         # an unknown provider: LangChain lists the known ones
        raise ValueError(f"langchain:{rest}: {' '.join(str(exc).split())}") from None
    except Exception as exc:  # noqa: BLE001 - a provider that wants a setting (a key, a region) says which
        raise ValueError(f"langchain:{rest} could not be built: {type(exc).__name__}: {exc}") from None
    llm = LangChainChatLLM(chat, provider, model, base_url, temperature, max_tokens, context_window,
                           api_key if api_key != PLACEHOLDER_KEY else None)
    if retry_policy is not None:
        llm.retry_policy = retry_policy
    return llm
