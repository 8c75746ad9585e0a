"""Comparing two runs' records: the same experiment must give the same records, whatever the
concurrency, faults, restarts or schedule. Only fields that legitimately differ are left out.

>>> import pandas as pd
>>> a = pd.DataFrame([{"sample_id": "q", "trial": 1, "answer": "x", "latency_s": 0.1, "attempt_no": 1}])
>>> b = pd.DataFrame([{"sample_id": "q", "trial": 1, "answer": "x", "latency_s": 0.9, "attempt_no": 2}])
>>> comparable(a) == comparable(b)
True
"""
from __future__ import annotations

import json
from typing import Any

# Timing, cache luck (and so what the attempt paid), and how many tries a (sample, trial) took
# before its final row.
VOLATILE = ("latency_s", "cache_hits", "attempt_no", "paid")


def comparable(frame: Any) -> list[str]:
    """The records of a run (a DataFrame or a list of dicts) as sorted JSON lines, without
    :data:`VOLATILE` fields."""
    rows = frame.to_dict("records") if hasattr(frame, "to_dict") else list(frame)
    return sorted(json.dumps({k: v for k, v in r.items() if k not in VOLATILE}, sort_keys=True, default=str)
                  for r in rows)
