"""Session-wide test settings, applied before anything is collected (notebook kernels inherit them).

- Every test session writes only to temporary folders: the response cache (``XDG_CACHE_HOME``),
  the notebooks' run folders (``REINAGENT_RUNS_ROOT``), the assembled embedded model
  (``REINAGENT_MODEL_DIR``), hypothesis's example database (else ``.hypothesis/`` in the
  working folder) and what the notebooks' kernels write in a home folder (IPython's profile and
  history, else ``~/.ipython``; Jupyter's connection files and data, else ``~/.local/share/jupyter``;
  its config, else ``~/.jupyter``) go under one session folder, so ``git status``, ``~/.cache`` and
  the home folder stay as they were. A value already set in the environment is kept.
- Without the HotPotQA sample, the tests and notebooks that read it fail at setup with the one
  message that says what to set (never a chain of NameErrors); every other test runs as usual
  (the token bucket, the sandbox and ALFWorld need no HotPotQA).
"""
import os
import tempfile
from pathlib import Path

import pytest



def pytest_configure(config):
    session_dir = Path(tempfile.mkdtemp(prefix="reinagent-tests-"))
    for name, sub in (("XDG_CACHE_HOME", "xdg-cache"), ("REINAGENT_RUNS_ROOT", "runs"),
                      ("REINAGENT_MODEL_DIR", "model"), ("MPLCONFIGDIR", "mpl"), ("IPYTHONDIR", "ipython"),
                      ("JUPYTER_CONFIG_DIR", "jupyter-config"), ("JUPYTER_DATA_DIR", "jupyter-data"),
                      ("JUPYTER_RUNTIME_DIR", "jupyter-runtime")):
        os.environ.setdefault(name, str(session_dir / sub))
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        pass
    else:
        set_hypothesis_home_dir(session_dir / "hypothesis")
    from agents.tasks.hotpotqa.data import SHARED_COPY

    if not os.environ.get("HOTPOTQA_PATH") and SHARED_COPY.exists():
        os.environ["HOTPOTQA_PATH"] = str(SHARED_COPY)  # the layout CI uses: ../shared beside the repo


MISSING_SAMPLE = ("the test needs the HotPotQA sample: set HOTPOTQA_PATH to hotpot_distractor_sample100.jsonl "
                  "(the 100 hard HotPotQA distractor-dev questions; CI uses ../shared/data/hotpotqa/, or run "
                  "`python -c 'import agents; agents.load_hotpotqa()'` online once to download it into "
                  "hotpot_runs/data/). HOTPOTQA_PATH={path!r}")


def _needs_hotpotqa(item) -> bool:
    """A test that reads the sample: it asks for the fixtures, or it is a HotPotQA notebook."""
    return bool({"sample", "sample_path", "scripted"} & set(getattr(item, "fixturenames", ()))) or \
        "hotpot_runs" in Path(str(item.fspath)).parts


def pytest_runtest_setup(item):
    path = os.environ.get("HOTPOTQA_PATH")
    if (not path or not Path(path).is_file()) and _needs_hotpotqa(item):
        pytest.fail(MISSING_SAMPLE.format(path=path), pytrace=False)
