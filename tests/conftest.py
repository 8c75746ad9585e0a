"""Shared fixtures: the shared HotPotQA sample, and a scripted model over it."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = Path(os.environ.get("HOTPOTQA_PATH") or
              REPO.parent / "shared" / "data" / "hotpotqa" / "hotpot_distractor_sample100.jsonl")


@pytest.fixture(scope="session")
def sample_path():
    if not SAMPLE.exists():
        pytest.skip(f"the shared HotPotQA sample is not at {SAMPLE} (set HOTPOTQA_PATH)")
    return SAMPLE


@pytest.fixture(scope="session")
def sample(sample_path):
    from agents.tasks.hotpotqa.data import load_hotpotqa
    return load_hotpotqa(sample_path)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets its own response cache, so no test is served another's replies."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
