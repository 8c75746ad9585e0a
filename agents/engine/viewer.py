"""A trajectory viewer in ONE self-contained HTML file: trial k and trial k+1 side by side, with the
reflection written in between and the first line where the two attempts diverge highlighted.

No network: CSS, JS and the runs (as JSON) are inline, so the file opens from disk, from a CI
artifact, or in Jupyter. The page, its style and its script are package data, files beside this
module (``viewer_assets/page.html``, ``viewer.css``, ``viewer.js``), read with importlib.resources::

    from IPython.display import IFrame, HTML
    IFrame(str(write_viewer(runs, "viewer.html")), width="100%", height=720)  # path next to the notebook
    HTML(f'<iframe srcdoc="{html.escape(viewer_html(runs))}" style="width:100%;height:720px"></iframe>')

The list filters are computed here, in Python, so they are testable without a browser:

>>> recs = [{"sample_id": "q1", "trial": 1, "correct": False, "reflections": []},
...         {"sample_id": "q1", "trial": 2, "correct": True, "reflections": ["Search the film first."]},
...         {"sample_id": "q2", "trial": 1, "correct": False, "halted": True}]
>>> [(s["id"], s["outcomes"], s["fixed"], s["never"]) for s in viewer_data([(recs, {})])["runs"][0]["samples"]]
[('q1', 'xc', True, False), ('q2', 'h-', False, True)]
>>> "</script><b>" in viewer_html([([{"sample_id": "x", "trial": 1, "trajectory": "</script><b>"}], {})])
False
"""
from __future__ import annotations

import hashlib
import html
import json
import math
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

from agents.engine.runs import describe_runs, task_attribute
from agents.engine.schema import Outcome, outcome, outcome_kinds
from agents.engine.stats import sample_id_of

# One character per trial keeps 1,000 samples x 10 trials small: c correct, x incorrect, h halted,
# e error, - no attempt at that trial (solved or stopped earlier). Any other outcome a record
# carries gets a letter of its own (see _legend), so the viewer never hides one.
_OUTCOME_CODES = {"correct": "c", "incorrect": "x", "halted": "h", "error": "e"}
_GLYPHS = {"c": "\u2713", "x": "\u2717", "h": "H", "e": "E"}
_CLASSES = {"c": "ra-c", "x": "ra-x", "h": "ra-h", "e": "ra-e"}


def _legend(kinds: Iterable[str]) -> dict[str, str]:
    """Outcome -> one-character code: the known four, then a free letter of each other's name.

    >>> _legend(["correct", "untested", "error"])["untested"]
    'u'
    """
    codes = dict(_OUTCOME_CODES)
    for kind in outcome_kinds(kinds):
        if kind not in codes:
            taken = set(codes.values()) | {"-"}
            codes[kind] = next((ch for ch in kind.lower() + "0123456789" if ch.isalnum() and ch not in taken), "?")
    return codes


def _flag(value: Any) -> bool:
    return value is not None and value == value and bool(value)  # NaN (a missing cell) is False


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to null (JSON.parse rejects NaN), the rest str."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return str(value)


def _text(value: Any) -> str:
    return "" if value is None or value != value else str(value)


def _attempt(record: dict[str, Any]) -> dict[str, Any]:
    feedback = record.get("feedback") if isinstance(record.get("feedback"), dict) else {}
    reflections = record.get("reflections")
    kind = outcome(record)
    return _clean({
        "trial": int(record["trial"]), "answer": _text(record.get("answer")),
        "trajectory": _text(record.get("trajectory") or record.get("scratchpad")),
        "reflections": [_text(r) for r in reflections] if isinstance(reflections, (list, tuple)) else [],
        "outcome": kind, "correct": kind == Outcome.CORRECT.value,
        "success": _flag(record.get("success", feedback.get("success"))),
        "feedback": {"source": _text(feedback.get("source") or record.get("feedback_source")),
                     "message": _text(feedback.get("message"))},
        "halted": _flag(record.get("halted")), "error": _text(record.get("error")) or None,
        "scores": record.get("scores") if isinstance(record.get("scores"), dict) else {},
        "tokens": int((record.get("input_tokens") or 0) + (record.get("output_tokens") or 0)),
        "cost_usd": record.get("cost_usd") or 0.0, "strategy": _text(record.get("strategy")),
    })


