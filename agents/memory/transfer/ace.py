"""ACE (Zhang et al., 2025, "Agentic Context Engineering", arXiv:2510.04618), written for this kit
from the paper's description: an itemised playbook that a reflector and a curator edit.

- **Playbook**: items ``{id, section, text, helpful, harmful}`` in three sections (strategies,
  pitfalls, checks); ids like ``str-00003`` are stable, so counts can be updated in place.
- **Generator**: the task's own agent (the training run's records are its trajectories).
- **Reflector** (one model call per sample): reads the playbook, the sample's attempts (the first
  one and, if it differs, the first success) with their verdicts (and, under ``oracle`` feedback
  only, the expected answer) and replies ``HELPFUL: ids``, ``HARMFUL: ids`` and at most two
  ``NEW <section>: lesson`` lines.
- **Curator** (code, no model call; the paper's curator is a model that writes the delta, here the
  reflector's reply already is one): turns the reply into delta operations (``add``, ``helpful``,
  ``harmful``) and merges them deterministically: counts +1; a new lesson that nearly repeats an
  item (word-set Jaccard >= 0.7) counts as helpful for that item instead of a new one; an item
  whose harmful count exceeds its helpful count by ``prune_margin`` (2) is removed. Nothing rewrites
  the playbook whole, so nothing learnt is lost to a bad reply: unknown ids and malformed lines are
  skipped and counted.

What a test attempt is shown (:meth:`ACE.render`): the playbook grouped by section, the items with
the best (helpful - harmful) first, within ``budget_tokens`` (default 700). What it costs: one call
per training sample per epoch (``content["usage"]``). Online (:meth:`ACE.update`) a scored test
sample is reflected on the same way.

>>> from agents.llm.base import CallableLLM
>>> from agents.types import Sample
>>> records = [{"sample_id": "q1", "trial": 1, "input": "Who wrote Dune?", "success": False,
...             "trajectory": "Thought: a guess.\\nAction: Finish[Asimov]", "target": "Frank Herbert",
...             "feedback_source": "oracle"}]
>>> reviewer = CallableLLM(lambda p: "HELPFUL: none\\nHARMFUL: str-00042\\n"
...                                  "NEW pitfalls: Do not guess an author from the genre.", name="r")
>>> content = ACE().learn(task="hotpotqa", agent="cot_no_context", records=records, samples={}, llm=reviewer)
>>> content["items"], content["stats"]["unknown_ids"]
([{'id': 'pit-00001', 'section': 'pitfalls', 'text': 'Do not guess an author from the genre.', 'helpful': 0, 'harmful': 0}], 1)
>>> print(ACE().render(content, Sample("t1", "Who wrote Emma?")))
<BLANKLINE>
Playbook learnt from attempts at other tasks of this kind (use the items that apply):
Pitfalls:
- [pit-00001] Do not guess an author from the genre.
<BLANKLINE>
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable

from ...llm.base import approx_token_count
from ..text import framed
from .base import register_method
from .episodes import Episode, Usage, count_of, episodes, shown_trace, succeeded
from .expel import is_placeholder
from .similarity import near_duplicate, words

SECTIONS = {"strategies": "str", "pitfalls": "pit", "checks": "chk"}   # section -> id prefix, in render order
DEFAULT_SECTION = "strategies"
PLAYBOOK_HEADER = "Playbook learnt from attempts at other tasks of this kind (use the items that apply):"
MAX_ITEM_CHARS = 300

REFLECT_PROMPT = """You review an agent's attempts at a task in order to improve a playbook: a list of advice that is shown to the agent on future tasks of the same kind.

Playbook:
{playbook}

Task: {task}

