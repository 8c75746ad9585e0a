"""The run format (issue 19 item 5): typed records and manifests with schema_version, one reader of
runs, one outcome vocabulary, `rescore` on real scripted runs (HotPotQA, HumanEval in the sandbox)
and on an older kit's folder, the viewer's files as package data, no import circle in the engine."""
import ast
import json
import shutil
from pathlib import Path

import pytest

from agents.cli import main
from agents.engine.runner import run_trials
from agents.engine.runs import Run, describe_runs, load_runs
from agents.engine.schema import SCHEMA_VERSION, Manifest, RunFormatError, RunRecord, outcome
from agents.testing.scripted import ScriptedHotpotModel

REPO = Path(__file__).resolve().parents[2]
OLD = REPO / "tests" / "fixtures" / "old_run_v0"


@pytest.fixture
def hotpot_run(sample, tmp_path):
    questions = sample.head(5)
    frame = run_trials("cot_context", questions, strategy="reinagent", n_trials=3, root=tmp_path / "root",
                       llm=ScriptedHotpotModel.from_records(questions), run_name="fmt", cache=False,
                       progress=False)
    return Path(frame.attrs["run_dir"])


def _lines(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def test_the_runner_writes_the_typed_record_and_manifest_with_their_version(hotpot_run):
    lines = _lines(hotpot_run / "attempts.jsonl")
    assert lines and all(line["schema_version"] == SCHEMA_VERSION for line in lines)
    for line in lines:   # every field typed, nothing lost or added on the way through the class
        assert RunRecord.from_json(line).to_json() == line
        assert {"sample_id", "trial", "scores", "correct", "target", "paid", "attempt_no", "em", "f1"} <= set(line)
    manifest = json.loads((hotpot_run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == SCHEMA_VERSION and list(manifest)[0] == "schema_version"
    assert Manifest.from_json(manifest).to_json() == {k: v for k, v in manifest.items() if v is not None}
    typed = Manifest.from_json(manifest)
    assert typed.task == "hotpotqa" and typed.n_samples == 5 and typed.counters["llm_calls"] > 0


def test_one_reader_gives_records_frame_manifest_and_label(hotpot_run):
    run = Run.read(hotpot_run)
    assert run.label == "cot_context · reinagent · oracle feedback" and run.n == 5 and run.n_trials == 3
    frame = run.frame()
    assert len(frame) == len(run.records) and frame.attrs["manifest"]["schema_version"] == SCHEMA_VERSION
    # Every shape the kit hands around reads as the same run.
    for shape in (hotpot_run, str(hotpot_run), frame, (run.records, run.manifest.to_json()), run):
        again = Run.of(shape)
        assert (again.label, again.ids, again.matrix().tolist()) == (run.label, run.ids, run.matrix().tolist())
    assert [r.label for r in load_runs([hotpot_run.parents[2]])["hotpotqa"]] == [run.label]


def test_an_older_kits_folder_reads_as_version_0():
    run = Run.read(OLD)
    assert run.manifest.schema_version == 0 and run.task == "hotpotqa" and run.model == "gpt-3.5-turbo"
    assert run.n == 3 and run.n_trials == 2 and run.temperature == 0.0
    assert len(run.records) == 4 and len(run.history()) == 5         # the error row was retried
    history = run.typed_history()
    assert [line for line, _ in history] == [1, 2, 3, 4, 5]
    assert {r.schema_version for _, r in history} == {0} and history[0][1].trajectory.startswith("Thought")
    assert [outcome(r) for r in run.history()] == ["incorrect", "correct", "correct", "error", "incorrect"]
    assert describe_runs([OLD])[0].label == "cot_context · reinagent · oracle feedback"


def test_a_newer_version_or_a_bad_field_is_named_with_file_and_line(tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(OLD, folder)
    lines = (folder / "attempts.jsonl").read_text(encoding="utf-8").splitlines()
    newer = dict(json.loads(lines[1]), schema_version=SCHEMA_VERSION + 1)
    (folder / "attempts.jsonl").write_text("\n".join([lines[0], json.dumps(newer), *lines[2:]]) + "\n")
    with pytest.raises(ValueError, match=r"attempts\.jsonl line 2: schema_version 2 is not one this kit reads"):
        Run.read(folder)
    bad = dict(json.loads(lines[1]), steps="many")
    (folder / "attempts.jsonl").write_text("\n".join([lines[0], json.dumps(bad), *lines[2:]]) + "\n")
    with pytest.raises(RunFormatError, match=r"attempts\.jsonl line 2: 'steps' must be an integer, got 'many'"):
        Run.read(folder).typed_history()
    (folder / "attempts.jsonl").write_text("\n".join(lines) + "\n")
    (folder / "manifest.json").write_text(json.dumps({"schema_version": 7, "task": "hotpotqa"}))
    with pytest.raises(ValueError, match=r"manifest\.json: schema_version 7"):
        Run.read(folder)
    (folder / "manifest.json").write_text(json.dumps({"task": "hotpotqa", "dataset_ids": "q1"}))
    with pytest.raises(RunFormatError, match=r"manifest\.json: 'dataset_ids' must be a list"):
        Run.read(folder)


def test_rescore_of_a_scripted_hotpotqa_run_changes_nothing_then_follows_the_data(hotpot_run, sample_path,
                                                                                    tmp_path, capsys):
    before = (hotpot_run / "attempts.jsonl").read_bytes()
    assert main(["rescore", str(hotpot_run), "--data", str(sample_path)]) == 0
    out = capsys.readouterr().out
    assert "0 changed" in out and "attempts.rescored.jsonl" in out
    assert (hotpot_run / "attempts.jsonl").read_bytes() == before                  # never rewritten
    rescored = _lines(hotpot_run / "attempts.rescored.jsonl")
    assert rescored == _lines(hotpot_run / "attempts.jsonl")                       # same scores, same rows
    # The ground truth of one question changes: its rows are re-scored against the new answer.
    rows = [json.loads(line) for line in sample_path.read_text(encoding="utf-8").splitlines()]
    solved = next(r for r in rescored if r["correct"])
    for row in rows:
        if row["id"] == solved["sample_id"]:
            row["answer"] = "something else entirely"
    data = tmp_path / "changed.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    assert main(["rescore", str(hotpot_run), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    changed = [line for line in out.splitlines() if line.startswith(solved["sample_id"])]
    assert changed and all("True  -> False" in line and "em True -> False" in line for line in changed)
    after = {(r["sample_id"], r["trial"]): r for r in _lines(hotpot_run / "attempts.rescored.jsonl")}
    assert after[(solved["sample_id"], solved["trial"])]["target"] == "something else entirely"
    assert (hotpot_run / "attempts.jsonl").read_bytes() == before


def test_rescore_of_a_scripted_humaneval_run_reruns_the_hidden_tests_in_the_sandbox(tmp_path, capsys):
    from agents.tasks.humaneval.data import load_humaneval
    from agents.tasks.humaneval.scripted import ScriptedCoder

    problems = [p for p in load_humaneval() if p["task_id"] in ("HumanEval/0", "HumanEval/2")]
    frame = run_trials("codegen", problems, task="humaneval", n_trials=2, llm=ScriptedCoder(problems),
                       root=tmp_path / "root", run_name="he", cache=False, progress=False)
    run_dir = Path(frame.attrs["run_dir"])
    assert frame["pass"].any()
    assert main(["rescore", str(run_dir)]) == 0
    assert "0 changed" in capsys.readouterr().out
    assert _lines(run_dir / "attempts.rescored.jsonl") == _lines(run_dir / "attempts.jsonl")
    # HumanEval/2's hidden tests now fail every program: its passing rows fail when re-scored.
    data = tmp_path / "HumanEval.jsonl"
    broken = [dict(p, test=p["test"] + "\n    assert False\n") if p["task_id"] == "HumanEval/2" else p
              for p in problems]
    data.write_text("".join(json.dumps(p) + "\n" for p in broken), encoding="utf-8")
    assert main(["rescore", str(run_dir), "--data", str(data)]) == 0
    out = capsys.readouterr().out
    changed = [line for line in out.splitlines() if line.startswith("HumanEval/")]
    assert changed and all(line.startswith("HumanEval/2 ") and "pass True -> False" in line for line in changed)
    assert not any(r["pass"] for r in _lines(run_dir / "attempts.rescored.jsonl") if r["sample_id"] == "HumanEval/2")


def test_rescore_of_an_older_kits_folder(tmp_path, sample_path, capsys):
    folder = tmp_path / "old"
    shutil.copytree(OLD, folder)
    assert main(["rescore", str(folder), "--data", str(sample_path)]) == 0
    out = capsys.readouterr().out
    assert "2 changed; 4 had no scores" in out
    assert "5adfdef9554299025d62a36b      1    1     3  True  -> False" in out
    assert "5a7613c15542994ccc9186bf      2    1     5  False -> True" in out
    assert (folder / "attempts.jsonl").read_bytes() == (OLD / "attempts.jsonl").read_bytes()
    rescored = _lines(folder / "attempts.rescored.jsonl")
    assert [r["schema_version"] for r in rescored] == [SCHEMA_VERSION] * 5
    assert rescored[3]["error"] and rescored[3]["scores"] == {}                   # the error row stays unscored
    assert rescored[4]["em"] is True and rescored[4]["sample_id"] == "5a7613c15542994ccc9186bf"


def test_alfworld_cannot_be_rescored_offline_and_says_why(tmp_path, capsys):
    folder = tmp_path / "alf"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"schema_version": 1, "task": "alfworld"}))
    (folder / "attempts.jsonl").write_text(json.dumps({"sample_id": "g", "trial": 1, "task": "alfworld"}) + "\n")
    assert main(["rescore", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "ALFWorld cannot be re-scored offline" in err and "game" in err
    assert not (folder / "attempts.rescored.jsonl").exists()


def test_one_outcome_vocabulary_everywhere():
    from agents.engine import report, stats, viewer
    from agents.engine.schema import KNOWN_OUTCOMES, Outcome, is_correct

    assert report.outcome is outcome and stats.is_correct is is_correct
    assert set(KNOWN_OUTCOMES) | {"untested"} == {o.value for o in Outcome}
    records = [{"sample_id": "a", "trial": 1, "correct": True},
               {"sample_id": "b", "trial": 1, "correct": False},
               {"sample_id": "c", "trial": 1, "correct": False, "halted": True},
               {"sample_id": "d", "trial": 1, "correct": True, "error": "HTTP 500"},
               {"sample_id": "e", "trial": 1, "correct": False, "feedback": {"success": False, "untested": True}}]
    shown = viewer.viewer_data([(records, {})])
    by_id = {s["id"]: s["attempts"][0]["outcome"] for s in shown["runs"][0]["samples"]}
    assert by_id == {"a": "correct", "b": "incorrect", "c": "halted", "d": "error", "e": "untested"}
    assert [row["trial"] for row in report.summarize(records)] == [1]
    assert report.summarize(records)[0]["untested"] == 1 and report.summarize(records)[0]["errors"] == 1


def test_the_viewers_style_and_script_are_package_data():
    from importlib import resources

    from agents.engine.viewer import viewer_html

    assets = resources.files("agents.engine") / "viewer_assets"
    css, js = ((assets / name).read_text(encoding="utf-8") for name in ("viewer.css", "viewer.js"))
    page = viewer_html([([{"sample_id": "x", "trial": 1}], {})])
    assert css.strip() in page and "function selectRun" in js and "function selectRun" in page
    assert "__UID__" not in page and "__CSS__" not in page
    assert "viewer_assets/*.css" in (REPO / "pyproject.toml").read_text()
    source = (REPO / "agents/engine/viewer.py").read_text()
    assert "_CSS =" not in source and "_JS =" not in source and "ra-viewer{" not in source


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that the file imports anywhere (a function's lazy import too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:
                base = f"{package}.{node.module}" if node.module else package
                found |= {f"{base}.{a.name}" if not node.module else base for a in node.names}
            elif node.module and node.module.startswith(package):
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith(package)}
    return found


def test_no_import_circle_in_the_engine():
    folder = REPO / "agents" / "engine"
    modules = {f"agents.engine.{p.stem}": p for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {m: _imports(p, "agents.engine") & set(modules) for m, p in modules.items()}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n))) for n in graph[start])

    circles = sorted(m for m in modules if reaches(m, m))
    assert not circles, f"modules in an import circle: {circles}"
    assert "agents.engine.analysis" not in graph["agents.engine.viewer"] | graph["agents.engine.plots"]
