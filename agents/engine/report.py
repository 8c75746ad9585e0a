"""Turning attempt records into the per-trial table and the human-readable log. Task-agnostic.

Two measures per trial, because what drives the retries (feedback) and what measures success
(ground truth) are different things:

- ``success_rate`` after trial k: the share of all samples whose *latest* answer up to trial k is
  correct (a sample that stopped being retried keeps its last answer). Under oracle feedback a
  sample stops once correct, so this is the paper's "solved by trial k"; under honest feedback
  (self, judge, tests) it is the accuracy a user would actually get.
- ``solved``: samples correct at *some* trial up to k, the oracle view; equal to the above under
  oracle feedback, an upper bound otherwise.

>>> recs = [{"sample_id": "a", "trial": 1, "correct": True, "success": True},
...         {"sample_id": "b", "trial": 1, "correct": False, "halted": True},
...         {"sample_id": "b", "trial": 2, "correct": True, "success": True}]
>>> [(r["trial"], r["correct"], r["halted"], r["success_rate"]) for r in summarize(recs, n_samples=2)]
[(1, 1, 1, 0.5), (2, 1, 0, 1.0)]
"""
from __future__ import annotations

from typing import Any, Iterable

from ..types import normalize_record
# How an attempt ended is decided in one place (the run format's Outcome); named here for tables.
from .schema import KNOWN_OUTCOMES, outcome, outcome_kinds  # noqa: F401 - report.outcome is public


def outcome_column(kind: str) -> str:
    """The table header of an outcome ("errors" reads better in a header than "error")."""
    return "errors" if kind == "error" else kind


# correct, incorrect, halted, errors: the known outcomes' columns, in the schema's order.
SUMMARY_COLUMNS = ["trial", "attempted", "feedback_success", *map(outcome_column, KNOWN_OUTCOMES),
                   "solved", "success_rate", "input_tokens", "output_tokens", "cost_usd"]


def summary_columns(rows: Iterable[dict[str, Any]] = ()) -> list[str]:
    """``SUMMARY_COLUMNS`` with a column for every other outcome the rows count, after ``errors``."""
    extra = [k for row in rows for k in row if k not in SUMMARY_COLUMNS]
    at = SUMMARY_COLUMNS.index("errors") + 1
    return SUMMARY_COLUMNS[:at] + list(dict.fromkeys(extra)) + SUMMARY_COLUMNS[at:]


def summarize(records: Iterable[dict[str, Any]], n_samples: int | None = None,
              n_questions: int | None = None) -> list[dict[str, Any]]:
    """One row per trial: counts by outcome, how often the feedback said success, the samples
    ever correct (``solved``), the latest-answer ``success_rate``, tokens and cost.

    ``n_samples`` is the denominator (the run's sample count; ``n_questions`` is its older name).
    Every outcome :func:`outcome` gives gets a count (see :func:`outcome_kinds`).
    """
    records = [normalize_record(r) for r in records]
    n_samples = n_samples or n_questions or len({r["sample_id"] for r in records}) or 1
    kinds_of = [outcome(r) for r in records]
    columns = [(outcome_column(kind), kind) for kind in outcome_kinds(kinds_of)]
    rows, solved, latest = [], set(), {}
    for trial in sorted({int(r["trial"]) for r in records}):
        pairs = [(r, kind) for r, kind in zip(records, kinds_of) if int(r["trial"]) == trial]
        these, kinds = [r for r, _ in pairs], [kind for _, kind in pairs]
        solved |= {r["sample_id"] for r, kind in pairs if kind == "correct"}
        latest.update({r["sample_id"]: kind == "correct" for r, kind in pairs})
        rows.append({
            "trial": trial, "attempted": len(these),
            "feedback_success": sum(bool(r.get("success")) for r in these),
            **{column: kinds.count(kind) for column, kind in columns}, "solved": len(solved),
            "success_rate": round(sum(latest.values()) / n_samples, 4),
            "input_tokens": sum(int(r.get("input_tokens") or 0) for r in these),
            "output_tokens": sum(int(r.get("output_tokens") or 0) for r in these),
            "cost_usd": round(sum(float(r.get("cost_usd") or 0.0) for r in these), 6),
        })
    return rows


def error_summary(records: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """Errors among final records: how many, the first message, what to do; None without errors.

    >>> error_summary([{"sample_id": "a", "trial": 2, "error": "HTTP 400 (context length)"}])["count"]
    1
    """
    failed = [normalize_record(r) for r in records if normalize_record(r).get("error")]
    if not failed:
        return None
    first = failed[0]
    return {"count": len(failed), "first": f"{first['sample_id']} trial {first['trial']}: {first['error']}",
            "hint": "fix the cause (server, context size, key) and run the same command again: "
                    "attempts that failed with an error are retried on resume"}


def format_log(records: Iterable[dict[str, Any]]) -> str:
    """Per trial, the correct, incorrect, halted and failed attempts with their trajectories."""
    records = [normalize_record(r) for r in records]
    out = []
    for trial in sorted({int(r["trial"]) for r in records}):
        these = [r for r in records if int(r["trial"]) == trial]
        by_kind = {kind: [r for r in these if outcome(r) == kind]
                   for kind in outcome_kinds(outcome(r) for r in these)}
        head = ", ".join(f"{len(v)} {k}" for k, v in by_kind.items())
        out.append(f"{'=' * 30} Trial {trial}: {head} {'=' * 30}")
        for kind, group in by_kind.items():
            if not group:
                continue
            out.append(f"\n--- {kind.upper()} ({len(group)}) ---")
            for r in group:
                out.append(f"\n[{r['sample_id']}] {r.get('input', '')}")
                target = r.get("target", r.get("gold"))
                if target is not None:
                    out.append(f"answer: {r.get('answer', '')!r}   target: {target!r}")
                feedback = r.get("feedback") or {}
                if feedback:
                    message = f" ({feedback.get('message')})" if feedback.get("message") else ""
                    out.append(f"feedback [{feedback.get('source')}]: "
                               f"{'success' if feedback.get('success') else 'failure'}{message}")
                for note in r.get("reflections") or []:
                    out.append(f"reflection shown: {note}")
                out.append(r.get("trajectory", ""))
                if r.get("error"):
                    out.append(f"ERROR: {r['error']}")
        out.append("")
    return "\n".join(out)
