"""``python -m agents report ROOT_OR_RUNS... [--out DIR]``: the analysis a reviewer would trust.

For the runs found (run folders, or results roots searched for them), one report per task (runs of
different tasks are never compared): per-trial success with confidence intervals (Wilson score by
default; tiny samples flagged), paired comparisons between strategies on the same samples under the
same feedback source (Newcombe's interval of the difference, exact McNemar; pairs that cannot be
read are left out with a note), cost and tokens against success, the original's logged curves where
the task has them, and the trial viewer (one self-contained HTML file). See
:mod:`agents.engine.analysis`.

>>> import tempfile
>>> from agents.engine.records import RunFolder
>>> folder = RunFolder(tempfile.mkdtemp())
>>> folder.append({"sample_id": "a", "trial": 1, "correct": True, "agent": "cot_context", "strategy": "base"})
>>> folder.write_manifest({"task": "hotpotqa", "agent": "cot_context", "strategy": "base", "dataset_ids": ["a"]})
>>> [(task, len(runs)) for task, runs in load_runs([folder.path]).items()]
[('hotpotqa', 1)]
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Iterable

from .runs import load_runs  # noqa: F401 - every run folder at or under the paths, grouped by task


def report(paths: Iterable[str | Path], out: str | Path | None = None, paper: bool = True,
           n_resamples: int = 10_000, seed: int = 0, interval: str = "wilson") -> dict[str, list[Path]]:
    """Write one report per task; returns the files written, by task."""
    from ..tasks import get_task
    from .analysis import write_report
    from .transfer_report import write_transfer

    paths = [Path(p) for p in paths]
    by_task = load_runs(paths)
    first_root = paths[0] if paths[0].is_dir() else paths[0].parent
    written = {}
    for task_name, runs in by_task.items():
        base = Path(out) if out else first_root / "report"
        folder = base if len(by_task) == 1 else base / task_name
        task = get_task(task_name)
        curves = task.paper_curves() if paper else None
        written[task_name] = write_report(runs, folder, paper=curves, n_resamples=n_resamples, seed=seed,
                                          paper_agent=task.paper_agent, interval=interval,
                                          paper_n=getattr(task, "paper_n", None))
        written[task_name] += write_transfer(runs, folder)   # runs shown a learnt memory: the four arms
    return written


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "report", help="CIs, paired tests, cost vs success and the trial viewer for runs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Per-trial success with 95% Wilson score intervals (tiny n flagged), Newcombe's\n"
                    "interval and exact McNemar between strategies on the same samples and feedback\n"
                    "source (other pairs are listed as left out), cost/tokens vs success, and\n"
                    "viewer.html (trial k beside trial k+1 with the reflection between them).\n"
                    "Every table and figure names the feedback source, model, environment and n.")
    parser.add_argument("runs", nargs="+", metavar="ROOT_OR_RUN", help="run folders or results roots")
    parser.add_argument("--out", metavar="DIR", help="where to write (default: <first root>/report)")
    parser.add_argument("--no-paper", action="store_true", help="leave out the original's logged curves")
    parser.add_argument("--interval", choices=("wilson", "bootstrap"), default="wilson",
                        help="wilson: Wilson score for shares, Newcombe's hybrid score for paired "
                             "differences (never zero-width at 0 or n); bootstrap: percentile bootstrap "
                             "over samples, flagged unreliable at tiny n and at 0 or n (default: %(default)s)")
    parser.add_argument("--resamples", type=int, default=10_000, metavar="N",
                        help="bootstrap resamples, with --interval bootstrap (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: %(default)s)")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .analysis import read_left_out

    if args.resamples < 100:
        parser.error(f"--resamples must be at least 100, got {args.resamples}")
    written = report(args.runs, args.out, paper=not args.no_paper, n_resamples=args.resamples, seed=args.seed,
                     interval=args.interval)
    for task, paths in written.items():
        print(f"{task}: {len(paths)} files in {paths[0].parent}")
        for path in paths:
            print(f"  {path}")
        transfer = next((p for p in paths if p.name == "transfer.md"), None)
        if transfer is not None:   # the four arms of a learnt memory: what a reviewer reads first
            print(transfer.read_text(encoding="utf-8").split("<details>")[0].rstrip())
        notes = read_left_out(paths)
        if notes:
            print(f"  {len(notes)} pair(s) left out of the paired comparisons (see report.md):")
            for note in notes:
                print(f"    {note}")
    return 0

