"""Trials as data: run N samples x T trials of any task with a strategy, concurrently, resumably, cached.

Semantics follow the paper: trial 1 runs every sample; trial k+1 of a sample runs only if the
feedback on its trial k said failure, with the strategy's memory. A sample's memory is its own, so
its next trial starts as soon as its last one ends: there is no barrier between trials
(``barrier=True`` restores one, for comparison; the records are the same). Every finished attempt
is appended to ``attempts.jsonl`` at once, so a kill loses at most the attempts in flight, and
running the same call again resumes where it stopped.

>>> import tempfile
>>> from agents.llm import CallableLLM
>>> questions = [{"id": "q1", "question": "2+2?", "answer": "4"}, {"id": "q2", "question": "3+3?", "answer": "6"}]
>>> model = CallableLLM(lambda p: " Easy.\\nAction: Finish[4]", name="always-four")
>>> df = run_trials("cot_no_context", questions, strategy="reinagent", n_trials=2, llm=model,
...                 root=tempfile.mkdtemp(), cache=False, progress=False)
>>> df[["sample_id", "trial", "answer", "correct", "feedback_source"]].values.tolist()
[['q1', 1, '4', True, 'oracle'], ['q2', 1, '4', False, 'oracle'], ['q2', 2, '4', False, 'oracle']]
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..llm.cache import ResponseCache
from .records import ManifestWriter
from .trials.meter import Meter
from .trials.resume import ResumeState
from .trials.schedule import (GRACE_S, SLOW_AFTER_S, UNWIND_S, BudgetExceeded, EmptyReplies,  # noqa: F401
                              RunInterrupted)
from .trials.schedule import say as _say  # noqa: F401 - the status line, for notebooks and tools
from .trials.session import Session, now
from .trials.spec import (PROMPT_OPTIONS, ResumeRefused, RunSpec, _slug, default_run_name,  # noqa: F401
                          estimate_cost)


def run_trials(agent: str, samples: Any, *, task: Any = "hotpotqa", strategy: Any = None, n_trials: int = 5,
               llm: Any = "local", reflect_llm: Any = None, feedback: str | None = None, judge_llm: Any = None,
               evaluator: Callable[[str, str], bool] | None = None, environment: Any = None,
               concurrency: int = 1, run_name: str | None = None, root: str | Path | None = None,
               cache: bool = True, cache_path: str | Path | None = None, budget_usd: float | None = None,
               prices: dict[str, tuple[float, float]] | None = None, dry_run: bool = False,
               progress: bool = True, verbose: bool = False, barrier: bool = False,
               rpm: float | None = None, tpm: float | None = None, resume_without_manifest: bool = False,
               memory_file: Any = None, allow_overlap: bool = False, online: Any = None,
               **agent_options: Any):
    """Run ``n_trials`` trials of ``agent`` over ``samples``; return the final attempts as a DataFrame.

    The arguments are :meth:`RunSpec.plan`'s (task, strategy, feedback, models, concurrency, budget,
    agent options) and :meth:`RunSpec.connected`'s (environment, ``rpm``/``tpm``, ``root``,
    ``run_name``); ``cache``/``cache_path`` is the response cache, ``dry_run`` an estimate that
    calls and writes nothing. The folder ``root/<agent>/<strategy>/<run_name>`` is locked (one
    process per run); the same call again resumes it, refused if its configuration differs.

    ``memory_file``: a learnt memory (a file of ``python -m agents learn``, or a
    :class:`~agents.memory.transfer.LearntMemory`) shown to every attempt before the arm's own memory;
    samples it was learnt on are refused unless ``allow_overlap``; ``online`` (True, or a method
    name to start from an empty memory) runs the samples one at a time in order, each scored before
    the memory learns from it (:mod:`agents.memory.transfer`).

    Stopping: Ctrl-C or SIGTERM starts nothing new, gives attempts in flight a few seconds, writes
    the summary and the manifest (``stopped: interrupted``) and raises :class:`RunInterrupted`; a
    dead server, an unreadable cache or the budget stop the same way without raising. ``attrs``:
    ``run_dir``, ``stopped``, ``stop_message``, ``errors``, ``resumed``, ``manifest``.
    """
    import pandas as pd

    spec = RunSpec.plan(agent, samples, task=task, strategy=strategy, n_trials=n_trials, llm=llm,
                        reflect_llm=reflect_llm, feedback=feedback, judge_llm=judge_llm, evaluator=evaluator,
                        concurrency=concurrency, budget_usd=budget_usd, prices=prices, progress=progress,
                        verbose=verbose, barrier=barrier, resume_without_manifest=resume_without_manifest,
                        memory_file=memory_file, allow_overlap=allow_overlap, online=online, **agent_options)
    if dry_run:  # before any server check: an estimate needs no key and no network
        return pd.DataFrame([spec.estimate()])
    spec = spec.connected(environment=environment, rpm=rpm, tpm=tpm, root=root, run_name=run_name)
    spec.folder.lock()   # one process per run folder: a second one would write every attempt twice
    try:
        previous = spec.folder.read_manifest()
        spec.refuse_resume_of(previous)          # before anything is written, the manifest included
        spec.folder.repair_tail()
        resume, history = ResumeState.read(spec.folder, [s.id for s in spec.samples])
        meter = Meter(spec, ResponseCache(cache_path) if cache else None, previous, history)
        del history                              # only its totals are kept
        session = Session(spec, resume, meter, ManifestWriter(spec.folder, spec.manifest(previous, now())))
        return session.finish(*session.run())
    finally:
        spec.folder.close()
