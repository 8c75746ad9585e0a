"""The HumanEval notebook is committed clean and sized from the environment (CI executes it with
nbval), and the reference numbers are the ones counted from the original's log."""
from pathlib import Path

import nbformat
import pytest

from agents.tasks import get_task
from agents.tasks.humaneval import paper

NOTEBOOK = Path(__file__).resolve().parents[3] / "programming_runs" / "notebooks" / "HumanEval.ipynb"


@pytest.fixture(scope="module")
def notebook():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    return nb


def test_committed_without_outputs_with_a_parameters_cell(notebook):
    assert notebook.metadata.kernelspec.name == "python3"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "strip the outputs"
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")


def test_sizes_and_places_come_from_the_environment(notebook):
    parameters = next(c for c in notebook.cells if c.cell_type == "code").source
    for variable in ("REINAGENT_QUESTIONS", "REINAGENT_TRIALS", "REINAGENT_LLM", "REINAGENT_RUN_NAME",
                     "REINAGENT_RUNS_ROOT"):
        assert variable in parameters and variable in notebook.cells[0].source, variable
    for name in ("strategy", "n_trials", "n_problems", "llm_spec", "run_name", "root", "max_tokens"):
        assert f"\n{name} = " in "\n" + parameters, name


def test_both_protocols_run_and_are_compared(notebook):
    source = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert 'for feedback in ("tests", "oracle")' in source
    assert 'util.compare([runs["tests"], runs["oracle"]])' in source and "util.show_trajectory" in source
    assert "print(prompts.CODE_TEMPLATE)" in source and "print(prompts.REFLECT_TEMPLATE)" in source


def test_the_logged_curve_and_its_label():
    curves = get_task("humaneval").paper_curves("codegen")
    assert [round(r, 3) for r in curves[paper.LOGGED_LABEL]] == [0.671, 0.741, 0.741, 0.741, 0.882]
    assert sum(paper.SOLVED_AT.values()) == 75 and paper.N_LOGGED == 85
    assert "self-written-tests feedback" in paper.LOGGED_LABEL and "logged" in paper.LOGGED_LABEL
    assert curves[paper.BASELINE_LABEL] == [0.80] * 5 and paper.REPORTED["GPT-4 + Reflexion"] == 0.91
    assert get_task("humaneval").paper_curves("react") == {}
