"""HotPotQA loading: the 100 "hard" distractor-dev questions of the Reflexion experiments.

HotPotQA: Yang et al., "HotpotQA: A Dataset for Diverse, Explainable Multi-hop Question Answering",
EMNLP 2018 (https://hotpotqa.github.io), licensed CC BY-SA 4.0. Rows follow the Hugging Face
``hotpot_qa`` schema: ``id, question, answer, type, level, supporting_facts{title, sent_id},
context{title, sentences}``.

Where the data comes from, first match wins: the ``path`` argument → the ``HOTPOTQA_PATH`` environment
variable → the cache ``hotpot_runs/data/hotpot_distractor_sample100.jsonl`` → a shared copy beside the
checkout (``../shared/data/hotpotqa/``, the layout CI uses) → a download with ``datasets`` (the ids in
``hotpot_runs/data/hotpotqa_sample100_ids.txt``, which then fills the cache).

>>> import json, pathlib, tempfile
>>> row = {"id": "q1", "question": "Where was the author of Dune born?", "answer": "Tacoma",
...        "type": "bridge", "level": "hard",
...        "supporting_facts": {"title": ["Dune", "Frank Herbert"], "sent_id": [0, 0]},
...        "context": {"title": ["Frank Herbert", "Dune"],
...                    "sentences": [["Frank Herbert was born in Tacoma."], ["Dune is a novel", " by Frank Herbert."]]}}
>>> path = pathlib.Path(tempfile.mkdtemp()) / "mini.jsonl"
>>> _ = path.write_text(json.dumps(row) + "\\n")
>>> df = load_hotpotqa(path)
>>> df.loc[0, "answer"], list(df.columns)[:3]
('Tacoma', ['id', 'question', 'answer'])
>>> supporting_context(df.iloc[0])
'Dune is a novel by Frank Herbert. Frank Herbert was born in Tacoma.'
"""
from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from ..base import REPO_ROOT

DATA_DIR = REPO_ROOT / "hotpot_runs" / "data"
FILE_NAME = "hotpot_distractor_sample100.jsonl"
CACHE_PATH = DATA_DIR / FILE_NAME
SHARED_COPY = REPO_ROOT.parent / "shared" / "data" / "hotpotqa" / FILE_NAME
IDS_PATH = DATA_DIR / "hotpotqa_sample100_ids.txt"
COLUMNS = ["id", "question", "answer", "type", "level", "supporting_facts", "context"]
ENV_VAR = "HOTPOTQA_PATH"


class DatasetUnavailable(RuntimeError):
    """No local HotPotQA file and no way to download one."""


def load_hotpotqa(path: str | os.PathLike | None = None, n: int | None = None, seed: int = 0,
                  at_most: bool = False):
    """The questions as a DataFrame (columns :data:`COLUMNS`, file order, index 0..N-1).

    ``n`` picks a reproducible sample of ``n`` questions (``seed`` decides which), kept in file order;
    more than the file holds is an error, or, with ``at_most=True``, all of them.
    Only those rows are parsed: the file is scanned once for where its lines start (bytes, nothing
    decoded), so ``n=5`` of a million-row file is quick and small.
    """
    import numpy as np
    import pandas as pd

    if n is not None and n <= 0:
        raise ValueError(f"n must be a positive number of questions, got {n}")
    source = _resolve_path(path)
    if n is None:
        return pd.DataFrame(read_jsonl(source), columns=COLUMNS)
    starts, numbers = _row_starts(source)
    if not starts:
        raise ValueError(f"{source}: no HotPotQA rows in file")
    if n > len(starts):
        if at_most:   # the CLI's --questions 500: all of them, and it says so
            return pd.DataFrame(read_jsonl(source), columns=COLUMNS)
        raise ValueError(f"{source}: asked for n={n} questions but only {len(starts)} are available")
    _sniff_text(source, starts[0], numbers[0])   # a binary file is named at its first line, whatever is drawn
    # The rows DataFrame.sample(n, random_state=seed) picks (the same draw, without the frame),
    # put back in file order so runs read the same way.
    chosen = sorted(np.random.RandomState(seed).choice(len(starts), size=n, replace=False).tolist())
    rows = [_read_row(source, starts[i], numbers[i]) for i in chosen]
    return pd.DataFrame(rows, columns=COLUMNS)


