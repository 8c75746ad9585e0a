"""A trajectory viewer in ONE self-contained HTML file: trial k and trial k+1 side by side, with the
reflection written in between and the first line where the two attempts diverge highlighted.

No network: CSS, JS and the runs (as JSON) are inline, so the file opens from disk, from a CI
artifact, or in Jupyter::

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
from pathlib import Path
from typing import Any, Iterable

from agents.engine.analysis import describe_runs, task_attribute
from agents.engine.report import outcome, outcome_kinds
from agents.engine.stats import is_correct, sample_id_of

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
    return _clean({
        "trial": int(record["trial"]), "answer": _text(record.get("answer")),
        "trajectory": _text(record.get("trajectory") or record.get("scratchpad")),
        "reflections": [_text(r) for r in reflections] if isinstance(reflections, (list, tuple)) else [],
        "outcome": outcome(record), "correct": is_correct(record),
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


def viewer_data(runs: Iterable[tuple]) -> dict[str, Any]:
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


def viewer_html(runs: Iterable[tuple], title: str = "reinAgent trajectories") -> str:
    """The whole page as a string (see :func:`write_viewer`)."""
    payload = _script_json(viewer_data(runs))
    # Ids are derived from the data, so one notebook can hold two viewers and output stays stable.
    uid = "ra" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:10]
    return (_PAGE.replace("__TITLE__", html.escape(title)).replace("__CSS__", _CSS)
            .replace("__JS__", _JS.replace("__UID__", uid)).replace("__UID__", uid)
            .replace("__DATA__", payload))


def write_viewer(runs: Iterable[tuple], path: str | os.PathLike,
                 title: str = "reinAgent trajectories") -> Path:
    """Write the viewer for ``runs`` (each ``(records, manifest)``) to ``path``; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(viewer_html(runs, title), encoding="utf-8")
    return path


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>__CSS__</style></head>
<body style="margin:0">
<div class="ra-viewer" id="__UID__">
  <header class="ra-top">
    <strong class="ra-title">__TITLE__</strong>
    <select class="ra-run" aria-label="run"></select>
    <span class="ra-info"></span>
  </header>
  <div class="ra-main">
    <aside class="ra-side">
      <div class="ra-filters">
        <button data-filter="all" class="ra-on">all</button>
        <button data-filter="fixed" title="wrong at a trial, correct at a later one after a reflection was shown">fixed by a reflection</button>
        <button data-filter="never">never solved</button>
        <button data-filter="regressed" title="correct at a trial, wrong at a later one (self/judge feedback)">regressed</button>
      </div>
      <input class="ra-search" type="search" placeholder="search inputs, answers, trajectories…" aria-label="search">
      <div class="ra-count"></div>
      <div class="ra-legend"></div>
      <div class="ra-list" tabindex="0" role="listbox"></div>
    </aside>
    <section class="ra-detail"><p class="ra-hint">Pick a sample on the left (↑/↓ move through the list).</p></section>
  </div>
