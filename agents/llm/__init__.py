"""Model backends behind one small contract: ``complete(prompt) -> Completion``.

- :mod:`.base`: the contract (:class:`LLM`, :class:`Completion`), plain callables and LangChain
  models, and :func:`make_llm`, which builds a backend from a spec at the edge;
- :mod:`.local`: the embedded model (llama.cpp in-process); :mod:`.openai`: OpenAI and any
  OpenAI-compatible server; :mod:`.cache`: the persistent response cache; :mod:`.costs`: prices;
  :mod:`.limits`: rate limits (token buckets, a shared 429 pause, adaptive concurrency);
  :mod:`.pool`: several servers of one model behind one backend.

>>> from agents.llm import as_llm
>>> as_llm(lambda prompt: "Finish[4]").complete("2+2?").text
'Finish[4]'
"""
from .base import (DEFAULT_MAX_TOKENS, LLM, CallableLLM, Completion, LangChainLLM, LLMCallError,
                   approx_token_count, as_llm, cut_at_stop, make_llm)

__all__ = ["DEFAULT_MAX_TOKENS", "LLM", "CallableLLM", "Completion", "LangChainLLM", "LLMCallError",
           "approx_token_count", "as_llm", "cut_at_stop", "make_llm"]
