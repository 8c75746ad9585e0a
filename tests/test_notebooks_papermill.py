"""The notebooks: committed clean (no outputs, kernel metadata, a papermill parameters cell), and one
executed headless with papermill on the embedded model, which must leave its plot in the run folder."""
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "hotpot_runs" / "notebooks"
EXPECTED = ["CoTQA_context.ipynb", "CoTQA_no_context.ipynb", "Compare_runs.ipynb", "ReactQA.ipynb", "Transfer.ipynb"]
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


@pytest.mark.parametrize("name", [n for n in EXPECTED if n not in ("Compare_runs.ipynb", "Transfer.ipynb")])
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


def test_the_progress_bar_survives_an_offline_html_export(sample_path, tmp_path):
    """Issue 21 item 14: the tqdm widget drew nothing in an HTML export (its state needs a widget
    manager from a CDN; without it, the text it had when created: 0/3). In a real kernel, a run's
    bar ends as static HTML and text with the final count, which nbconvert's HTML keeps offline."""
    nbclient = pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    code = ("import pandas as pd\n"
            "from agents import run_trials\n"
            "from agents.tasks.hotpotqa.data import load_hotpotqa\n"
            "from agents.testing.scripted import ScriptedHotpotModel\n"
            f"questions = load_hotpotqa({str(sample_path)!r}, n=3)\n"
            "attempts = run_trials('cot_context', questions, n_trials=1, cache=False, run_name='bar',\n"
            f"                      root={str(tmp_path / 'root')!r}, llm=ScriptedHotpotModel.from_records(questions))\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = nb.cells[0].outputs
    bars = [o for o in outputs if o.get("output_type") in ("display_data", "update_display_data")
            and "reinagent-progress" in o.get("data", {}).get("text/html", "")]
    assert bars, [o.get("output_type") for o in outputs]
    assert all("application/vnd.jupyter.widget-view+json" not in o.get("data", {}) for o in outputs)
    assert "3/3" in bars[-1]["data"]["text/plain"]
    page, _ = HTMLExporter().from_notebook_node(nb)
    assert "<progress" in page and "3/3" in page


TASK_OF_FOLDER = {"hotpot_runs": "hotpotqa", "alfworld_runs": "alfworld", "programming_runs": "humaneval"}


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_every_notebook_puts_its_runs_under_the_runs_root_the_same_way(path, monkeypatch, tmp_path):
    """Issue 21 item 14: REINAGENT_RUNS_ROOT got /alfworld appended in the ALFWorld notebook only.
    Now it is the parent of every task's results in every notebook: <REINAGENT_RUNS_ROOT>/<task>/."""
    import os

    parameters = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source
    folder = path.parts[-3]
    for value, expected in ((str(tmp_path), os.path.join(str(tmp_path), TASK_OF_FOLDER[folder])),
                            (None, f"{folder}/root")):
        if value:
            monkeypatch.setenv("REINAGENT_RUNS_ROOT", value)
        else:
            monkeypatch.delenv("REINAGENT_RUNS_ROOT", raising=False)
        scope: dict = {}
        exec(parameters, scope)
        assert scope.get("root", scope.get("runs_root")) == expected


def _committed(path):
    """The notebook as committed (HEAD), or as on disk outside a git checkout."""
    import subprocess

    relative = path.relative_to(REPO).as_posix()
    shown = subprocess.run(["git", "-C", str(REPO), "show", f"HEAD:{relative}"], capture_output=True, text=True)
    return nbformat.reads(shown.stdout, as_version=4) if shown.returncode == 0 else nbformat.read(path, as_version=4)


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs(path):
    """Issue 21 item 14: JupyterLab autosaves outputs into the tracked notebooks. What is committed
    must be clean (`pip install nbstripout && nbstripout --install` strips them on `git add`;
    .gitattributes names the filter); a working copy with outputs is the user's own business."""
    nb = _committed(path)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name}: cells {dirty} were committed with outputs; run `nbstripout {path}`"
    assert "widgets" not in nb.metadata, f"{path.name}: widget state was committed; run `nbstripout {path}`"


def test_the_gitattributes_route_notebooks_through_nbstripout():
    attributes = (REPO / ".gitattributes").read_text(encoding="utf-8")
    assert any(line.split()[:1] == ["*.ipynb"] and "filter=nbstripout" in line for line in attributes.splitlines())


def test_kernels_leave_the_home_folder_alone(monkeypatch, tmp_path):
    """Issue 21 item 14: the test suite left ~/.ipython behind. A real kernel started under the
    session's settings writes IPython's profile and Jupyter's runtime files in the session folder."""
    nbclient = pytest.importorskip("nbclient")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import IPython; print(IPython.paths.get_ipython_dir())")])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    assert sorted(p.name for p in home.iterdir()) == []
    printed = nb.cells[0].outputs[0]["text"].strip()
    assert not printed.startswith(str(home)) and "reinagent-tests-" in printed
