"""reinAgent: verbal reinforcement ("Reflexion", Shinn et al. 2023) for language agents.

>>> from agents import CoTAgent, ReinAgentStrategy
>>> ReinAgentStrategy.REINAGENT.value
'reinagent'

Importing the package needs no network, key or model file: backends are built by ``make_llm``.
"""
from .attempt import Attempt
from .cot import CoTAgent
from .evaluate import exact_match, exact_match_evaluator, f1, normalize_answer
from .llm import LLM, Completion, as_llm, make_llm
from .react import ReactAgent, ReactReflectAgent
from .strategies import ReinAgentStrategy, reinAgentStrategy


def __getattr__(name):
    # Heavier pieces (pandas, the docstores) load on first use, keeping `import agents` fast.
    if name in ("run_trials", "ResumeRefused"):
        from . import runner
        return getattr(runner, name)
    if name in ("load_hotpotqa", "supporting_context"):
        from . import hotpotqa
        return getattr(hotpotqa, name)
    if name in ("OfflineDocstore", "WikipediaDocstore", "make_docstore"):
        from . import docstore
        return getattr(docstore, name)
    raise AttributeError(f"module 'agents' has no attribute {name!r}")


__all__ = ["Attempt", "CoTAgent", "Completion", "LLM", "ReactAgent", "ReactReflectAgent",
           "ReinAgentStrategy", "reinAgentStrategy", "as_llm", "exact_match", "exact_match_evaluator",
           "f1", "make_llm", "normalize_answer", "run_trials", "load_hotpotqa", "supporting_context",
           "OfflineDocstore", "WikipediaDocstore", "make_docstore"]
