"""Session-wide test settings, applied before anything is collected (notebook kernels inherit them).

- Every test session writes only to temporary folders: the response cache (``XDG_CACHE_HOME``),
  the notebooks' run folders (``REINAGENT_RUNS_ROOT``), the assembled embedded model
  (``REINAGENT_MODEL_DIR``), hypothesis's example database (else ``.hypothesis/`` in the
  working folder) and what the notebooks' kernels write in a home folder (IPython's profile and
  history, else ``~/.ipython``; Jupyter's connection files and data, else ``~/.local/share/jupyter``;
  its config, else ``~/.jupyter``) go under one session folder, so ``git status``, ``~/.cache`` and
  the home folder stay as they were. A value already set in the environment is kept.
- Without the HotPotQA sample the session stops at once with the one message that says what to
  set, instead of skipping tests and failing notebooks with a chain of NameErrors.
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
    path = os.environ.get("HOTPOTQA_PATH")
    if not path or not Path(path).is_file():
        pytest.exit("the tests need the HotPotQA sample: set HOTPOTQA_PATH to "
                    "hotpot_distractor_sample100.jsonl (the 100 hard HotPotQA distractor-dev questions; "
                    "CI uses ../shared/data/hotpotqa/, or run `python -c 'import agents; agents.load_hotpotqa()'` "
                    f"online once to download it into hotpot_runs/data/). HOTPOTQA_PATH={path!r}", returncode=4)
