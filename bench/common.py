"""What every benchmark script shares: the repo on ``sys.path`` and where the HotPotQA sample is.

    from common import REPO, SAMPLE   # scripts run as `python bench/x.py` see this folder first
"""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# $HOTPOTQA_PATH, else the shared copy beside the checkout (the layout CI uses).
SAMPLE = Path(os.environ.get("HOTPOTQA_PATH") or
              REPO.parent / "shared" / "data" / "hotpotqa" / "hotpot_distractor_sample100.jsonl")
