"""The notebooks: committed clean (no outputs, kernel metadata, a papermill parameters cell), and one
executed headless with papermill on the embedded model, which must leave its plot in the run folder."""
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "hotpot_runs" / "notebooks"
EXPECTED = ["CoTQA_context.ipynb", "CoTQA_no_context.ipynb", "Compare_runs.ipynb", "ReactQA.ipynb"]
EVERY_NOTEBOOK = sorted(REPO.glob("*_runs/notebooks/*.ipynb"))


def test_the_four_notebooks_exist():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


def test_every_task_has_a_notebook():
    assert {p.parts[-3] for p in EVERY_NOTEBOOK} >= {"hotpot_runs", "alfworld_runs", "programming_runs"}


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_committed_without_outputs_with_metadata_and_parameters(path):
    name = path.name
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.language_info.name == "python"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"{name}: strip the outputs"
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")


@pytest.mark.parametrize("name", [n for n in EXPECTED if n != "Compare_runs.ipynb"])
def test_agent_notebooks_read_their_sizes_from_the_environment(name):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    parameters = next(c for c in nb.cells if c.cell_type == "code").source
    for variable in ("REINAGENT_QUESTIONS", "REINAGENT_TRIALS", "REINAGENT_LLM",
                     "REINAGENT_CONCURRENCY", "REINAGENT_RUN_NAME"):
        assert variable in parameters and variable in nb.cells[0].source, variable
    for name_ in ("strategy", "n_trials", "n_questions", "llm_spec", "concurrency", "run_name", "root"):
        assert f"\n{name_} = " in "\n" + parameters, name_


def test_papermill_run_writes_the_plot_into_the_run_folder(sample_path, tmp_path, monkeypatch):
    pytest.importorskip("llama_cpp", reason="the notebook's default model needs llama-cpp-python")
    papermill = pytest.importorskip("papermill")
    monkeypatch.setenv("HOTPOTQA_PATH", str(sample_path))  # the kernel inherits the environment
    monkeypatch.delenv("REINAGENT_LLM", raising=False)
    root = tmp_path / "root"
    papermill.execute_notebook(
        str(NOTEBOOKS / "CoTQA_context.ipynb"), str(tmp_path / "out.ipynb"), kernel_name="python3",
        cwd=str(tmp_path), progress_bar=False,  # run from another folder: the kit is installed
        parameters={"n_questions": 2, "n_trials": 2, "root": str(root), "run_name": "papermill"})
    run_dir = root / "cot_context" / "reinagent" / "papermill"
    assert (run_dir / "success_rate.png").read_bytes().startswith(b"\x89PNG")
    assert (run_dir / "success_rate.svg").exists() and (run_dir / "attempts.jsonl").exists()
