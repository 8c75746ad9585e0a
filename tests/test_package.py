"""`import agents` is cheap and inert: no network, no key, no model file, well under 3 seconds."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import json, sys, time
started = time.perf_counter()
import agents
from agents import ReactAgent, ReactReflectAgent, CoTAgent, ReinAgentStrategy, make_llm
elapsed = time.perf_counter() - started
heavy = [m for m in ("openai", "llama_cpp", "datasets", "wikipedia", "pandas", "langchain_core", "tiktoken")
         if m in sys.modules]
print(json.dumps({"seconds": elapsed, "heavy": heavy}))
"""


def test_import_is_fast_and_loads_no_backend():
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = str(REPO)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         timeout=60, cwd=REPO)
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    assert probe["heavy"] == [], f"import agents loaded {probe['heavy']}"
    assert probe["seconds"] < 3.0
