"""``python -m agents rescore RUN_DIR``: score a finished run again, offline, from its ``attempts.jsonl``.

Generating and scoring are separated by the records (as in openai/human-eval): each row's answer
is scored again by the task's own scorer against the sample's ground truth (HotPotQA: EM and F1
against the data file's answer; HumanEval: the hidden tests, in the real sandbox). Every row of the
history is re-scored (a row that ended in an error gets no scores, as when it was written) and
written, in the file's order, to ``attempts.rescored.jsonl`` beside it; ``attempts.jsonl`` is never
rewritten. What changed is returned (and printed by the command) with the per-trial success rate
before and after.

ALFWorld cannot be re-scored offline: its score is the game engine's verdict at the end of the
episode, and the records hold the commands, not the game; it takes the game to replay them.

>>> import tempfile
>>> from agents.engine.records import RunFolder
>>> folder = RunFolder(tempfile.mkdtemp())
>>> folder.write_manifest({"task": "alfworld", "agent": "alfworld_react", "strategy": "reinagent"})
>>> folder.append({"sample_id": "g1", "trial": 1, "correct": True, "task": "alfworld"})
>>> rescore(folder.path)
Traceback (most recent call last):
...
agents.engine.rescore.RescoreRefused: ALFWorld cannot be re-scored offline: ...
"""
from __future__ import annotations

import argparse
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .records import RunFolder, final_records
from .report import summarize
from .runs import Run
from .schema import SCHEMA_VERSION, RunRecord

RESCORED = "attempts.rescored.jsonl"

# Tasks whose score needs what the records do not hold. (Until the task contract says so itself.)
NOT_OFFLINE = {
    "alfworld": "ALFWorld cannot be re-scored offline: its score (won) is the game engine's verdict at the "
                "end of the episode, and the records hold the commands sent, not the game; replaying them "
                "needs the game itself (run the games again with the same commands instead)",
}


class RescoreRefused(ValueError):
    """The run cannot be re-scored offline (the message says why and what to do instead)."""


@dataclass
class Change:
    """One row whose scores differ: where it is, and what it said before and says now."""
    line: int
    sample_id: str
    trial: int
    attempt_no: int
    correct_before: bool
    correct_after: bool
    scores_before: dict[str, Any]
    scores_after: dict[str, Any]

    def words(self) -> str:
        """``em False -> True, f1 0.5 -> 1.0``: the scores that differ."""
        names = list(dict.fromkeys([*self.scores_before, *self.scores_after]))
        return ", ".join(f"{name} {self.scores_before.get(name, '—')} -> {self.scores_after.get(name, '—')}"
                         for name in names if self.scores_before.get(name) != self.scores_after.get(name))


@dataclass
class Rescored:
    """What ``rescore`` did: the file written, the rows, what changed, success per trial before/after."""
    run_dir: Path
    path: Path
    task: str
    rows: int
    changes: list[Change] = field(default_factory=list)
    first_scored: int = 0        # rows an older kit wrote without scores, scored now
    before: list[dict[str, Any]] = field(default_factory=list)   # summarize() rows of the final records
    after: list[dict[str, Any]] = field(default_factory=list)


def rescore(run_dir: str | os.PathLike, data: str | os.PathLike | None = None, out: str = RESCORED,
            workers: int = 4) -> Rescored:
    """Score every row of ``run_dir``'s ``attempts.jsonl`` again with its task's scorer against the
    ground truth in ``data`` (default: where the task finds its data), write the rows to ``out``
    beside it, and say what changed (see the module doc)."""
    from ..tasks import get_task

    run = Run.read(run_dir)
    name = run.task
    if name in NOT_OFFLINE:
        raise RescoreRefused(NOT_OFFLINE[name])
    task = get_task(name)
    history = run.typed_history()
    lines, rows = [number for number, _ in history], [row for _, row in history]
    samples = _samples(task, {r.sample_id for r in rows if not r.error}, data)

    def scored(row: RunRecord) -> RunRecord:
        if row.error:  # an attempt that ended in an error was never scored (it runs again on resume)
            scores: dict[str, Any] = {}
        else:
            scores = dict(task.score(samples[row.sample_id], row.to_attempt()))
        target = task.target_of(samples[row.sample_id]) if row.sample_id in samples else row.target
        return RunRecord(**{**_fields(row), "scores": scores, "target": target,
                            "correct": bool(scores.get(task.primary_score, False)),
                            "schema_version": SCHEMA_VERSION})

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:   # HumanEval: a jail per row, side by side
        new = list(pool.map(scored, rows))
    folder = RunFolder.reader(run.path)
    path = folder.write_records(out, (r.to_json() for r in new))
    # A row an older kit wrote without scores is scored for the first time: a change only if its
    # verdict (``correct``) differs.
    changes = [Change(line, old.sample_id, old.trial, old.attempt_no, old.correct, now.correct,
                      dict(old.scores), dict(now.scores))
               for line, old, now in zip(lines, rows, new)
               if old.correct != now.correct or (old.scores and _plain(old.scores) != _plain(now.scores))]
    first = sum(1 for old, now in zip(rows, new) if not old.scores and now.scores)
    n = run.n or None
    return Rescored(run_dir=run.path, path=path, task=name, rows=len(rows), changes=changes, first_scored=first,
                    before=summarize(final_records(r.to_json() for r in rows), n),
                    after=summarize(final_records(r.to_json() for r in new), n))


