"""Turning attempt records into the per-trial table and the human-readable log.

Success rate after trial k is the share of all questions solved in trials 1..k, the curve the
Reflexion paper plots (a solved question stays solved).

>>> recs = [{"question_id": "a", "trial": 1, "correct": True, "halted": False, "error": None},
...         {"question_id": "b", "trial": 1, "correct": False, "halted": True, "error": None},
...         {"question_id": "b", "trial": 2, "correct": True, "halted": False, "error": None}]
>>> [(r["trial"], r["correct"], r["halted"], r["success_rate"]) for r in summarize(recs, n_questions=2)]
[(1, 1, 1, 0.5), (2, 1, 0, 1.0)]
"""
from __future__ import annotations

from typing import Any, Iterable


def outcome(record: dict[str, Any]) -> str:
    """``correct`` / ``incorrect`` / ``halted`` / ``error`` for one attempt."""
    if record.get("error"):
        return "error"
    if record.get("correct"):
        return "correct"
    return "halted" if record.get("halted") else "incorrect"


# Table columns per outcome ("errors" reads better in a header than "error").
_OUTCOME_COLUMNS = (("correct", "correct"), ("incorrect", "incorrect"), ("halted", "halted"), ("errors", "error"))


def summarize(records: Iterable[dict[str, Any]], n_questions: int | None = None) -> list[dict[str, Any]]:
    """One row per trial: counts by outcome, tokens, cost, and the cumulative success rate."""
    records = list(records)
    n_questions = n_questions or len({r["question_id"] for r in records}) or 1
    rows, solved = [], set()
    for trial in sorted({r["trial"] for r in records}):
        these = [r for r in records if r["trial"] == trial]
        kinds = [outcome(r) for r in these]
        solved |= {r["question_id"] for r, kind in zip(these, kinds) if kind == "correct"}
        rows.append({
            "trial": trial, "attempted": len(these),
            **{column: kinds.count(kind) for column, kind in _OUTCOME_COLUMNS}, "solved": len(solved),
            "success_rate": round(len(solved) / n_questions, 4),
            "input_tokens": sum(r.get("input_tokens", 0) for r in these),
            "output_tokens": sum(r.get("output_tokens", 0) for r in these),
            "cost_usd": round(sum(r.get("cost_usd", 0.0) for r in these), 6),
        })
    return rows


def format_log(records: Iterable[dict[str, Any]]) -> str:
    """Per trial, the correct, incorrect, halted and failed agents with their trajectories."""
    records = list(records)
    out = []
    for trial in sorted({r["trial"] for r in records}):
        these = [r for r in records if r["trial"] == trial]
        by_kind = {kind: [r for r in these if outcome(r) == kind]
                   for kind in ("correct", "incorrect", "halted", "error")}
        head = ", ".join(f"{len(v)} {k}" for k, v in by_kind.items())
        out.append(f"{'=' * 30} Trial {trial}: {head} {'=' * 30}")
        for kind, group in by_kind.items():
            if not group:
                continue
            out.append(f"\n--- {kind.upper()} ({len(group)}) ---")
            for r in group:
                out.append(f"\n[{r['question_id']}] {r.get('question', '')}")
                if r.get("gold") is not None:
                    out.append(f"answer: {r.get('answer', '')!r}   gold: {r['gold']!r}")
                for note in r.get("reflections") or []:
                    out.append(f"reflection shown: {note}")
                out.append(r.get("scratchpad", ""))
                if r.get("error"):
                    out.append(f"ERROR: {r['error']}")
        out.append("")
    return "\n".join(out)
