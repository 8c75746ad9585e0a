"""reinAgent: verbal reinforcement ("Reflexion", Shinn et al. 2023) for language agents, on any task.

>>> from agents import CoTAgent, ReinAgentStrategy
>>> ReinAgentStrategy.REINAGENT.value
'reinagent'
>>> from agents import task_names
>>> task_names()
['hotpotqa', 'alfworld', 'humaneval']

Importing the package needs no network, key or model file: backends are built by ``make_llm``,
and a task's engine (ALFWorld's, say) loads only when that task runs.
"""
from .llm import LLM, Completion, as_llm, make_llm
from .strategies import ReinAgentStrategy, reinAgentStrategy
from .tasks import get_task, task_names
from .types import Attempt, Feedback, FeedbackSource, Sample

# Heavier or task-specific names, loaded on first use (keeps `import agents` fast): name -> module.
_LAZY = {
    "run_trials": "agents.engine.runner", "ResumeRefused": "agents.engine.runner",
    "load_run": "agents.engine.plots", "find_runs": "agents.engine.plots",
    "load_hotpotqa": "agents.tasks.hotpotqa.data", "supporting_context": "agents.tasks.hotpotqa.data",
    "OfflineDocstore": "agents.tasks.hotpotqa.docstore", "WikipediaDocstore": "agents.tasks.hotpotqa.docstore",
    "make_docstore": "agents.tasks.hotpotqa.docstore",
    "ReactAgent": "agents.tasks.hotpotqa.actors", "ReactReflectAgent": "agents.tasks.hotpotqa.actors",
    "CoTAgent": "agents.tasks.hotpotqa.actors",
    "exact_match": "agents.tasks.hotpotqa.scoring", "exact_match_evaluator": "agents.tasks.hotpotqa.scoring",
    "f1": "agents.tasks.hotpotqa.scoring", "normalize_answer": "agents.tasks.hotpotqa.scoring",
    "prompts": "agents.tasks.hotpotqa", "fewshots": "agents.tasks.hotpotqa",
}


def __getattr__(name):
    import importlib

    if name not in _LAZY:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    if name in ("prompts", "fewshots"):  # HotPotQA's prompt modules, as the notebooks use them
        return importlib.import_module(f"{_LAZY[name]}.{name}")
    return getattr(module, name)


__all__ = ["Attempt", "CoTAgent", "Completion", "Feedback", "FeedbackSource", "LLM", "ReinAgentStrategy",
           "Sample", "as_llm", "get_task", "make_llm", "reinAgentStrategy", "task_names", *_LAZY]
