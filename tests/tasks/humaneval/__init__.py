"""HumanEval's tests. ``needs_sandbox`` skips a module only where bwrap is missing (CI has it)."""
import pytest

from agents.tasks.humaneval.sandbox import SandboxUnavailable, bwrap_binary


def _sandbox_missing() -> str | None:
    try:
        bwrap_binary()
    except SandboxUnavailable as error:
        return str(error)
    return None


SANDBOX_MISSING = _sandbox_missing()
needs_sandbox = pytest.mark.skipif(SANDBOX_MISSING is not None, reason=SANDBOX_MISSING or "")
