"""Model backends behind one small contract: ``complete(prompt) -> Completion``.

- :mod:`.base`: the contract (:class:`LLM`, :class:`Completion`), plain callables and LangChain
  models (:func:`as_llm`); :mod:`.registry`: :func:`make_llm`, which builds a backend from a spec
  at the edge, by its prefix; :mod:`.retry`: the one retry policy every backend goes through;
- :mod:`.local`: the embedded model (llama.cpp in-process); :mod:`.openai`: OpenAI and any
  OpenAI-compatible server; :mod:`.langchain`: any LangChain provider (``langchain:<provider>:<model>``);
  :mod:`.pool`: several servers of one model as one backend; :mod:`.limits`: rate limits;
  :mod:`.cache`: the persistent response cache; :mod:`.costs`: prices; :mod:`.signals`: errors and stops.

>>> from agents.llm import as_llm
>>> as_llm(lambda prompt: "Finish[4]").complete("2+2?").text
'Finish[4]'
"""
from .base import (DEFAULT_MAX_TOKENS, LLM, CallableLLM, Completion, LangChainLLM, LLMCallError,
                   approx_token_count, as_llm, cut_at_stop)
from .registry import make_llm, register_backend
from .retry import Decision, RetryPolicy

__all__ = ["DEFAULT_MAX_TOKENS", "LLM", "CallableLLM", "Completion", "Decision", "LangChainLLM",
           "LLMCallError", "RetryPolicy", "approx_token_count", "as_llm", "cut_at_stop", "make_llm",
           "register_backend"]
