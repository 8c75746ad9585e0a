"""Where a run folder stands: read once at the start of a session, so the run goes on from there.

The final record of each (sample, trial) counts; one that ended in an error runs again. Per sample:
how many trials are recorded and whether one ended its trials (a success, or an untested stop).

>>> state = ResumeState.from_records([{"sample_id": "q1", "trial": 1, "correct": False},
...                                   {"sample_id": "q1", "trial": 2, "error": "Timeout"}], ["q1", "q2"])
>>> state.status["q1"], state.status["q2"], sorted(state.tries.items())
([1, False], [0, False], [(('q1', 1), 1), (('q1', 2), 1)])
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...types import ends_trials
from ..records import RunFolder, final_records


@dataclass
class ResumeState:
    """``finals``: the final record of each (sample, trial) on disk; ``done``: those without an
    error (they stand); ``tries``: how often each key was attempted; ``recorded``: a sample's
    standing records in trial order (its memory is rebuilt from them when it next runs);
    ``status``: per sample ``[trials recorded, trials ended]``; ``n_history``: rows on disk."""

    finals: dict[tuple[str, int], dict[str, Any]]
    done: dict[tuple[str, int], dict[str, Any]]
    tries: dict[tuple[str, int], int]
    recorded: dict[str, list[dict[str, Any]]]
    status: dict[str, list]
    n_history: int

    @classmethod
    def read(cls, folder: RunFolder, sample_ids: list[str]) -> tuple["ResumeState", list[dict[str, Any]]]:
        """The state, and the history itself (every row: the meter counts what each paid)."""
        history = folder.load(final=False)
        return cls.from_records(history, sample_ids), history

    @classmethod
    def from_records(cls, history: list[dict[str, Any]], sample_ids: list[str]) -> "ResumeState":
        finals = {(r["sample_id"], int(r["trial"])): r for r in final_records(history)}
        tries = {key: record.get("attempt_no", 1) for key, record in finals.items()}
        done = {key: record for key, record in finals.items() if not record.get("error")}
        recorded: dict[str, list[dict[str, Any]]] = {}
        for (sid, _), record in sorted(done.items(), key=lambda item: item[0][1]):
            recorded.setdefault(sid, []).append(record)
        status = {sid: [len(recorded.get(sid, ())), any(ends_trials(r) for r in recorded.get(sid, ()))]
                  for sid in sample_ids}
        return cls(finals, done, tries, recorded, status, len(history))

    def summary(self, folder: RunFolder, sample_ids: set[str]) -> str:
        """The "resuming ..." line."""
        good = sum(1 for key in self.done if key[0] in sample_ids)
        return (f"resuming {folder.path.name}: {good} attempts recorded ({self.n_history} rows, "
                f"{len(self.finals) - len(self.done)} to retry after an error)")
