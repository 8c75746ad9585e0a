"""Train/test splits that are reproducible and honest: by sample id, decided by a seed.

Every sample of a task (``task.load()``: HotPotQA's 100 of the shipped file, HumanEval's 164,
ALFWorld's shipped suite or the real games under ``$ALFWORLD_DATA``) is ranked by
``sha256(f"{seed}:{id}")``; the first ``round(n * train_fraction)`` of that order are the
training split, the rest the test split (default: ``seed=0``, ``train_fraction=0.5``: 50/50).
An id's place depends only on the seed and its own id, never on the file's order or on which
other samples are there, so the same seed gives the same split on every machine.

``folds=K`` (ExpeL-style cross-validation) deals the same order into K folds round-robin; fold
``k``'s test split is fold ``k``, its training split the other folds, so each fold's memory is
learnt only on samples it is never tested on, and the K test splits together cover every sample
once (the report pools them).

``n`` (``--samples N``) keeps the first N of a split in ranked order: ``learn --samples 4`` and
``run --split test --samples 4`` take 4 of their own side and never cross.

>>> ids = [f"q{i}" for i in range(10)]
>>> spec = SplitSpec(seed=0)
>>> train, test = spec.train(ids), spec.test(ids)
>>> len(train), len(test), set(train) & set(test), sorted(train + test) == sorted(ids)
(5, 5, set(), True)
>>> spec.train(list(reversed(ids))) == train            # the file's order does not matter
True
>>> folds = SplitSpec(seed=0, folds=2, fold=0)
>>> sorted(folds.test(ids) + SplitSpec(seed=0, folds=2, fold=1).test(ids)) == sorted(ids)
True
>>> set(folds.train(ids)) == set(SplitSpec(seed=0, folds=2, fold=1).test(ids))
True
>>> SplitSpec(seed=0, folds=2, fold=0).describe()
'fold 0 of 2 (seed 0)'
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any, Sequence

SPLITS = ("train", "test")
DEFAULT_SEED = 0
DEFAULT_TRAIN_FRACTION = 0.5


def rank(ids: Sequence[str], seed: int = DEFAULT_SEED) -> list[str]:
    """``ids`` in the seed's order (ties, i.e. repeated ids, are refused upstream).

    >>> rank(["a", "b", "c"], seed=1) == rank(["c", "a", "b"], seed=1)
    True
    """
    return sorted(dict.fromkeys(str(i) for i in ids),
                  key=lambda sid: (hashlib.sha256(f"{seed}:{sid}".encode()).hexdigest(), sid))


@dataclass(frozen=True)
class SplitSpec:
    """Which split rule: ``seed``, ``train_fraction`` (without folds), or ``folds`` and ``fold``."""

    seed: int = DEFAULT_SEED
    train_fraction: float = DEFAULT_TRAIN_FRACTION
    folds: int | None = None
    fold: int | None = None

    def __post_init__(self):
        if not 0 < self.train_fraction < 1:
            raise ValueError(f"train_fraction must be between 0 and 1 (exclusive), got {self.train_fraction!r}")
        if self.folds is not None:
            if self.folds < 2:
                raise ValueError(f"--folds must be at least 2, got {self.folds}")
            if self.fold is None or not 0 <= self.fold < self.folds:
                raise ValueError(f"--folds {self.folds} needs --fold k with 0 <= k < {self.folds}, got {self.fold!r}")
        elif self.fold is not None:
            raise ValueError("--fold needs --folds K")

    def _sides(self, ids: Sequence[str]) -> tuple[list[str], list[str]]:
        order = rank(ids, self.seed)
        if self.folds is not None:
            test = order[self.fold::self.folds]
            held = set(test)
            return [sid for sid in order if sid not in held], test
        cut = round(len(order) * self.train_fraction)
        if len(order) >= 2:   # both sides get at least one sample
            cut = min(max(cut, 1), len(order) - 1)
        return order[:cut], order[cut:]

    def train(self, ids: Sequence[str]) -> list[str]:
        return self._sides(ids)[0]

    def test(self, ids: Sequence[str]) -> list[str]:
        return self._sides(ids)[1]

    def side(self, name: str, ids: Sequence[str]) -> list[str]:
        if name not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {name!r}")
        return self.train(ids) if name == "train" else self.test(ids)

    def describe(self) -> str:
        if self.folds is not None:
            return f"fold {self.fold} of {self.folds} (seed {self.seed})"
        return f"{self.train_fraction:g} train / {1 - self.train_fraction:g} test (seed {self.seed})"

    def to_json(self, name: str) -> dict[str, Any]:
        """What a memory file and a manifest record: ``{"seed", "fold", "folds", "name", "train_fraction"}``."""
        return {**asdict(self), "name": name}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "SplitSpec":
        data = data or {}
        return cls(seed=int(data.get("seed", DEFAULT_SEED)),
                   train_fraction=float(data.get("train_fraction", DEFAULT_TRAIN_FRACTION)),
                   folds=data.get("folds"), fold=data.get("fold"))


def split_samples(samples: Sequence[Any], name: str, spec: SplitSpec, n: int | None = None) -> list[Any]:
    """The samples of split ``name`` in ranked order, the first ``n`` of them if ``n`` is given.

    >>> from agents.types import Sample
    >>> all_ = [Sample(f"q{i}", "") for i in range(6)]
    >>> [s.id for s in split_samples(all_, "test", SplitSpec(), n=2)] == SplitSpec().test([s.id for s in all_])[:2]
    True
    """
    by_id = {str(s.id): s for s in samples}
    chosen = spec.side(name, list(by_id))
    if n is not None:
        if n < 1:
            raise ValueError(f"--samples must be positive, got {n}")
        chosen = chosen[:n]
    if not chosen:
        raise ValueError(f"the {name} split of {len(by_id)} samples ({spec.describe()}) is empty")
    return [by_id[sid] for sid in chosen]


def load_split(task: Any, name: str, spec: SplitSpec, n: int | None = None, path: str | None = None) -> list[Any]:
    """Every sample of ``task`` (``task.load(path=...)``), then split ``name`` of them."""
    return split_samples(task.load(n=None, path=path), name, spec, n)