</div>
<script type="application/json" id="__UID__-data">__DATA__</script>
<script>__JS__</script>
</body></html>
"""

# Everything is scoped under .ra-viewer, so embedding the page in a notebook restyles nothing else.
_CSS = """
.ra-viewer{--fg:#1d2330;--muted:#667085;--line:#d9dee7;--ok:#1a7f37;--bad:#c62828;--halt:#b26a00;
 --err:#6d28d9;--new:#fff4c2;--div:#ffe08a;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
 "DejaVu Sans",sans-serif;color:var(--fg);height:100vh;display:flex;flex-direction:column;background:#fff}
.ra-viewer [hidden]{display:none!important}
.ra-viewer *{box-sizing:border-box}
.ra-top{display:flex;gap:12px;align-items:center;padding:8px 14px;border-bottom:1px solid var(--line);
 background:#f6f8fb;flex-wrap:wrap}
.ra-title{font-size:15px}.ra-info{color:var(--muted);font-size:13px}
.ra-run{font:inherit;padding:2px 4px;max-width:100%;flex:0 1 auto}
.ra-main{flex:1;display:flex;min-height:0}
.ra-side{width:360px;min-width:280px;border-right:1px solid var(--line);display:flex;flex-direction:column;
 min-height:0}
.ra-filters{display:flex;flex-wrap:wrap;gap:4px;padding:8px 8px 4px}
.ra-filters button{font:inherit;font-size:12px;border:1px solid var(--line);background:#fff;border-radius:12px;
 padding:2px 9px;cursor:pointer}
.ra-filters button.ra-on{background:#1d2330;color:#fff;border-color:#1d2330}
.ra-search{margin:4px 8px;padding:5px 8px;font:inherit;border:1px solid var(--line);border-radius:6px}
.ra-count,.ra-legend{padding:0 10px;color:var(--muted);font-size:12px}
.ra-legend .ra-b{margin-left:6px}
.ra-list{flex:1;overflow-y:auto;border-top:1px solid var(--line);margin-top:4px;outline:none}
.ra-sample{padding:6px 10px;border-bottom:1px solid #eef0f4;cursor:pointer;contain:content}
.ra-sample:hover{background:#f3f6fb}.ra-sample.ra-sel{background:#e5edff}
.ra-sid{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;margin-right:6px}
.ra-snip{color:var(--muted);font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ra-b{display:inline-block;min-width:17px;text-align:center;border-radius:4px;font-size:11px;
 font-weight:600;padding:0 3px;margin-right:2px;color:#fff}
.ra-c{background:var(--ok)}.ra-x{background:var(--bad)}.ra-h{background:var(--halt)}
.ra-e{background:var(--err)}.ra-n{background:#e4e7ec;color:#98a2b3}.ra-o{background:#475467}
.ra-code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;white-space:pre;overflow-x:auto;
 margin:2px 0 4px;padding:4px 6px;background:#f6f8fb;border:1px solid var(--line);border-radius:4px;tab-size:4}
.ra-claim{outline:2px solid #111;outline-offset:-2px}
.ra-detail{flex:1;overflow:auto;padding:12px 16px;min-width:0}
.ra-hint{color:var(--muted)}
.ra-detail h2{font-size:16px;margin:0 0 6px}
.ra-box{border:1px solid var(--line);border-radius:6px;padding:8px 10px;margin:6px 0;white-space:pre-wrap;
 word-break:break-word}
.ra-label{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.ra-pairbar{display:flex;gap:8px;align-items:center;margin:10px 0 6px}
.ra-pairbar select{font:inherit}
.ra-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(170px,.55fr) minmax(0,1fr);gap:10px;
 align-items:start}
@media (max-width:1100px){.ra-grid{grid-template-columns:minmax(0,1fr)}}
.ra-pane{border:1px solid var(--line);border-radius:6px;min-width:0}
.ra-pane h3{margin:0;font-size:14px;padding:6px 10px;background:#f6f8fb;border-bottom:1px solid var(--line)}
.ra-meta{padding:6px 10px;font-size:13px;border-bottom:1px solid var(--line)}
.ra-meta div{margin:2px 0}
.ra-traj{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px;max-height:60vh;overflow:auto;
 padding:4px 0}
.ra-line{display:flex;white-space:pre-wrap;word-break:break-word;padding:0 8px}
.ra-ln{color:#98a2b3;min-width:34px;user-select:none;text-align:right;padding-right:8px}
.ra-line.ra-div{background:var(--div);box-shadow:inset 3px 0 #d97706}
.ra-refl{background:var(--new);border:2px solid #e5b100;border-radius:6px;padding:8px 10px}
.ra-refl .ra-arrow{font-size:12px;color:#8a6d00;margin-bottom:4px}
.ra-refl .ra-text{white-space:pre-wrap;word-break:break-word}
.ra-mem summary{cursor:pointer;font-size:12px;color:var(--muted)}
.ra-mem ol{margin:4px 0;padding-left:20px;font-size:12px}
.ra-tag.ra-warn{background:#fde2e1;color:#8a1c1c}
.ra-tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:8px;background:#eef0f4;margin-left:4px}
"""

_JS = r"""
(function () {
  "use strict";
  var root = document.getElementById("__UID__");
  var data = JSON.parse(document.getElementById("__UID__-data").textContent);
  var q = function (sel) { return root.querySelector(sel); };
  var list = q(".ra-list"), detail = q(".ra-detail"), search = q(".ra-search");
  var NAMES = {"-": "not run"}, GLYPH = {"-": "\u00b7"}, CLASS = {"-": "ra-n"};
  data.outcomes.forEach(function (o) { NAMES[o.code] = o.name; GLYPH[o.code] = o.glyph; CLASS[o.code] = o.cls; });
  var run = null, rows = [], haystack = null, filter = "all", query = "", current = -1, timer = null;

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);  // never innerHTML
    return node;
  }

  function badges(sample) {
    var span = el("span", "ra-badges");
    for (var k = 0; k < sample.outcomes.length; k++) {
      var code = sample.outcomes[k], b = el("span", "ra-b " + CLASS[code], GLYPH[code]);
      var att = attemptAt(sample, k + 1), title = "trial " + (k + 1) + ": " + NAMES[code];
      if (att && att.outcome !== "error" && att.success !== att.correct) {
        b.className += " ra-claim";
        title += " (feedback said " + (att.success ? "success" : "failure") + ")";
      }
      b.title = title;
      span.appendChild(b);
    }
    return span;
  }

  function attemptAt(sample, trial) {
    for (var i = 0; i < sample.attempts.length; i++) if (sample.attempts[i].trial === trial) return sample.attempts[i];
    return null;
  }

  function selectRun(index) {
    run = data.runs[index];
    haystack = null; current = -1;
    var inf = run.info;
    q(".ra-info").textContent = [inf.task, inf.agent, inf.strategy, inf.feedback_source + " feedback",
      inf.model, inf.environment, inf.settings, "n = " + inf.n, run.n_trials + " trials",
      inf.folder ? "run " + inf.folder : ""].filter(Boolean).join(" \u00b7 ");
    var frag = document.createDocumentFragment();
    rows = run.samples.map(function (s, i) {
      var row = el("div", "ra-sample");
      row.dataset.index = i; row.dataset.id = s.id; row.setAttribute("role", "option");
      var head = el("div");
      head.appendChild(el("span", "ra-sid", s.id));
      head.appendChild(badges(s));
      row.appendChild(head);
      row.appendChild(el("div", "ra-snip", s.input.slice(0, 160)));
      frag.appendChild(row);
      return row;
    });
    list.textContent = "";
    list.appendChild(frag);
    var counts = {all: run.samples.length, fixed: 0, never: 0, regressed: 0};
    run.samples.forEach(function (s) { ["fixed", "never", "regressed"].forEach(function (f) { if (s[f]) counts[f]++; }); });
    root.querySelectorAll(".ra-filters button").forEach(function (b) {
      b.dataset.count = counts[b.dataset.filter];
      b.textContent = b.textContent.replace(/ \(\d+\)$/, "") + " (" + counts[b.dataset.filter] + ")";
    });
    detail.textContent = "";
    detail.appendChild(el("p", "ra-hint", "Pick a sample on the left (\u2191/\u2193 move through the list)."));
    applyFilters();
  }

  function textOf(s) {
    var parts = [s.id, s.input];
    s.attempts.forEach(function (a) {
      parts.push(a.answer, a.trajectory, a.feedback.message, a.error || "");
      parts.push.apply(parts, a.reflections);
    });
    return parts.join("\n").toLowerCase();
  }

  function applyFilters() {
    if (query && !haystack) haystack = run.samples.map(textOf);  // built once per run, on first search
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var s = run.samples[i];
      var ok = (filter === "all" || s[filter]) && (!query || haystack[i].indexOf(query) !== -1);
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    q(".ra-count").textContent = "showing " + shown + " of " + rows.length + " samples";
  }

  function showSample(index) {
    if (current >= 0 && rows[current]) rows[current].classList.remove("ra-sel");
    current = index;
    rows[index].classList.add("ra-sel");
    var s = run.samples[index];
    detail.textContent = "";
    var h = el("h2", null, s.id);
    ["fixed", "never", "regressed"].forEach(function (f) {
      if (s[f]) h.appendChild(el("span", "ra-tag", {fixed: "fixed by a reflection", never: "never solved", regressed: "regressed"}[f]));
    });
    detail.appendChild(h);
    detail.appendChild(el("div", "ra-label", "input"));
    detail.appendChild(el("div", "ra-box ra-input", s.input || "(no input recorded)"));
    if (!s.attempts.length) { detail.appendChild(el("p", "ra-hint", "No attempt was recorded for this sample.")); return; }
    var bar = el("div", "ra-pairbar"), holder = el("div", "ra-compare");
    if (s.attempts.length > 1) {
      bar.appendChild(el("span", "ra-label", "compare"));
      var pick = el("select", "ra-pair");
      for (var i = 0; i + 1 < s.attempts.length; i++) {
        var o = el("option", null, "trial " + s.attempts[i].trial + " \u2192 trial " + s.attempts[i + 1].trial);
        o.value = i; pick.appendChild(o);
      }
      pick.value = String(s.focus);
      pick.addEventListener("change", function () { renderPair(holder, s, Number(pick.value)); });
      bar.appendChild(pick);
    } else {
      bar.appendChild(el("span", "ra-hint", "Only one trial: " + (s.attempts[0].success ?
        "its feedback said success, so it was not retried." : "no later trial was recorded.")));
    }
    detail.appendChild(bar);
    detail.appendChild(holder);
    renderPair(holder, s, s.attempts.length > 1 ? s.focus : -1);
  }

  function firstDivergence(a, b) {
    var n = Math.max(a.length, b.length);
    for (var i = 0; i < n; i++) if (a[i] !== b[i]) return i;
    return -1;
  }

  function pane(att, lines, diverge, side) {
    var box = el("div", "ra-pane ra-" + side);
    var code = att.code;
    var h = el("h3", null, "Trial " + att.trial + " ");
    var b = el("span", "ra-b " + CLASS[code], GLYPH[code]); b.title = NAMES[code];
    h.appendChild(b);
    h.appendChild(el("span", "ra-tag", att.correct ? "correct" : "not correct"));
    if (att.outcome !== "error" && att.success !== att.correct) {
      h.appendChild(el("span", "ra-tag ra-warn", "feedback said " + (att.success ? "success" : "failure")));
    }
    box.appendChild(h);
    var meta = el("div", "ra-meta");
    var add = function (label, value) {
      var d = el("div"); d.appendChild(el("span", "ra-label", label + " ")); d.appendChild(el("span", null, value));
      meta.appendChild(d);
    };
    var format = run.info.answer_format;
    if (format === "code") {  // a program: its own block, every space and line kept
      meta.appendChild(el("span", "ra-label", "code"));
      meta.appendChild(el("pre", "ra-code ra-answer", att.answer === "" ? "(none)" : att.answer));
    } else {
      add(format === "action" ? "last command" : "answer", att.answer === "" ? "(none)" : att.answer);
    }
    add("feedback", (att.feedback.source || "?") + ": " + (att.success ? "success" : "failure") +
        (att.feedback.message ? " \u2014 " + att.feedback.message : ""));
    add("correct", att.correct ? "yes" : "no");
    if (att.halted) add("halted", "yes");
    if (att.error) add("error", att.error);
    var scores = Object.keys(att.scores || {}).map(function (k) { return k + "=" + att.scores[k]; }).join(", ");
    if (scores) add("scores", scores);
    add("spend", att.tokens + " tokens" + (att.cost_usd ? ", $" + att.cost_usd.toFixed(4) : ""));
    if (att.reflections.length) {
      var mem = el("details", "ra-mem"), ol = el("ol");
      mem.appendChild(el("summary", null, "memory shown to this trial (" + att.reflections.length + " reflection" +
        (att.reflections.length > 1 ? "s" : "") + ")"));
      att.reflections.forEach(function (r) { ol.appendChild(el("li", null, r)); });
      mem.appendChild(ol); meta.appendChild(mem);
    }
    box.appendChild(meta);
    var traj = el("div", "ra-traj"), frag = document.createDocumentFragment(), mark = null;
    lines.forEach(function (line, i) {
      var row = el("div", "ra-line" + (i === diverge ? " ra-div" : ""));
      row.appendChild(el("span", "ra-ln", i + 1));
      row.appendChild(el("span", null, line === "" ? " " : line));
      if (i === diverge) { row.title = "first line where the two trials differ"; mark = row; }
      frag.appendChild(row);
    });
    if (!lines.length || (lines.length === 1 && lines[0] === "")) frag.appendChild(el("div", "ra-hint", "(empty trajectory)"));
    traj.appendChild(frag);
    box.appendChild(traj);
    return {box: box, traj: traj, mark: mark};
  }

  function newReflection(before, after) {
    var mem = after.reflections;
    if (!mem.length) return null;
    var last = mem[mem.length - 1], prev = before.reflections;
    return prev.length && prev[prev.length - 1] === last && prev.length === mem.length ? null : last;
  }

  function renderPair(holder, s, i) {
    holder.textContent = "";
    var grid = el("div", "ra-grid");
    if (i < 0) {
      var only = s.attempts[0];
      grid.style.gridTemplateColumns = "minmax(0,1fr)";
      grid.appendChild(pane(only, only.trajectory.split("\n"), -1, "left").box);
      holder.appendChild(grid);
      return;
    }
    var a = s.attempts[i], b = s.attempts[i + 1];
    var la = a.trajectory.split("\n"), lb = b.trajectory.split("\n");
    var d = firstDivergence(la, lb);
    var left = pane(a, la, d < la.length ? d : -1, "left");
    var right = pane(b, lb, d < lb.length ? d : -1, "right");
    var mid = el("div", "ra-refl");
    mid.appendChild(el("div", "ra-arrow", "written after trial " + a.trial + ", shown to trial " + b.trial + " \u2192"));
    var note = newReflection(a, b);
    mid.appendChild(el("div", "ra-text", note !== null ? note :
      (b.strategy ? "No new reflection (strategy: " + b.strategy + ")." : "No new reflection.")));
    if (d === -1) mid.appendChild(el("div", "ra-hint", "The two trajectories are identical."));
    else mid.appendChild(el("div", "ra-hint", "First difference: line " + (d + 1) + " (highlighted)."));
    grid.appendChild(left.box); grid.appendChild(mid); grid.appendChild(right.box);
    holder.appendChild(grid);
    [left, right].forEach(function (p) { if (p.mark) p.traj.scrollTop = Math.max(0, p.mark.offsetTop - p.traj.offsetTop - 40); });
  }

  function move(step) {
    var i = current;
    do { i += step; } while (i >= 0 && i < rows.length && rows[i].hidden);
    if (i >= 0 && i < rows.length) { showSample(i); rows[i].scrollIntoView({block: "nearest"}); }
  }

  list.addEventListener("click", function (ev) {
    var row = ev.target.closest(".ra-sample");
    if (row) showSample(Number(row.dataset.index));
  });
  list.addEventListener("keydown", function (ev) {
    if (ev.key === "ArrowDown" || ev.key === "j") { move(1); ev.preventDefault(); }
    if (ev.key === "ArrowUp" || ev.key === "k") { move(-1); ev.preventDefault(); }
  });
  root.querySelectorAll(".ra-filters button").forEach(function (b) {
    b.addEventListener("click", function () {
      root.querySelectorAll(".ra-filters button").forEach(function (x) { x.classList.remove("ra-on"); });
      b.classList.add("ra-on");
      filter = b.dataset.filter;
      applyFilters();
    });
  });
  search.addEventListener("input", function () {
    clearTimeout(timer);  // debounce: 1,000 samples x long trajectories need not rescan per keystroke
    timer = setTimeout(function () { query = search.value.trim().toLowerCase(); applyFilters(); }, 120);
  });
  var legend = q(".ra-legend");
  data.outcomes.concat([{code: "-"}]).forEach(function (o) {
    legend.appendChild(el("span", "ra-b " + CLASS[o.code], GLYPH[o.code]));
    legend.appendChild(document.createTextNode(NAMES[o.code] + " "));
  });
  legend.appendChild(el("span", "ra-b ra-x ra-claim", GLYPH.x || "\u2717"));
  legend.appendChild(document.createTextNode("feedback disagreed"));
  var picker = q(".ra-run");
  data.runs.forEach(function (r, i) { var o = el("option", null, r.label); o.value = i; o.title = r.label; picker.appendChild(o); });
  picker.title = data.runs.length ? data.runs[0].label : "";
  picker.hidden = data.runs.length < 2;
  picker.addEventListener("change", function () {
    selectRun(Number(picker.value));
    picker.title = data.runs[Number(picker.value)].label;
  });
  if (data.runs.length) selectRun(0);
  else detail.textContent = "No runs to show.";
})();
"""
