"""The transfer report: four arms on the same test samples, with intervals and paired tests.

For runs of one task, agent and model, and a learnt memory (its method; the folds of one
cross-validation are pooled into one arm), the arms a reviewer compares are:

- **no memory**: trial 1 of a run without a memory (the ``none`` arm's, else any run's trial 1:
  nothing of earlier trials is shown at trial 1);
- **Reflexion retries**: the final trial of a run without a memory whose arm reflects;
- **learnt memory**: trial 1 of a run with ``--memory``;
- **both**: the final trial of a run with ``--memory`` whose arm reflects.

Each is read on the test samples every found arm shares (so rows are the same samples), with its
Wilson score interval; each arm is paired with "no memory" (and the memory arms with "Reflexion
retries") by Newcombe's interval of the difference and the exact McNemar test
(:mod:`agents.engine.stats`). Tokens: what learning spent (the memory file's ``learn_usage``)
against the test tokens of each arm and the samples it gained over "no memory".

>>> def run(strategy, ok, memory=None, trials=1):
...     ids = ["a", "b", "c", "d"]
...     recs = [{"sample_id": i, "trial": t, "correct": bool(ok[n] and t == trials), "input_tokens": 10}
...             for n, i in enumerate(ids) for t in range(1, trials + 1)]
...     m = {"task": "hotpotqa", "agent": "cot", "strategy": strategy, "model_id": "m", "dataset_ids": ids,
...          "n_trials": trials, "feedback_source": "oracle"}
...     if memory:
...         m["memory"] = {"digest": "d1", "method": "notes", "label": "reflection notes", "train_ids": ["x"],
...                        "split": {"seed": 0}, "learn_usage": {"input_tokens": 500, "output_tokens": 50}}
...     return Run(recs, m)
>>> runs = [run("base", [0, 0, 0, 1]), run("reinagent", [0, 1, 0, 1], trials=2),
...         run("base", [1, 1, 0, 1], memory=True), run("reinagent", [1, 1, 1, 1], memory=True, trials=2)]
>>> table = transfer_table(runs)
>>> table[["arm", "n", "correct", "rate"]].values.tolist()
[['no memory', 4, 1, 0.25], ['Reflexion retries', 4, 2, 0.5], ['+reflection notes memory', 4, 3, 0.75], ['both', 4, 4, 1.0]]
>>> table["vs"].tolist(), table["diff"].tolist()
(['', 'no memory', 'no memory', 'no memory'], [nan, 0.25, 0.5, 0.75])
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from ..memory.transfer.use import memory_label
from .runs import Run
from .stats import is_tiny, mcnemar_exact, newcombe_paired_interval, wilson_interval

ARMS = ("no memory", "Reflexion retries", "learnt memory", "both")
COLUMNS = ["task", "agent", "model", "memory", "method", "arm", "trial", "n", "tiny_n", "correct", "rate",
           "ci_low", "ci_high", "vs", "diff", "diff_low", "diff_high", "mcnemar_p", "test_tokens",
           "learn_tokens", "gained", "runs"]


def memory_of(run: Run) -> dict[str, Any] | None:
    """The manifest's record of the run's learnt memory (None: no memory)."""
    memory = run.manifest.other.get("memory") if run.manifest.other else None
    return memory if isinstance(memory, dict) and memory.get("digest") else None


def _reflects(strategy: str) -> bool:
    from ..memory.registry import known

    arm = known(strategy)
    return bool(arm and arm.reflects)


def _family(memory: dict[str, Any]) -> tuple:
    """Memories that form one arm: one method, one split rule; the folds of a cross-validation pool."""
    split = memory.get("split") or {}
    if split.get("folds"):
        return (memory.get("method"), bool(memory.get("online")), "folds", split.get("folds"), split.get("seed"))
    return (memory.get("method"), bool(memory.get("online")), memory.get("digest"))


def _column(runs: list[Run], final: bool) -> tuple[dict[str, bool], dict[str, int], int]:
    """Per sample id: correct at trial 1 (or at the run's final trial), the tokens spent up to it,
    and the trial read. Several runs (folds) are pooled; an id in two runs keeps the first."""
    correct: dict[str, bool] = {}
    tokens: dict[str, int] = {}
    trial = 1
    for run in runs:
        k = run.n_trials if final else 1
        trial = max(trial, k)
        matrix = run.matrix()
        for row, sid in enumerate(run.ids):
            if sid in correct:
                continue
            correct[sid] = bool(matrix[row, k - 1])
            tokens[sid] = 0
        for record in run.records:
            sid = str(record.get("sample_id"))
            if sid in tokens and int(record.get("trial") or 1) <= k:
                tokens[sid] += int(record.get("input_tokens") or 0) + int(record.get("output_tokens") or 0)
    return correct, tokens, trial


def _best(runs: list[Run]) -> list[Run]:
    """The one run with the most samples (repeats of an arm: the largest; ties: the first)."""
    return [max(runs, key=lambda r: r.n)] if runs else []


def _arms_of(group: list[Run], family: list[Run]) -> dict[str, tuple[list[Run], bool]]:
    plain = [r for r in group if memory_of(r) is None]
    controls = [r for r in plain if not _reflects(r.strategy)]
    retries = [r for r in plain if _reflects(r.strategy) and r.n_trials > 1]
    learnt = [r for r in family if not _reflects(r.strategy)] or [r for r in family if r.n_trials == 1]
    both = [r for r in family if _reflects(r.strategy) and r.n_trials > 1]
    arms = {"no memory": (_best(controls) or _best(retries) or _best(plain), False),
            "Reflexion retries": (_best(retries), True)}
    # A memory arm pools its folds: one run per fold (the largest of each).
    by_fold = lambda runs: list({(memory_of(r) or {}).get("digest"): r for r in sorted(runs, key=lambda r: r.n)}.values())  # noqa: E731
    arms["learnt memory"] = (by_fold(learnt) or by_fold([r for r in family if r not in both]), False)
    arms["both"] = (by_fold(both), True)
    return {name: value for name, value in arms.items() if value[0]}


def transfer_table(runs: Iterable[Any], level: float = 0.95) -> Any:
    """One row per (memory, arm): the share correct on the shared test samples with its Wilson
    interval, the paired difference against the arm in ``vs`` (Newcombe, exact McNemar), the test
    tokens, what learning spent and the samples gained over "no memory". Empty without a memory run."""
    import pandas as pd

    runs = [Run.of(run, i) for i, run in enumerate(runs)]
    rows: list[dict[str, Any]] = []
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault((run.task, run.agent, run.model), []).append(run)
    for (task, agent, model), group in groups.items():
        families: dict[tuple, list[Run]] = {}
        for run in group:
            memory = memory_of(run)
            if memory is not None:
                families.setdefault(_family(memory), []).append(run)
        for family in families.values():
            rows.extend(_family_rows(task, agent, model, group, family, level))
    return pd.DataFrame(rows, columns=COLUMNS)


def _family_rows(task: str, agent: str, model: str, group: list[Run], family: list[Run],
                 level: float) -> list[dict[str, Any]]:
    memory = memory_of(family[0]) or {}
    name = memory_label(memory)
    columns = {arm: (_column(runs, final), runs) for arm, (runs, final) in _arms_of(group, family).items()}
    shared = set.intersection(*(set(c[0][0]) for c in columns.values()))
    ids = sorted(shared)
    if not ids:
        return [{"task": task, "agent": agent, "model": model, "memory": name, "method": memory.get("method"),
                 "arm": "(no shared test samples)", "n": 0, "runs": ", ".join(r.folder or r.label for r in family)}]
    usage = [m.get("learn_usage") or {} for m in {(memory_of(r) or {}).get("digest"): memory_of(r)
                                                  for r in family}.values()]
    learn_tokens = sum(int(u.get("input_tokens") or 0) + int(u.get("output_tokens") or 0) for u in usage)
    vectors = {arm: np.array([c[0][0][sid] for sid in ids]) for arm, c in columns.items()}
    base = vectors.get("no memory")
    rows = []
    for arm, ((correct, tokens, trial), runs) in columns.items():
        vector = vectors[arm]
        k, n = int(vector.sum()), len(ids)
        low, high = (float(x) for x in wilson_interval(k, n, level))
        versus = ("Reflexion retries" if arm == "both" and "Reflexion retries" in vectors and base is None
                  else "no memory" if base is not None and arm != "no memory" else "")
        row = {"task": task, "agent": agent, "model": model, "memory": name, "method": memory.get("method"),
               "arm": name if arm == "learnt memory" else arm, "trial": trial, "n": n, "tiny_n": is_tiny(n),
               "correct": k, "rate": k / n, "ci_low": low, "ci_high": high, "vs": versus,
               "diff": math.nan, "diff_low": math.nan, "diff_high": math.nan, "mcnemar_p": math.nan,
               "test_tokens": sum(tokens[sid] for sid in ids), "learn_tokens": learn_tokens,
               "gained": (k - int(base.sum())) if base is not None else None,
               "runs": ", ".join(r.folder or r.label for r in runs)}
        if versus:
            other = vectors[versus]
            diff, dlow, dhigh = newcombe_paired_interval(int(np.sum(vector & other)), int(np.sum(vector & ~other)),
                                                         int(np.sum(~vector & other)), int(np.sum(~vector & ~other)),
                                                         level)
            row.update(diff=diff, diff_low=dlow, diff_high=dhigh, mcnemar_p=mcnemar_exact(vector, other).pvalue)
        rows.append(row)
    return rows


def transfer_markdown(table: Any, runs: Iterable[Any] = ()) -> str:
    """The report's transfer section: the four arms per memory, then each memory as a person reads it."""
    if table is None or not len(table):
        return ""
    out = ["## Transfer: a learnt memory on the test samples", "",
           "Four arms on the same test samples: no memory (trial 1), Reflexion retries (final trial), the "
           "learnt memory shown to trial 1, and both. Intervals: 95% Wilson score; Δ: the paired difference "
           "with Newcombe's interval and the exact McNemar p, against the arm in *vs*. Tokens: prompt + reply, "
           "on these samples; learning: the memory file's training run and method together.", ""]
    for (task, agent, model, memory), rows in table.groupby(["task", "agent", "model", "memory"], sort=False):
        first = rows.iloc[0]
        n = int(first["n"] or 0)
        out += [f"### {task} · {agent} · {memory} · model {model} · {n} test samples"
                + (" (tiny n: intervals are wide)" if n and is_tiny(n) else ""), ""]
        out.append("| arm | trial | correct | rate [95% CI] | vs | Δ [95% CI] | McNemar p | test tokens | gained |")
        out.append("|---|---|---|---|---|---|---|---|---|")
        for _, r in rows.iterrows():
            if not r["n"]:
                out.append(f"| {r['arm']} | | | | | | | | |")
                continue
            delta = (f"{r['diff']:+.2f} [{r['diff_low']:+.2f}, {r['diff_high']:+.2f}]"
                     if r["vs"] else "")
            p = f"{r['mcnemar_p']:.3g}" if r["vs"] else ""
            gained = "" if r["gained"] is None or (isinstance(r["gained"], float) and math.isnan(r["gained"])) \
                else f"{int(r['gained']):+d}"
            out.append(f"| {r['arm']} | {int(r['trial'])} | {int(r['correct'])}/{int(r['n'])} | "
                       f"{r['rate']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}] | {r['vs']} | {delta} | {p} | "
                       f"{int(r['test_tokens'])} | {gained} |")
        learn = int(first["learn_tokens"] or 0)
        best = rows[rows["arm"] == memory]
        gained = int(best["gained"].iloc[0]) if len(best) and best["gained"].iloc[0] is not None else None
        per = f", {learn / gained:,.0f} learning tokens per sample gained" if gained and gained > 0 else ""
        out += ["", f"Spent learning: {learn:,} tokens; the learnt memory gained "
                f"{'' if gained is None else f'{gained:+d}'} test samples over no memory{per}.", ""]
    out += _memories(runs)
    return "\n".join(out) + "\n"


def _memories(runs: Iterable[Any]) -> list[str]:
    """Each memory as ``memory show`` prints it, from the copy in its run folder (else its file)."""
    from ..memory.transfer import LearntMemory, MemoryFileError
    from ..memory.transfer.show import render_memory

    seen, out = set(), []
    for run in runs:
        run = Run.of(run)
        memory = memory_of(run)
        if memory is None or memory["digest"] in seen:
            continue
        seen.add(memory["digest"])
        for place in ([Path(run.run_dir) / "memory.json"] if run.run_dir else []) + \
                ([Path(memory["file"])] if memory.get("file") else []):
            try:
                text = render_memory(LearntMemory.load(place))
            except (MemoryFileError, OSError):
                continue
            out += ["<details><summary>the memory " + memory["digest"][:12] + " (" + memory_label(memory)
                    + ")</summary>", "", "```", text, "```", "", "</details>", ""]
            break
    return out


def write_transfer(runs: Iterable[Any], out_dir: str | Path) -> list[Path]:
    """``transfer.csv`` and ``transfer.md`` into ``out_dir`` when some run has a memory; [] otherwise."""
    runs = [Run.of(run, i) for i, run in enumerate(runs)]
    table = transfer_table(runs)
    if not len(table):
        return []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "transfer.csv", index=False)
    (out / "transfer.md").write_text(transfer_markdown(table, runs), encoding="utf-8")
    return [out / "transfer.csv", out / "transfer.md"]