def _sample(sid: str, records: list[dict[str, Any]], n_trials: int, codes: dict[str, str]) -> dict[str, Any]:
    """One sample's attempts (a repeated trial: the later record wins) and its list filters."""
    by_trial = {int(r["trial"]): r for r in records}
    attempts = [_attempt(by_trial[t]) for t in sorted(by_trial)]
    ok = [a["correct"] for a in attempts]
    # "Fixed by a reflection": wrong at some trial, right at a later one that was shown a reflection.
    fixed_at = next((j for j in range(1, len(attempts)) if ok[j] and not all(ok[:j])
                     and attempts[j]["reflections"]), None)
    regressed_at = next((j for j in range(1, len(attempts)) if not ok[j] and any(ok[:j])), None)
    focus = fixed_at if fixed_at is not None else regressed_at if regressed_at is not None else 1
    for a in attempts:
        a["code"] = codes[a["outcome"]]
    by_trial_code = {a["trial"]: a["code"] for a in attempts}
    outcomes = "".join(by_trial_code.get(t, "-") for t in range(1, max([n_trials, *by_trial_code]) + 1))
    first = records[0] if records else {}
    return {"id": sid, "input": _text(first.get("input") or first.get("question")),
            "attempts": attempts, "outcomes": outcomes,
            "fixed": fixed_at is not None, "never": not any(ok), "regressed": regressed_at is not None,
            "focus": max(0, min(focus, len(attempts) - 1) - 1)}


def viewer_data(runs: Iterable[Any]) -> dict[str, Any]:
    """The JSON the page embeds: per run its label, setting and samples (manifest order; samples
    with no attempt are listed too, so the list matches the denominator), and the outcome legend
    (every outcome the records carry). ``answer_format`` is the task's: what an answer is
    (``text``, ``code`` shown with its whitespace, ``action``: the last command sent)."""
    infos = describe_runs(runs)
    codes = _legend(outcome(r) for info in infos for r in info.records)
    out = []
    for info in infos:
        grouped: dict[str, list] = {sid: [] for sid in info.ids}
        for record in info.records:
            grouped.setdefault(sample_id_of(record), []).append(record)
        out.append({
            "label": info.label, "n_trials": info.n_trials,
            "info": {"task": info.task, "agent": info.agent, "strategy": info.strategy,
                     "feedback_source": info.feedback_source, "model": info.model,
                     "environment": info.environment, "n": info.n, "settings": info.settings(),
                     "folder": info.folder, "replay": info.replay,
                     "answer_format": task_attribute(info.task, "answer_format", "text")},
            "samples": [_sample(sid, recs, info.n_trials, codes) for sid, recs in grouped.items()]})
    legend = [{"code": code, "name": kind, "glyph": _GLYPHS.get(code, code.upper()),
               "cls": _CLASSES.get(code, "ra-o")} for kind, code in codes.items()]
    return {"runs": out, "outcomes": legend}


def _script_json(data: Any) -> str:
    """JSON that cannot end its <script> element: '<', '>' and '&' become \\u escapes (valid JSON,
    same string after JSON.parse), as do the two line separators old JS engines choke on."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


def viewer_html(runs: Iterable[Any], title: str = "reinAgent trajectories") -> str:
    """The whole page as a string (see :func:`write_viewer`)."""
    payload = _script_json(viewer_data(runs))
    # Ids are derived from the data, so one notebook can hold two viewers and output stays stable.
    uid = "ra" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:10]
    page, css, script = (_asset(name) for name in ("page.html", "viewer.css", "viewer.js"))
    return (page.replace("__TITLE__", html.escape(title)).replace("__CSS__", css)
            .replace("__JS__", script.replace("__UID__", uid)).replace("__UID__", uid)
            .replace("__DATA__", payload))


@lru_cache(maxsize=None)
def _asset(name: str) -> str:
    """One of the viewer's files (package data, installed with the kit)."""
    return (resources.files("agents.engine") / "viewer_assets" / name).read_text(encoding="utf-8")


def write_viewer(runs: Iterable[Any], path: str | os.PathLike,
                 title: str = "reinAgent trajectories") -> Path:
    """Write the viewer for ``runs`` (run folders, DataFrames, :class:`~agents.engine.runs.Run`
    objects or ``(records, manifest)`` pairs) to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(viewer_html(runs, title), encoding="utf-8")
    return path
