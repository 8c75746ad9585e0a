"""What every benchmark script shares: the repo on ``sys.path`` and where the HotPotQA sample is.

    from common import REPO, SAMPLE   # scripts run as `python bench/x.py` see this folder first
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from agents.tasks.hotpotqa.data import SHARED_COPY  # noqa: E402 (needs the path set above)

# $HOTPOTQA_PATH, else the shared copy beside the checkout (the layout CI uses).
SAMPLE = Path(os.environ.get("HOTPOTQA_PATH") or SHARED_COPY)


def bench_parser(doc: str, small_questions: int, trials: int):
    """The options every sized benchmark takes: ``--small`` (or ``BENCH_SMALL=1``, the CI size),
    ``--questions`` (default: the full or small size) and ``--trials``."""
    import argparse

    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", default=os.environ.get("BENCH_SMALL") == "1",
                        help=f"CI size: {small_questions} questions")
    parser.add_argument("--questions", type=int, default=None)
    parser.add_argument("--trials", type=int, default=trials)
    return parser
