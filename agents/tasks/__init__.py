"""The task registry: one line per benchmark. Adding a task is its package plus one line here.

>>> "hotpotqa" in task_names()
True
>>> get_task("hotpotqa").agents
('react', 'cot_context', 'cot_no_context')
>>> get_task("chess")
Traceback (most recent call last):
...
ValueError: unknown task 'chess'; choose one of: hotpotqa, alfworld, humaneval
"""
from __future__ import annotations

import importlib
from typing import Any

# name -> "module:attribute" of the task object, imported on first use (a task's engine, say
# ALFWorld's, is never loaded by a run of another task).
REGISTRY = {
    "hotpotqa": "agents.tasks.hotpotqa:TASK",
    "alfworld": "agents.tasks.alfworld:TASK",
    "humaneval": "agents.tasks.humaneval:TASK",
}
DEFAULT_TASK = "hotpotqa"


def task_names() -> list[str]:
    return list(REGISTRY)


def get_task(task: Any = DEFAULT_TASK) -> Any:
    """The task object for a name (a task object is returned as it is)."""
    if not isinstance(task, str):
        return task
    if task not in REGISTRY:
        raise ValueError(f"unknown task {task!r}; choose one of: {', '.join(REGISTRY)}")
    module, _, attribute = REGISTRY[task].partition(":")
    return getattr(importlib.import_module(module), attribute)


def title_and_unit(task: str) -> tuple[str, str]:
    """A task's title and what its samples are called, for figures and reports; a name the
    registry does not know (a run from elsewhere) is shown as it is.

    >>> title_and_unit("alfworld"), title_and_unit("chess")
    (('ALFWorld', 'games'), ('chess', 'samples'))
    """
    if task not in REGISTRY:
        return task, "samples"
    found = get_task(task)
    return found.title, found.unit
