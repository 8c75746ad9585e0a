"""Issue 18: each task notebook runs the task's original method by default and says so. HumanEval's
runs the ``reflexion`` arm (the original's loop), parsed as HumanEval means the name, and its prose
calls no other arm the default; ALFWorld's step limit is the logged runs' 50 (the kit's default)."""
import os
import re
from pathlib import Path

import nbformat
import pytest

from agents.memory.registry import default_arm, resolve

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = {"humaneval": "programming_runs/notebooks/HumanEval.ipynb",
             "alfworld": "alfworld_runs/notebooks/AlfWorld.ipynb",
             "hotpotqa": "hotpot_runs/notebooks/CoTQA_context.ipynb"}


def _parameters(path, monkeypatch):
    """The parameters cell run as a fresh kernel would, with none of the REINAGENT_* sizes set."""
    for name in [n for n in os.environ if n.startswith("REINAGENT_")]:
        monkeypatch.delenv(name)
    nb = nbformat.read(REPO / path, as_version=4)
    (cell,) = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    values: dict = {}
    exec(compile(cell.source, str(path), "exec"), values)  # the notebook's own cell (no model code)
    return nb, values


@pytest.mark.parametrize("task", sorted(NOTEBOOKS))
def test_the_notebook_runs_the_tasks_default_arm(task, monkeypatch):
    nb, values = _parameters(NOTEBOOKS[task], monkeypatch)
    assert resolve(values["strategy"], task=task) is default_arm(task)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    parses = re.findall(r"ReinAgentStrategy\.parse\(strategy(.*?)\)", code)
    # names mean one thing on HotPotQA and ALFWorld; on HumanEval "reflexion" must be parsed as HumanEval's
    assert parses and all(task != "humaneval" or f'task="{task}"' in extra for extra in parses), parses


def test_humaneval_prose_names_reflexion_the_default_and_reinagent_not(monkeypatch):
    nb, values = _parameters(NOTEBOOKS["humaneval"], monkeypatch)
    assert values["strategy"] == "reflexion" and values["max_tests"] is None
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "original's Reflexion loop by default" in prose and "`reflexion`" in prose
    assert "--strategy reinagent" not in prose and "last_attempt_and_reinagent" not in prose
    assert "docstring's examples are not\nused" in prose or "docstring's examples are not used" in prose.replace("\n", " ")
    assert "85 problems" not in prose or "not drawn" in prose


def test_alfworld_notebook_steps_are_the_logged_runs(monkeypatch):
    from agents.tasks.alfworld.actor import DEFAULT_MAX_STEPS

    nb, values = _parameters(NOTEBOOKS["alfworld"], monkeypatch)
    assert values["max_steps"] == DEFAULT_MAX_STEPS == 50
    assert "the original: 49" not in nb.cells[0].source and "same command twice in a row" in nb.cells[0].source
