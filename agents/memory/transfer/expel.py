"""ExpeL (Zhao et al., 2023, "ExpeL: LLM Agents Are Experiential Learners", arXiv:2308.10144),
written for this kit from the paper's description: insights plus retrieved successful trajectories.

What is learnt, from the training run's records (every attempt of every trial):

- **insights**: a list of general sentences, each with an *importance*. The model is shown (a) a
  sample's failed attempt beside its later successful one, and (b) batches of successful attempts
  at different samples, with the current list numbered, and replies with operations, one a line:
  ``ADD: <text>`` (importance 2), ``EDIT <n>: <text>`` (+1, text replaced), ``UPVOTE <n>`` (+1),
  ``DOWNVOTE <n>`` (-1; at 0 the insight is removed). A line that is not an operation is ignored;
  an operation that names no insight, or has no text, is skipped and counted; nothing crashes.
  An ADD that nearly repeats an insight upvotes it instead (word-set Jaccard >= 0.7).
- **examples**: the first successful trajectory of every solved training sample.

What a test attempt is shown (:meth:`ExpeL.render`): the insights by importance, then the ``k``
(default 2) stored examples whose task input is most similar to the sample's (TF-IDF cosine,
:mod:`.similarity`), all within ``budget_tokens`` (default 900, counted by the given tokenizer or
~4 characters a token). What it costs: one model call per failed/successful pair (at most one pair
a sample) and one per batch of ``batch_size`` successes; ``content["usage"]`` sums them.
Online (:meth:`ExpeL.update`), a scored test sample is compared the same way and, if solved,
becomes an example; its success waits in ``pending`` until a batch is full.

A worked example with a scripted model:

>>> from agents.llm.base import CallableLLM
>>> from agents.types import Sample
>>> records = [
...     {"sample_id": "q1", "trial": 1, "input": "Who wrote Dune?", "success": False,
...      "trajectory": "Thought: a guess.\\nAction: Finish[Asimov]"},
...     {"sample_id": "q1", "trial": 2, "input": "Who wrote Dune?", "success": True,
...      "trajectory": "Thought: Dune is a novel by Frank Herbert.\\nAction: Finish[Frank Herbert]"}]
>>> model = CallableLLM(lambda p: "ADD: Name the author's full name.\\nUPVOTE 7\\nsome chatter", name="x")
>>> content = ExpeL().learn(task="hotpotqa", agent="cot_no_context", records=records, samples={}, llm=model)
>>> content["insights"], content["stats"]["malformed"], content["usage"]["calls"]
([{'id': 1, 'text': "Name the author's full name.", 'importance': 3}], 2, 2)

(The pair's call added the insight; the batch's call, seeing the success again, proposed it again:
that counts as an upvote. ``UPVOTE 7`` names no insight: malformed, twice.)
>>> print(ExpeL().render(content, Sample("t1", "Who wrote Emma?")))
<BLANKLINE>
Insights learnt from attempts at other tasks of this kind (follow them where they apply):
1. Name the author's full name.
<BLANKLINE>
Solved tasks similar to this one (successful attempts, shown for reference):
Task: Who wrote Dune?
Thought: Dune is a novel by Frank Herbert.
Action: Finish[Frank Herbert]
(end of solved task)
<BLANKLINE>
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from ...llm.base import approx_token_count
from ..text import framed, trim_trace
from .base import register_method
from .episodes import Episode, Usage, count_of, episodes, shown_trace
from .similarity import most_similar, near_duplicate, words

INSIGHTS_HEADER = "Insights learnt from attempts at other tasks of this kind (follow them where they apply):"
EXAMPLES_HEADER = "Solved tasks similar to this one (successful attempts, shown for reference):"
EXAMPLE_END = "(end of solved task)"

_OPERATIONS_HELP = """Reply with operations on the insights, one per line, in exactly these forms:
ADD: <a new insight: one general sentence that would help on other tasks of this kind>
EDIT <number>: <that insight rewritten to be more accurate or more general>
UPVOTE <number>
DOWNVOTE <number>
Upvote an insight these attempts confirm; downvote one they contradict or show to be useless.
Do not mention this task's particular names or answer. Write at most three operations and nothing else.
Operations:
"""

PAIR_PROMPT = """You study an agent's attempts at tasks and keep a short list of general insights that help it succeed on new tasks of the same kind.
The agent attempted the task below twice: the first attempt failed and the second succeeded. Compare them: what did the successful attempt do that the failed one did not?

Task: {task}

FAILED ATTEMPT:
{failed}

SUCCESSFUL ATTEMPT:
{succeeded}

