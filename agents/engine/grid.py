"""``python -m agents grid``: every agent x strategy (x seed) of a task, each an ordinary run folder.

Each configuration is a normal run (cached, resumable, concurrent); the grid adds a manifest that
lists its runs, at ``<root>/grids/<grid-name>.json``. Re-running the same grid runs only what is
missing: a finished run folder resumes with nothing to do. ``--seeds K`` repeats each configuration
with K sampling seeds (with ``--temperature`` > 0 they differ; the seed and temperature are part of
the model's identity, so of the cache key, and of the run name, where the temperature is spelled
out: ``grid-local-10q-temp0``, never ``t0``, which reads as "0 trials").

>>> configurations(["react", "cot_context"], ["none", "reinagent"], seeds=[0])[:2]
[('react', 'base', 0), ('react', 'reinagent', 0)]
>>> grid_name("local", 10, "questions", 0.0), grid_name("openai:gpt-4o", 5, "games", 0.7)
('grid-local-10q-temp0', 'grid-openai-gpt-4o-5g-temp0.7')
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Sequence

from ..cli_types import positive_int
from ..memory import registry


def task_strategies(task_name: str) -> list[str]:
    """The strategies ``all`` means for a task: the folder names of the arms it offers
    (:mod:`agents.memory.registry`; programming has its own arms)."""
    return [arm.folder for arm in registry.arms(task_name)]


def grid_name(llm_spec: str, n_samples: int, unit: str, temperature: float) -> str:
    """``grid-<model>-<N><unit letter>-temp<T>``: the temperature in words, so ``temp0`` cannot be
    read as "0 trials"."""
    from .runner import _slug

    return f"grid-{_slug(llm_spec)}-{n_samples}{unit[0]}-temp{temperature:g}"


def configurations(agents: Sequence[str], strategies: Sequence[str], seeds: Sequence[int],
                   task: str | None = None) -> list[tuple[str, str, int]]:
    """(agent, strategy folder name, seed) for every cell of the grid, in run order (a strategy's
    name means what it means in ``task``: ``reflexion`` on HumanEval is the programming loop)."""
    return [(agent, registry.resolve(strategy, task=task).folder, seed)
            for agent in agents for strategy in strategies for seed in seeds]


def _names(text: str, allowed: Sequence[str], what: str) -> list[str]:
    if text == "all":
        return list(allowed)
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if what == "strategy":
            registry.resolve(name)
        elif name not in allowed:
            raise ValueError(f"unknown {what} {name!r}; choose from {', '.join(allowed)} or 'all'")
    return names


def run_grid(task_name: str, agents: Sequence[str], strategies: Sequence[str], *, llm_spec: str,
             n_samples: int | None, n_trials: int, seeds: int = 1, temperature: float = 0.0,
             sample_seed: int = 0, feedback: str | None = None, root: str | Path | None = None,
             base_url: str | None = None, concurrency: int = 1, cache: bool = True,
             name: str | None = None, progress: bool = True) -> dict[str, Any]:
    """Run the grid and return its manifest (also written to ``<root>/grids/<name>.json``)."""
    from ..llm import make_llm
    from ..tasks import get_task
    from .runner import run_trials

    task = get_task(task_name)
    samples = task.load(n=n_samples, seed=sample_seed)
    root = Path(root or task.runs_root)
    feedback = task.check_feedback(feedback)
    name = name or grid_name(llm_spec, len(samples), task.unit, temperature)
    manifest_path = root / "grids" / f"{name}.json"
    models: dict[int, Any] = {}
    runs = []
    for agent, strategy, seed in configurations(agents, strategies, list(range(seeds)), task=task.name):
        if seed not in models:
            options: dict[str, Any] = {"temperature": temperature}
            if seeds > 1 or temperature:
                options["seed"] = seed
            if base_url:
                options["base_url"] = base_url
            models[seed] = make_llm(llm_spec, **options)
        run_name = f"{name}-s{seed}"
        started = time.monotonic()
        frame = run_trials(agent, samples, task=task, strategy=strategy, n_trials=n_trials,
                           llm=models[seed], feedback=feedback, root=root, run_name=run_name,
                           concurrency=concurrency, cache=cache, progress=progress)
        errors = frame.attrs.get("errors")
        runs.append({"agent": agent, "strategy": strategy, "seed": seed, "run_dir": frame.attrs["run_dir"],
                     "attempts": len(frame), "errors": errors["count"] if errors else 0,
                     "seconds": round(time.monotonic() - started, 1)})
        _write(manifest_path, {"grid": name, "task": task.name, "llm": llm_spec, "temperature": temperature,
                               "seeds": seeds, "n_samples": len(samples), "n_trials": n_trials,
                               "feedback_source": feedback, "runs": runs})
    return json.loads(manifest_path.read_text())


def _write(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    from ..tasks import DEFAULT_TASK, task_names

    parser = commands.add_parser(
        "grid", help="run every agent x strategy (x seed) of a task; re-running runs what is missing",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="An ablation grid: each configuration is an ordinary run folder (cached, resumable,\n"
                    "concurrent); <root>/grids/<name>.json lists them. Then: python -m agents report <root>.\n\n"
                    "example:\n  python -m agents grid --task hotpotqa --agents react,cot_context,cot_no_context "
                    "--strategies all --trials 2 --questions 5 --llm local")
    parser.add_argument("--task", default=DEFAULT_TASK, choices=task_names())
    parser.add_argument("--agents", default="all", help="comma list, or all (default: %(default)s)")
    parser.add_argument("--strategies", default="all", help="comma list, or all (default: %(default)s)")
    parser.add_argument("--trials", type=positive_int, default=5, metavar="T")
    parser.add_argument("--questions", "--games", "--problems", "--samples", dest="samples", type=positive_int,
                        metavar="N", help="samples to run, chosen with --seed (default: all of the task's)")
    parser.add_argument("--seed", type=int, default=0, help="which samples are chosen (default: %(default)s)")
    parser.add_argument("--llm", default="local", metavar="SPEC")
    parser.add_argument("--base-url", metavar="URL")
    parser.add_argument("--temperature", type=float, default=0.0, metavar="T")
    parser.add_argument("--seeds", type=positive_int, default=1, metavar="K",
                        help="repeat each configuration with sampling seeds 0..K-1 (default: %(default)s)")
    parser.add_argument("--feedback", metavar="SOURCE", help="the feedback source (default: the task's)")
    parser.add_argument("--concurrency", type=positive_int, default=1, metavar="K")
    parser.add_argument("--out", metavar="DIR", help="results root (default: the task's)")
    parser.add_argument("--name", help="the grid's name (default: grid-<model>-<N><unit>-temp<T>)")
    parser.add_argument("--no-cache", action="store_true")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..tasks import get_task

    task = get_task(args.task)
    try:
        agents = _names(args.agents, task.agents, "agent")
        strategies = _names(args.strategies, task_strategies(task.name), "strategy")
    except ValueError as error:
        parser.error(str(error))
    if args.temperature < 0:
        parser.error(f"--temperature must be >= 0, got {args.temperature}")
    manifest = run_grid(args.task, agents, strategies, llm_spec=args.llm, n_samples=args.samples,
                        n_trials=args.trials, seeds=args.seeds, temperature=args.temperature,
                        sample_seed=args.seed, feedback=args.feedback, root=args.out, base_url=args.base_url,
                        concurrency=args.concurrency, cache=not args.no_cache, name=args.name)
    replays = False
    for run in manifest["runs"]:
        # The none arm at temperature 0 sends trial 1's prompt again: every retry is a cache hit.
        replay = registry.is_control(run["strategy"]) and not manifest["temperature"]
        replays |= replay
        print(f"{run['agent']:16s} {run['strategy']:26s} seed {run['seed']}  {run['attempts']:4d} attempts  "
              f"{run['errors']} errors  {run['seconds']:7.1f} s  {run['run_dir']}" + ("  (replay)" if replay else ""))
    if replays and manifest["n_trials"] > 1:
        print("(replay): the none arm at temperature 0 repeats trial 1 in every trial (same prompt, same "
              "reply from the cache): a control for memory; --temperature above 0 re-samples")
    root = Path(manifest["runs"][0]["run_dir"]).parents[2] if manifest["runs"] else args.out
    print(f"grid manifest: {Path(root) / 'grids' / (manifest['grid'] + '.json')}\n"
          f"next: python -m agents report {root}")
    return 1 if any(run["errors"] for run in manifest["runs"]) else 0