def _resolve_path(path: str | os.PathLike | None) -> Path:
    """The file to read: explicit path → $HOTPOTQA_PATH → cache → download into the cache."""
    if path is not None:
        where = f"{path}"
    elif os.environ.get(ENV_VAR, "").strip():
        path, where = os.environ[ENV_VAR].strip(), f"{os.environ[ENV_VAR].strip()} (from ${ENV_VAR})"
    elif CACHE_PATH.exists():
        return CACHE_PATH
    elif SHARED_COPY.exists():
        return SHARED_COPY
    else:
        return download_sample()
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"HotPotQA file not found: {where}")
    return path


def read_jsonl(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Rows of a HotPotQA JSONL file, checked; blank lines skipped.

    Errors name the file, the line and the problem, e.g. ``bad.jsonl line 3: missing field 'answer'``
    (a binary file: ``line 1: not UTF-8 text``).
    """
    path = Path(path)
    rows = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                rows.append(_check_row(raw, f"{path} line {number}"))
    if not rows:
        raise ValueError(f"{path}: no HotPotQA rows in file")
    return rows


def _check_row(raw: bytes, where: str) -> dict[str, Any]:
    """One line as a HotPotQA row, or a ValueError naming ``where`` and the problem."""
    line = _decode_line(raw, where)
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise ValueError(f"{where}: invalid JSON ({error.msg})") from None
    if not isinstance(row, dict):
        raise ValueError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for field in COLUMNS:
        if field not in row:
            raise ValueError(f"{where}: missing field {field!r}")
    for field, keys in (("context", ("title", "sentences")), ("supporting_facts", ("title", "sent_id"))):
        if not isinstance(row[field], dict) or any(k not in row[field] for k in keys):
            raise ValueError(f"{where}: field {field!r} needs keys {list(keys)}")
    return {field: row[field] for field in COLUMNS}


def _row_starts(path: Path) -> tuple[Any, Any]:
    """Byte offsets and line numbers of the non-blank lines (compact arrays: 16 bytes a row)."""
    from array import array

    starts, numbers = array("q"), array("q")
    offset = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if raw.strip():
                starts.append(offset)
                numbers.append(number)
            offset += len(raw)
    return starts, numbers


def _decode_line(raw: bytes, where: str) -> str:
    """A line's text, or a ValueError naming ``where`` when it is binary (not UTF-8, or NUL bytes).

    >>> _decode_line(b"\\x89PNG\\r\\n", "x.bin line 1")
    Traceback (most recent call last):
    ValueError: x.bin line 1: not UTF-8 text (is this a JSONL file?)
    """
    try:
        if b"\0" in raw:        # NUL bytes: binary data, whatever else decodes
            raise UnicodeDecodeError("utf-8", raw, raw.index(b"\0"), raw.index(b"\0") + 1, "NUL byte")
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not UTF-8 text (is this a JSONL file?)") from None


def _sniff_text(path: Path, start: int, number: int) -> None:
    """Refuse a file whose first row is not text (an image, a pickle) before any row is drawn."""
    with path.open("rb") as handle:
        handle.seek(start)
        _decode_line(handle.readline(), f"{path} line {number}")


def _read_row(path: Path, start: int, number: int) -> dict[str, Any]:
    with path.open("rb") as handle:
        handle.seek(start)
        return _check_row(handle.readline(), f"{path} line {number}")


def supporting_context(record: Any) -> str:
    """The gold paragraphs of a record (supporting-fact titles, first appearance first), one line.

    This is the context the "CoT with supporting context" agent reads; paragraphs are joined by a
    space, like the few-shot examples' ``Context:`` lines.

    >>> supporting_context({"supporting_facts": {"title": ["B", "A", "B"], "sent_id": [0, 0, 1]},
    ...                     "context": {"title": ["A", "B"], "sentences": [["A one."], ["B one.", " B two."]]}})
    'B one. B two. A one.'
    """
    # absolute import: also works when this file is run directly (python -m doctest agents/hotpotqa.py)
    from agents.tasks.hotpotqa.docstore import join_sentences

    context = record["context"]
    paragraphs = dict(zip(context["title"], context["sentences"]))
    titles = dict.fromkeys(record["supporting_facts"]["title"])  # ordered, deduplicated
    return " ".join(join_sentences(paragraphs[t]) for t in titles if t in paragraphs)


def _hub_reachable(timeout: float = 1.0) -> bool:
    """Whether the Hugging Face hub answers within ``timeout`` s (any HTTP reply counts).

    Without this check ``datasets`` retries for ~20 s before failing offline. The probe runs in a
    daemon thread because DNS lookups ignore the requests timeout.
    """
    import requests

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    answered: list[bool] = []

    def probe() -> None:
        try:
            requests.head(endpoint, timeout=timeout)
            answered.append(True)
        except requests.RequestException:
            pass

    worker = threading.Thread(target=probe, daemon=True, name="hf-hub-probe")
    worker.start()
    worker.join(timeout + 0.5)
    return bool(answered)


def download_sample(cache_path: Path | None = None, ids_path: Path | None = None) -> Path:
    """Download HotPotQA distractor-dev, keep the sample's ids in their listed order, write JSONL.

    Defaults (read at call time): :data:`CACHE_PATH` and :data:`IDS_PATH`.
    """
    cache_path = Path(cache_path or CACHE_PATH)
    ids_path = Path(ids_path or IDS_PATH)
    hint = (f"set {ENV_VAR} to a local hotpot_qa JSONL file "
            f"(e.g. ../shared/data/hotpotqa/hotpot_distractor_sample100.jsonl)")
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        raise DatasetUnavailable(f"no local HotPotQA file and HF_HUB_OFFLINE is set: {hint}")
    if not _hub_reachable():
        raise DatasetUnavailable(f"no local HotPotQA file and the Hugging Face hub is unreachable: {hint}")
    ids = [line.strip() for line in ids_path.read_text().splitlines() if line.strip()]
    try:
        import datasets

        split = datasets.load_dataset("hotpot_qa", "distractor", split="validation")
    except Exception as error:  # network, hub or cache trouble: say what to do instead
        raise DatasetUnavailable(f"downloading hotpot_qa failed ({type(error).__name__}: {error}): {hint}") from error
    position = {qid: i for i, qid in enumerate(split["id"])}
    missing = [qid for qid in ids if qid not in position]
    if missing:
        raise DatasetUnavailable(f"{len(missing)} sample ids are not in hotpot_qa validation, e.g. {missing[0]}")
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    partial = cache_path.with_suffix(".jsonl.part")  # rename at the end: never leave half a cache
    with partial.open("w", encoding="utf-8") as handle:
        for row in split.select([position[qid] for qid in ids]):
            handle.write(json.dumps({field: row[field] for field in COLUMNS}, ensure_ascii=False) + "\n")
    partial.replace(cache_path)
    return cache_path


def describe_source() -> str:
    """Where :func:`load_hotpotqa` would read from, without downloading anything.

    Raises FileNotFoundError naming ``HOTPOTQA_PATH`` when there is no local copy.
    """
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"${ENV_VAR} points to a missing file: {env}")
        return f"ready: {path} (from ${ENV_VAR})"
    if CACHE_PATH.exists():
        return f"ready: {CACHE_PATH} (cached)"
    if SHARED_COPY.exists():
        return f"ready: {SHARED_COPY} (shared copy beside the checkout)"
    raise FileNotFoundError(f"no local HotPotQA file (${ENV_VAR} is unset and {CACHE_PATH} is absent)")
