"""``python -m agents memory show FILE``: a learnt memory as a person reads it.

What was learnt (the method's content, in its own words when the method can say it: a
``describe(content) -> str``; as indented JSON otherwise), where from (task, agent, training
samples, split, model, feedback) and what learning cost.

>>> from agents.memory.transfer.base import LearntMemory
>>> memory = LearntMemory("notes", {"notes": ["Check the year."]}, ["a", "b"], "hotpotqa", "cot_no_context",
...                       {"backend": "local", "model": "gemma"}, "oracle", {}, {"llm_calls": 3,
...                       "input_tokens": 100, "output_tokens": 20}, {"seed": 0, "fold": None, "folds": None,
...                       "name": "train"})
>>> print(render_memory(memory))  # doctest: +ELLIPSIS
# reflection notes (notes) — hotpotqa · cot_no_context
learnt on 2 training samples (train split, seed 0) with model gemma (local), oracle feedback
spent learning: 3 calls, 100 input + 20 output tokens
digest: ...
<BLANKLINE>
1. Check the year.
"""
from __future__ import annotations

import argparse
import json
from typing import Any

from .base import LearntMemory, get_method


def _describe_content(memory: LearntMemory) -> str:
    method = get_method(memory.method)
    describe = getattr(method, "describe", None)
    if callable(describe):
        return str(describe(memory.content))
    notes = memory.content.get("notes")
    if memory.method == "notes" and isinstance(notes, list):
        return "\n".join(f"{i}. {note}" for i, note in enumerate(notes, 1)) or "(no notes: nothing was learnt)"
    return json.dumps(memory.content, indent=2, ensure_ascii=False)


def render_memory(memory: LearntMemory) -> str:
    """The memory file as text: a header of where it came from, then what it holds."""
    label = get_method(memory.method).label
    split = memory.split or {}
    where = split.get("name") or "given"
    rule = (f"fold {split['fold']} of {split['folds']}, " if split.get("folds") else "") + f"seed {split.get('seed', '?')}"
    model = memory.model.get("model") or memory.model.get("model_path") or "?"
    usage = memory.learn_usage or {}
    return "\n".join([
        f"# {label} ({memory.method}) — {memory.task} · {memory.agent}",
        f"learnt on {len(memory.train_ids)} training samples ({where} split, {rule}) with model {model} "
        f"({memory.model.get('backend', '?')}), {memory.feedback} feedback",
        f"spent learning: {usage.get('llm_calls', 0)} calls, {usage.get('input_tokens', 0)} input + "
        f"{usage.get('output_tokens', 0)} output tokens",
        f"digest: {memory.digest()}",
        "",
        _describe_content(memory),
    ])


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser = commands.add_parser("memory", help="read a learnt memory file",
                                 description="Show what a learnt memory holds (`python -m agents memory show FILE`).")
    actions = parser.add_subparsers(dest="memory_action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print a memory file as a person reads it")
    show.add_argument("file", metavar="FILE", help="a memory file written by `python -m agents learn`")
    show.add_argument("--sample", metavar="ID", help="also show what a test attempt of this sample would be shown")
    show.add_argument("--data", metavar="PATH", help="the task's data, with --sample")
    parser.set_defaults(handler=_handle)
    return parser


def _handle(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    memory = LearntMemory.load(args.file)
    print(render_memory(memory))
    if args.sample:
        from ...tasks import get_task

        samples = {s.id: s for s in get_task(memory.task).load(path=args.data)}
        if args.sample not in samples:
            parser.error(f"--sample: no sample {args.sample!r} in task {memory.task}")
        print(f"\n--- what an attempt of {args.sample} is shown ---\n{memory.render(samples[args.sample])}")
    return 0
