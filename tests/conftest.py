"""Shared fixtures: the shared HotPotQA sample, and a scripted model over it."""
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_path():
    """The sample the session was started with (the root conftest stops a session without one)."""
    return Path(os.environ["HOTPOTQA_PATH"])


@pytest.fixture(scope="session")
def sample(sample_path):
    from agents.tasks.hotpotqa.data import load_hotpotqa
    return load_hotpotqa(sample_path)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    """Every test gets its own response cache, so no test is served another's replies."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