Current insights:
{insights}

""" + _OPERATIONS_HELP

BATCH_PROMPT = """You study an agent's attempts at tasks and keep a short list of general insights that help it succeed on new tasks of the same kind.
Below are successful attempts at different tasks. What do they have in common that made them succeed?

{attempts}

Current insights:
{insights}

""" + _OPERATIONS_HELP

# One operation a line; leading bullets, numbering and markdown emphasis are tolerated.
_LINE = re.compile(r"^\s*(?:[-*\u2022>]+|\d+[.)])?\s*\**\s*(ADD|EDIT|UPVOTE|DOWNVOTE)\b\**\s*"
                   r"(?:#|\[|\()?\s*(\d+)?\s*(?:\]|\))?\s*[:.\-\u2013]?\s*(.*)$", re.IGNORECASE)
MAX_INSIGHT_CHARS = 300   # a longer "insight" is a pasted trajectory, not a rule: it is cut


@dataclass(frozen=True)
class Operation:
    """One parsed operation: ``kind`` (add, edit, upvote, downvote), the 1-based ``number`` of the
    insight it names (None for add) and its ``text`` ("" for votes)."""

    kind: str
    number: int | None = None
    text: str = ""


def parse_operations(reply: str, n_insights: int) -> tuple[list[Operation], int, int]:
    """``(operations, malformed, ignored)`` from a model's reply to a list of ``n_insights``.

    A line that starts with no operation is ignored (counted); an operation without the number of
    an existing insight, or an ADD/EDIT without a sentence (or with the prompt's ``<...>`` slot
    copied), is malformed (counted, skipped).

    >>> ops, bad, other = parse_operations('''Here you go:
    ... 1. ADD: Check both entities before answering.
    ... - **EDIT 2**: Search the person, then the place.
    ... UPVOTE #1
    ... DOWNVOTE 9
    ... EDIT 1:
    ... ADD: <a new insight: one general sentence>
    ... ADD: ok''', n_insights=2)
    >>> [(o.kind, o.number) for o in ops], bad, other
    ([('add', None), ('edit', 2), ('upvote', 1)], 4, 1)
    """
    operations, malformed, ignored = [], 0, 0
    for line in str(reply).splitlines():
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            ignored += 1
            continue
        kind, number, text = match.group(1).lower(), match.group(2), _clean(match.group(3))
        index = int(number) if number and kind != "add" else None
        if kind in ("add", "edit") and (len(words(text)) < 3 or is_placeholder(text)):
            malformed += 1
        elif kind != "add" and (index is None or not 1 <= index <= n_insights):
            malformed += 1
        else:
            operations.append(Operation(kind, index, text if kind in ("add", "edit") else ""))
    return operations, malformed, ignored


def is_placeholder(text: str) -> bool:
    """A reply that copied the prompt's ``<...>`` slot instead of filling it (small models do).

    >>> is_placeholder("<a new insight: one general sentence>"), is_placeholder("Use <b> tags")
    (True, False)
    """
    return text.startswith("<") and text.endswith(">")


def _clean(text: str) -> str:
    """An insight as one line: no markdown emphasis, no surrounding quotes, at most 300 characters."""
    text = " ".join(text.replace("**", "").split()).strip(" \"'`")
    if len(text) > MAX_INSIGHT_CHARS:
        text = text[:MAX_INSIGHT_CHARS].rsplit(" ", 1)[0] + " ..."
    return text


def numbered(insights: list[dict[str, Any]]) -> str:
    """The insights as a prompt shows them, numbered from 1 ("(none yet)" for an empty list)."""
    return "\n".join(f"{i}. {item['text']}" for i, item in enumerate(insights, 1)) or "(none yet)"


def apply_operations(content: dict[str, Any], operations: list[Operation], max_adds: int = 3) -> None:
    """Apply operations (numbers refer to the list as it was shown) to ``content["insights"]``.

    Importance: ADD 2, EDIT and UPVOTE +1, DOWNVOTE -1; an insight at 0 is removed. An ADD that
    nearly repeats an insight upvotes it; ADDs past ``max_adds`` in one reply, and operations on an
    insight this reply already removed, are skipped (counted in ``stats``).

    >>> content = {"insights": [{"id": 1, "text": "Search first.", "importance": 1}], "next_id": 2}
    >>> apply_operations(content, [Operation("downvote", 1), Operation("upvote", 1),
    ...                            Operation("add", None, "Read the whole question first.")])
    >>> content["insights"], content["stats"]["operations"]["skipped"]
    ([{'id': 2, 'text': 'Read the whole question first.', 'importance': 2}], 1)
    """
    insights = content.setdefault("insights", [])
    stats = content.setdefault("stats", {}).setdefault(
        "operations", {"add": 0, "edit": 0, "upvote": 0, "downvote": 0, "merged": 0, "removed": 0, "skipped": 0})
    shown = [item["id"] for item in insights]     # what the numbers meant when the model read them
    by_id = {item["id"]: item for item in insights}
    adds = 0
    for op in operations:
        if op.kind == "add":
            twin = next((item for item in insights if near_duplicate(item["text"], op.text)), None)
            if twin is not None:
                twin["importance"] += 1
                stats["merged"] += 1
            elif adds >= max_adds:
                stats["skipped"] += 1
            else:
                adds += 1
                content["next_id"] = int(content.get("next_id") or 1)
                item = {"id": content["next_id"], "text": op.text, "importance": 2}
                content["next_id"] += 1
                insights.append(item)
                by_id[item["id"]] = item
                stats["add"] += 1
            continue
        item = by_id.get(shown[op.number - 1]) if op.number and op.number <= len(shown) else None
        if item is None or item not in insights:
            stats["skipped"] += 1
            continue
        stats[op.kind] += 1
        if op.kind == "edit":
            item["text"], item["importance"] = op.text, item["importance"] + 1
        else:
            item["importance"] += 1 if op.kind == "upvote" else -1
            if item["importance"] <= 0:
                insights.remove(item)
                stats["removed"] += 1


@dataclass
class ExpeL:
    """The method (registered as ``expel``). Its settings are saved in the content, so a memory
    file renders the same whatever this object's defaults become.

    - ``k``: retrieved successful trajectories shown per test attempt;
    - ``budget_tokens``: all that :meth:`render` shows (insights at most half when there are examples);
    - ``batch_size``: successes compared in one call; ``trajectory_tokens``: each trajectory's share
      of a learning prompt, and what is stored of an example;
    - ``max_insights``: the most shown (by importance); ``max_tokens``: each learning reply.
    """

    name: str = "expel"
    label: str = "ExpeL insights"
    k: int = 2
    budget_tokens: int = 900
    batch_size: int = 3
    trajectory_tokens: int = 400
    max_insights: int = 12
    max_tokens: int = 192

    @property
    def prompts(self) -> dict[str, str]:
        """The learning prompts (``python -m agents learn`` records their hashes)."""
        return {"pair": PAIR_PROMPT, "batch": BATCH_PROMPT}

    def empty(self) -> dict[str, Any]:
        return {"insights": [], "next_id": 1, "examples": [], "pending": [],
                "settings": {"k": self.k, "budget_tokens": self.budget_tokens, "batch_size": self.batch_size,
                             "max_insights": self.max_insights},
                "stats": {"pair_calls": 0, "batch_calls": 0, "malformed": 0, "ignored_lines": 0},
                "usage": Usage().as_dict()}

    # -- learning -----------------------------------------------------------------------------------
    def learn(self, *, task: Any, agent: str, records: list[dict], samples: dict, llm: Any) -> dict:
        content = self.empty()
        usage = Usage()
        found = episodes(records, samples or {})
        for episode in found:                    # ExpeL's first pass: each failure beside its success
            self._compare_pair(content, episode, samples, llm, usage)
        for episode in found:                    # then the successes, in batches
            self._store_success(content, episode, samples, llm)
        while content["pending"]:
            self._compare_batch(content, llm, usage)
        content["usage"] = usage.as_dict()
        return content

    def update(self, content: dict, *, task: Any, agent: str, sample: Any, records: list[dict],
               llm: Any) -> dict:
        content = _copy(content) if content else self.empty()
        usage = Usage.of(content)
        samples = {sample.id: sample} if sample is not None else {}
        for episode in episodes(records, samples):
            self._compare_pair(content, episode, samples, llm, usage)
            self._store_success(content, episode, samples, llm)
        if len(content["pending"]) >= int(content["settings"].get("batch_size", self.batch_size)):
            self._compare_batch(content, llm, usage)
        content["usage"] = usage.as_dict()
        return content

    def _compare_pair(self, content: dict, episode: Episode, samples: dict, llm: Any, usage: Usage) -> None:
        failed, success = episode.failure_before_success, episode.first_success
        if failed is None or success is None:
            return
        count = count_of(llm)
        prompt = PAIR_PROMPT.format(task=_input(episode, samples),
                                    failed=shown_trace(failed, self.trajectory_tokens, count),
                                    succeeded=shown_trace(success, self.trajectory_tokens, count),
                                    insights=numbered(content["insights"]))
        reply = usage.ask(llm, prompt, max_tokens=self.max_tokens, draw=f"expel/pair/{episode.sample_id}")
        content["stats"]["pair_calls"] += 1
        self._apply(content, reply)

    def _store_success(self, content: dict, episode: Episode, samples: dict, llm: Any) -> None:
        success = episode.first_success
        if success is None or any(e["sample_id"] == episode.sample_id for e in content["examples"]):
            return
        content["examples"].append({"sample_id": episode.sample_id, "input": _input(episode, samples),
                                    "trajectory": shown_trace(success, self.trajectory_tokens, count_of(llm))})
        content["pending"].append(episode.sample_id)

    def _compare_batch(self, content: dict, llm: Any, usage: Usage) -> None:
        size = max(1, int(content["settings"].get("batch_size", self.batch_size)))
        batch, content["pending"] = content["pending"][:size], content["pending"][size:]
        examples = {e["sample_id"]: e for e in content["examples"]}
        shown = [f"Task: {examples[sid]['input']}\nSUCCESSFUL ATTEMPT:\n{examples[sid]['trajectory']}"
                 for sid in batch if sid in examples]
        if not shown:
            return
        prompt = BATCH_PROMPT.format(attempts="\n\n".join(shown), insights=numbered(content["insights"]))
        reply = usage.ask(llm, prompt, max_tokens=self.max_tokens, draw=f"expel/batch/{','.join(batch)}")
        content["stats"]["batch_calls"] += 1
        self._apply(content, reply)

    def _apply(self, content: dict, reply: str) -> None:
        operations, malformed, ignored = parse_operations(reply, len(content["insights"]))
        content["stats"]["malformed"] += malformed
        content["stats"]["ignored_lines"] += ignored
        apply_operations(content, operations)

    # -- showing ----------------------------------------------------------------------------------
    def render(self, content: dict, sample: Any, count_tokens: Callable[[str], int] | None = None) -> str:
        """The insights (most important first) and the ``k`` most similar solved examples (never the
        sample itself), within the content's ``budget_tokens``; "" when nothing was learnt."""
        count = count_tokens or approx_token_count
        settings = {"k": self.k, "budget_tokens": self.budget_tokens, "max_insights": self.max_insights,
                    **(content.get("settings") or {})}
        budget = int(settings["budget_tokens"])
        examples = [e for e in content.get("examples") or [] if e.get("sample_id") != getattr(sample, "id", None)]
        chosen = [examples[i] for i in most_similar(getattr(sample, "input", ""), [e["input"] for e in examples],
                                                   int(settings["k"]))] if examples else []
        ranked = sorted(content.get("insights") or [], key=lambda item: (-item["importance"], item["id"]))
        ranked = ranked[: int(settings["max_insights"])]
        insights = _insights_block(ranked, budget // 2 if chosen else budget, count)
        left = budget - (count(insights) if insights else 0) - count(EXAMPLES_HEADER) - 4
        shown = []
        for example in chosen:
            share = left // len(chosen) - count(f"Task: {example['input']}\n{EXAMPLE_END}")
            if share >= 30:
                shown.append(f"Task: {example['input']}\n{trim_trace(example['trajectory'], share, count)}\n{EXAMPLE_END}")
        if chosen and not shown:   # no room for an example: the insights may have it all
            insights = _insights_block(ranked, budget, count)
        lines = insights.split("\n") if insights else []
        while True:  # the parts' counts need not add up: check the whole, drop whole parts from the end
            text = framed(["\n".join(lines) if len(lines) > 1 else "",
                           "\n".join([EXAMPLES_HEADER, *shown]) if shown else ""])
            if count(text) <= budget or not (shown or len(lines) > 1):
                return text if count(text) <= budget else ""
            if shown:
                shown.pop()
            else:
                lines.pop()


def _insights_block(ranked: list[dict[str, Any]], limit: int, count: Callable[[str], int]) -> str:
    """The numbered insights, as many as fit in ``limit`` tokens; "" when none does."""
    lines = [INSIGHTS_HEADER]
    for item in ranked:
        line = f"{len(lines)}. {item['text']}"
        if count("\n".join(lines + [line])) > limit:
            break
        lines.append(line)
    return "\n".join(lines) if len(lines) > 1 else ""


def _input(episode: Episode, samples: dict) -> str:
    sample = (samples or {}).get(episode.sample_id)
    return str(getattr(sample, "input", "") or episode.input)


def _copy(content: dict) -> dict:
    import json

    return json.loads(json.dumps(content))


register_method(ExpeL())