{attempts}
{expected}
Judge the attempts against the playbook. Reply in exactly these lines and nothing else:
HELPFUL: <ids of playbook items that helped or would have helped here, comma-separated, or none>
HARMFUL: <ids of playbook items that misled the agent here, or none>
NEW <section>: <one general lesson for other tasks, without this task's names or answer>
where <section> is one of: strategies, pitfalls, checks. Write at most two NEW lines; none if the playbook already covers the lesson.
Review:
"""

_ID = re.compile(r"\b([a-z]{3}-\d{5})\b", re.IGNORECASE)
_VOTE = re.compile(r"^\s*[-*]?\s*\**\s*(HELPFUL|HARMFUL)\b\**\s*:?\s*(.*)$", re.IGNORECASE)
_NEW = re.compile(r"^\s*[-*]?\s*\**\s*(?:NEW|ADD|LESSON)\b\s*[\[(]?\s*([a-z ]*?)\s*[\])]?\s*\**\s*:\s*(.*)$",
                  re.IGNORECASE)


@dataclass(frozen=True)
class Delta:
    """One curator operation: ``add`` (``section``, ``text``), ``helpful`` or ``harmful`` (``item``)."""

    kind: str
    item: str = ""
    section: str = ""
    text: str = ""


def parse_review(reply: str, known: set[str], max_new: int = 2) -> tuple[list[Delta], dict[str, int]]:
    """The reflector's reply as delta operations, and what was skipped.

    ``unknown_ids``: ids that name no item; ``conflicts``: an id called both helpful and harmful
    (neither counts); ``malformed``: a NEW line without a lesson (or with the prompt's ``<...>``
    slot copied), or past ``max_new``;
    ``unknown_sections`` go to strategies; ``ignored_lines``: lines in no known form.

    >>> deltas, skipped = parse_review('''HELPFUL: str-00001, chk-00002
    ... HARMFUL: chk-00002, pit-00009
    ... NEW [checks]: Compare the two dates before answering which came first.
    ... NEW tricks: Read the question twice before searching.
    ... NEW pitfalls:
    ... I think that is all.''', known={"str-00001", "chk-00002"})
    >>> [(d.kind, d.item or d.section) for d in deltas]
    [('helpful', 'str-00001'), ('add', 'checks'), ('add', 'strategies')]
    >>> skipped
    {'unknown_ids': 1, 'conflicts': 1, 'malformed': 1, 'unknown_sections': 1, 'ignored_lines': 1}
    """
    skipped = dict.fromkeys(("unknown_ids", "conflicts", "malformed", "unknown_sections", "ignored_lines"), 0)
    votes: dict[str, list[str]] = {"helpful": [], "harmful": []}
    new: list[Delta] = []
    for line in str(reply).splitlines():
        if not line.strip():
            continue
        vote, lesson = _VOTE.match(line), _NEW.match(line)
        if vote:
            for item in dict.fromkeys(i.lower() for i in _ID.findall(vote.group(2))):
                if item in known:
                    votes[vote.group(1).lower()].append(item)
                else:
                    skipped["unknown_ids"] += 1
        elif lesson:
            text = _clean(lesson.group(2))
            if len(words(text)) < 3 or is_placeholder(text) or len(new) >= max_new:
                skipped["malformed"] += 1
                continue
            section = lesson.group(1).strip().lower()
            if section not in SECTIONS:
                skipped["unknown_sections"] += 1 if section else 0
                section = DEFAULT_SECTION
            new.append(Delta("add", section=section, text=text))
        else:
            skipped["ignored_lines"] += 1
    both = set(votes["helpful"]) & set(votes["harmful"])
    skipped["conflicts"] = len(both)
    deltas = [Delta(kind, item) for kind in ("helpful", "harmful") for item in votes[kind] if item not in both]
    return deltas + new, skipped


def _clean(text: str) -> str:
    text = " ".join(text.replace("**", "").split()).strip(" \"'`")
    return text if len(text) <= MAX_ITEM_CHARS else text[:MAX_ITEM_CHARS].rsplit(" ", 1)[0] + " ..."


def curate(content: dict[str, Any], deltas: list[Delta], *, prune_margin: int = 2,
           dedup_threshold: float = 0.7) -> None:
    """Merge delta operations into ``content["items"]`` (deterministic; no model).

    >>> content = {"items": [{"id": "str-00001", "section": "strategies", "text": "Search each entity once.",
    ...                       "helpful": 0, "harmful": 1}], "next_id": 2}
    >>> curate(content, [Delta("harmful", "str-00001"), Delta("add", section="checks",
    ...                  text="Check the answer's type against the question.")])
    >>> [(i["id"], i["helpful"], i["harmful"]) for i in content["items"]], content["stats"]["curator"]["pruned"]
    ([('chk-00002', 0, 0)], 1)
    """
    items = content.setdefault("items", [])
    stats = content.setdefault("stats", {}).setdefault(
        "curator", {"added": 0, "merged": 0, "helpful": 0, "harmful": 0, "pruned": 0})
    by_id = {item["id"]: item for item in items}
    for delta in deltas:
        if delta.kind in ("helpful", "harmful") and delta.item in by_id:
            by_id[delta.item][delta.kind] += 1
            stats[delta.kind] += 1
        elif delta.kind == "add":
            twin = next((i for i in items if near_duplicate(i["text"], delta.text, dedup_threshold)), None)
            if twin is not None:   # found again: evidence for the item, not a second copy of it
                twin["helpful"] += 1
                stats["merged"] += 1
                continue
            number = int(content.get("next_id") or 1)
            content["next_id"] = number + 1
            item = {"id": f"{SECTIONS.get(delta.section, 'str')}-{number:05d}", "section": delta.section,
                    "text": delta.text, "helpful": 0, "harmful": 0}
            items.append(item)
            by_id[item["id"]] = item
            stats["added"] += 1
    kept = [i for i in items if i["harmful"] - i["helpful"] < prune_margin]
    stats["pruned"] += len(items) - len(kept)
    items[:] = kept


def playbook_text(items: list[dict[str, Any]]) -> str:
    """The playbook as the reflector reads it: one item a line with its section and counts."""
    return "\n".join(f"[{i['id']}] ({i['section']}; helpful {i['helpful']}, harmful {i['harmful']}) {i['text']}"
                     for i in items) or "(empty)"


@dataclass
class ACE:
    """The method (registered as ``ace``). Settings are saved in the content.

    - ``budget_tokens``: all that :meth:`render` shows; ``epochs``: passes over the training
      samples (the paper's offline mode runs several; 1 by default, to bound cost);
    - ``prune_margin``: an item goes when harmful - helpful reaches it; ``dedup_threshold``: the
      Jaccard above which a new lesson is the same as an item; ``reflect_llm`` calls: one per sample;
    - ``trajectory_tokens``: each attempt's share of a reflector prompt; ``max_tokens``: its reply;
      ``playbook_items``: the most items the reflector reads (best first).
    """

    name: str = "ace"
    label: str = "ACE playbook"
    budget_tokens: int = 700
    epochs: int = 1
    prune_margin: int = 2
    dedup_threshold: float = 0.7
    trajectory_tokens: int = 350
    max_tokens: int = 160
    playbook_items: int = 30

    @property
    def prompts(self) -> dict[str, str]:
        """The reflector's prompt (``python -m agents learn`` records its hash)."""
        return {"reflect": REFLECT_PROMPT}

    def empty(self) -> dict[str, Any]:
        return {"items": [], "next_id": 1,
                "settings": {"budget_tokens": self.budget_tokens, "prune_margin": self.prune_margin,
                             "dedup_threshold": self.dedup_threshold, "epochs": self.epochs},
                "stats": {"reflections": 0, "unknown_ids": 0, "conflicts": 0, "malformed": 0,
                          "unknown_sections": 0, "ignored_lines": 0},
                "usage": Usage().as_dict()}

    def learn(self, *, task: Any, agent: str, records: list[dict], samples: dict, llm: Any) -> dict:
        content = self.empty()
        usage = Usage()
        found = episodes(records, samples or {})
        for epoch in range(max(1, self.epochs)):
            for episode in found:
                self._reflect(content, episode, samples, llm, usage, draw=f"ace/{epoch}/{episode.sample_id}")
        content["usage"] = usage.as_dict()
        return content

    def update(self, content: dict, *, task: Any, agent: str, sample: Any, records: list[dict],
               llm: Any) -> dict:
        content = json.loads(json.dumps(content)) if content else self.empty()
        usage = Usage.of(content)
        samples = {sample.id: sample} if sample is not None else {}
        for episode in episodes(records, samples):
            self._reflect(content, episode, samples, llm, usage, draw=f"ace/online/{episode.sample_id}")
        content["usage"] = usage.as_dict()
        return content

    def _reflect(self, content: dict, episode: Episode, samples: dict, llm: Any, usage: Usage, draw: str) -> None:
        if not episode.attempts:
            return
        count = count_of(llm)
        shown = [episode.attempts[0]]
        success = episode.first_success
        if success is not None and success is not episode.attempts[0]:
            shown.append(success)
        attempts = "\n\n".join(_attempt_text(n, record, self.trajectory_tokens, count)
                               for n, record in enumerate(shown, 1))
        sample = (samples or {}).get(episode.sample_id)
        ranked = _ranked(content["items"])[: self.playbook_items]
        prompt = REFLECT_PROMPT.format(playbook=playbook_text(ranked), attempts=attempts,
                                       task=getattr(sample, "input", "") or episode.input,
                                       expected=_expected(shown[-1]))
        reply = usage.ask(llm, prompt, max_tokens=self.max_tokens, draw=draw)
        deltas, skipped = parse_review(reply, {i["id"] for i in ranked})
        content["stats"]["reflections"] += 1
        for key, value in skipped.items():
            content["stats"][key] = content["stats"].get(key, 0) + value
        settings = content.get("settings") or {}
        curate(content, deltas, prune_margin=int(settings.get("prune_margin", self.prune_margin)),
               dedup_threshold=float(settings.get("dedup_threshold", self.dedup_threshold)))

    def render(self, content: dict, sample: Any, count_tokens: Callable[[str], int] | None = None) -> str:
        """The playbook by section, best items first, within the content's ``budget_tokens``."""
        count = count_tokens or approx_token_count
        budget = int((content.get("settings") or {}).get("budget_tokens", self.budget_tokens))
        chosen: list[dict[str, Any]] = []
        for item in _ranked(content.get("items") or []):
            if count(_playbook_block(chosen + [item])) > budget:
                break
            chosen.append(item)
        return framed([_playbook_block(chosen)]) if chosen else ""


def _ranked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first: (helpful - harmful) descending, then the older item (the lower id number)."""
    return sorted(items, key=lambda i: (-(i["helpful"] - i["harmful"]), int(i["id"].rsplit("-", 1)[-1])))


def _playbook_block(items: list[dict[str, Any]]) -> str:
    lines = [PLAYBOOK_HEADER]
    order = list(SECTIONS) + sorted({i["section"] for i in items} - set(SECTIONS))
    for section in order:
        mine = [i for i in items if i["section"] == section]   # already best first
        if mine:
            lines.append(f"{section.capitalize()}:")
            lines += [f"- [{i['id']}] {i['text']}" for i in mine]
    return "\n".join(lines)


def _attempt_text(n: int, record: dict[str, Any], max_tokens: int, count: Callable[[str], int]) -> str:
    feedback = record.get("feedback") if isinstance(record.get("feedback"), dict) else {}
    message = " ".join(str(feedback.get("message") or "").split())[:300]
    verdict = "succeeded" if succeeded(record) else "failed"
    head = f"ATTEMPT {n} (verdict: {verdict}{'; feedback: ' + message if message else ''}):"
    return f"{head}\n{shown_trace(record, max_tokens, count)}"


def _expected(record: dict[str, Any]) -> str:
    """The expected answer, only when the run's feedback was the oracle (the agent was told it)."""
    target = record.get("target")
    if record.get("feedback_source") != "oracle" or target is None or isinstance(target, (dict, list)):
        return ""
    text = " ".join(str(target).split())
    return f"Expected answer: {text[:200]}\n" if text else ""


register_method(ACE())