def _fields(row: RunRecord) -> dict[str, Any]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}


def _plain(scores: dict[str, Any]) -> str:
    return json.dumps(scores, sort_keys=True, default=str)


def _samples(task: Any, ids: set[str], data: str | os.PathLike | None) -> dict[str, Any]:
    """The run's samples from the task's data (every id a row needs, or an error naming them)."""
    if not ids:
        return {}
    found = {s.id: s for s in task.load(path=str(data) if data else None) if s.id in ids}
    missing = sorted(ids - set(found))
    if missing:
        raise ValueError(f"{len(missing)} sample id(s) of this run are not in the {task.title} data"
                         f"{f' at {data}' if data else ''} (e.g. {', '.join(missing[:3])}): point --data at "
                         "the file the run was made from")
    return found


def format_result(result: Rescored, limit: int = 50) -> str:
    """The table the command prints: the rows that changed (at most ``limit``), then success per
    trial (final records) before and after."""
    lines = [f"re-scored {result.rows} rows of {result.run_dir} ({result.task}): {len(result.changes)} changed"
             + (f"; {result.first_scored} had no scores (an older kit's rows) and have them now"
                if result.first_scored else "")]
    if result.changes:
        width = max(9, *(len(c.sample_id) for c in result.changes[:limit]))
        lines.append(f"{'sample_id':{width}s}  trial  try  line  correct          scores")
        for c in result.changes[:limit]:
            lines.append(f"{c.sample_id:{width}s}  {c.trial:5d}  {c.attempt_no:3d}  {c.line:4d}  "
                         f"{str(c.correct_before):5s} -> {str(c.correct_after):5s}   {c.words()}")
        if len(result.changes) > limit:
            lines.append(f"... and {len(result.changes) - limit} more (every row is in {result.path.name})")
    before = {row["trial"]: row["success_rate"] for row in result.before}
    after = {row["trial"]: row["success_rate"] for row in result.after}
    lines.append("success rate per trial (final records):")
    lines.append("  trial   before   after")
    for trial in sorted(set(before) | set(after)):
        mark = "" if before.get(trial) == after.get(trial) else "   *"
        lines.append(f"  {trial:5d}   {before.get(trial, 0):.3f}    {after.get(trial, 0):.3f}{mark}")
    lines.append(f"written: {result.path} ({result.run_dir / 'attempts.jsonl'} is unchanged)")
    return "\n".join(lines)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "rescore", help="score a finished run again, offline, from its attempts.jsonl",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score every attempt of a run folder again with its task's scorer against the\n"
                    "ground truth (HotPotQA: EM/F1 against the data file; HumanEval: the hidden tests\n"
                    "in the sandbox), write attempts.rescored.jsonl beside attempts.jsonl (which is\n"
                    "never rewritten) and print what changed. ALFWorld cannot be re-scored offline:\n"
                    "its score is the game's verdict.")
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder (it has attempts.jsonl)")
    parser.add_argument("--data", metavar="PATH",
                        help="the task's data file the run was made from (default: where the task finds it, "
                             "e.g. $HOTPOTQA_PATH)")
    parser.add_argument("--show", type=int, default=50, metavar="N",
                        help="changed rows to print (default: %(default)s; all are in the file)")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not (Path(args.run_dir) / "attempts.jsonl").exists():
        parser.error(f"no attempts.jsonl in {args.run_dir}: rescore reads a run folder's records")
    print(format_result(rescore(args.run_dir, data=args.data), limit=max(0, args.show)))
    return 0

