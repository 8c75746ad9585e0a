"""``python -m agents grid``: every agent x strategy (x seed) of a task, each an ordinary run folder.

Each configuration is a normal run (cached, resumable, concurrent); the grid adds a manifest that
lists its runs, at ``<root>/grids/<grid-name>.json``. Re-running the same grid runs only what is
missing: a finished run folder resumes with nothing to do. ``--seeds K`` repeats each configuration
with K sampling seeds (with ``--temperature`` > 0 they differ; the seed and temperature are part of
the model's identity, so of the cache key, and of the run name).

>>> configurations(["react", "cot_context"], ["none", "reinagent"], seeds=[0])[:2]
[('react', 'base', 0), ('react', 'reinagent', 0)]
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any, Sequence

from ..strategies import ReinAgentStrategy

ALL_STRATEGIES = [s.value for s in ReinAgentStrategy]


def configurations(agents: Sequence[str], strategies: Sequence[str], seeds: Sequence[int]) -> list[tuple[str, str, int]]:
    """(agent, strategy folder name, seed) for every cell of the grid, in run order."""
    return [(agent, ReinAgentStrategy.parse(strategy).value, seed)
            for agent in agents for strategy in strategies for seed in seeds]


def _names(text: str, allowed: Sequence[str], what: str) -> list[str]:
    if text == "all":
        return list(allowed)
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if what == "strategy":
            ReinAgentStrategy.parse(name)
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
    from .runner import _slug, run_trials

    task = get_task(task_name)
    samples = task.load(n=n_samples, seed=sample_seed)
    root = Path(root or task.runs_root)
    feedback = task.check_feedback(feedback)
    name = name or f"grid-{_slug(llm_spec)}-{len(samples)}{task.unit[0]}-t{temperature:g}"
    manifest_path = root / "grids" / f"{name}.json"
    models: dict[int, Any] = {}
    runs = []
    for agent, strategy, seed in configurations(agents, strategies, list(range(seeds))):
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
    parser.add_argument("--trials", type=int, default=5, metavar="T")
    parser.add_argument("--questions", "--games", "--problems", "--samples", dest="samples", type=int, metavar="N")
    parser.add_argument("--seed", type=int, default=0, help="which samples are chosen (default: %(default)s)")
    parser.add_argument("--llm", default="local", metavar="SPEC")
    parser.add_argument("--base-url", metavar="URL")
    parser.add_argument("--temperature", type=float, default=0.0, metavar="T")
    parser.add_argument("--seeds", type=int, default=1, metavar="K",
                        help="repeat each configuration with sampling seeds 0..K-1 (default: %(default)s)")
    parser.add_argument("--feedback", metavar="SOURCE", help="the feedback source (default: the task's)")
    parser.add_argument("--concurrency", type=int, default=1, metavar="K")
    parser.add_argument("--out", metavar="DIR", help="results root (default: the task's)")
    parser.add_argument("--name", help="the grid's name (default: grid-<model>-<N><unit>-t<T>)")
    parser.add_argument("--no-cache", action="store_true")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from ..tasks import get_task

    task = get_task(args.task)
    try:
        agents = _names(args.agents, task.agents, "agent")
        strategies = _names(args.strategies, ALL_STRATEGIES, "strategy")
    except ValueError as error:
        parser.error(str(error))
    for flag, value, low in (("--trials", args.trials, 1), ("--seeds", args.seeds, 1),
                             ("--concurrency", args.concurrency, 1)):
        if value < low:
            parser.error(f"{flag} must be at least {low}, got {value}")
    if args.temperature < 0:
        parser.error(f"--temperature must be >= 0, got {args.temperature}")
    manifest = run_grid(args.task, agents, strategies, llm_spec=args.llm, n_samples=args.samples,
                        n_trials=args.trials, seeds=args.seeds, temperature=args.temperature,
                        sample_seed=args.seed, feedback=args.feedback, root=args.out, base_url=args.base_url,
                        concurrency=args.concurrency, cache=not args.no_cache, name=args.name)
    for run in manifest["runs"]:
        print(f"{run['agent']:16s} {run['strategy']:26s} seed {run['seed']}  {run['attempts']:4d} attempts  "
              f"{run['errors']} errors  {run['seconds']:7.1f} s  {run['run_dir']}")
    root = Path(manifest["runs"][0]["run_dir"]).parents[2] if manifest["runs"] else args.out
    print(f"grid manifest: {Path(root) / 'grids' / (manifest['grid'] + '.json')}\n"
          f"next: python -m agents report {root}")
    return 1 if any(run["errors"] for run in manifest["runs"]) else 0
