"""Statistics for success-per-trial curves: the outcome matrix, bootstrap CIs, paired tests.

Everything starts from the *outcome matrix*: one row per sample, one column per trial, True where
the sample's latest attempt up to that trial is correct. A sample that stopped being retried (its
feedback said success) carries its last answer forward, so under oracle feedback column k is
"solved by trial k", and under self/judge feedback a wrong "success" stays wrong.

Intervals. A share (k of n samples correct after trial k) gets the **Wilson score interval**: it
never collapses to a point at 0/n or n/n (a percentile bootstrap does: 0/3 resamples to 0/3 every
time), and its coverage is close to nominal from n of about 10 up. A paired difference of two shares
(the same samples under two strategies) gets **Newcombe's hybrid score interval** (Newcombe 1998,
method 10: the two margins' Wilson intervals, combined with the correlation of the pairs), which
stays wide when few samples were paired. Fewer than ``TINY_N`` samples are *tiny*: the report
flags them, because an interval that wide says little either way. The percentile bootstrap (samples
resampled with replacement, each keeping its whole row so trials stay linked) remains available.
Two runs are *paired* only on the sample ids they share.

>>> recs = [{"sample_id": "a", "trial": 1, "correct": True},
...         {"sample_id": "b", "trial": 1, "correct": False},
...         {"sample_id": "b", "trial": 2, "correct": True}]
>>> ids, m = outcome_matrix(recs, sample_ids=["a", "b", "c"], n_trials=2)
>>> ids, m.astype(int).tolist()   # "c" never ran: it counts as incorrect
(['a', 'b', 'c'], [[1, 1], [0, 1], [0, 0]])
>>> ci = bootstrap_ci(m, n_resamples=2000, seed=0)
>>> [round(float(r), 3) for r in ci.rate], bool(ci.low[1] <= ci.rate[1] <= ci.high[1])
([0.333, 0.667], True)
>>> mcnemar_exact([True] * 9 + [False], [False] * 9 + [True])
McNemarResult(b=9, c=1, discordant=10, pvalue=0.021484375)

Every sample failed, n = 3: the share is 0, but not certainly 0:

>>> w = wilson_ci([[False], [False], [False]])
>>> float(w.rate[0]), float(w.low[0]), round(float(w.high[0]), 3), w.tiny
(0.0, 0.0, 0.561, True)
>>> d = newcombe_paired_ci([[False]] * 3, [[False]] * 3)
>>> round(float(d.low[0]), 3), float(d.diff[0]), round(float(d.high[0]), 3)
(-0.561, 0.0, 0.561)
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import Any, Iterable, Sequence

import numpy as np

from .schema import has_error, is_correct  # noqa: F401 - the one classifier of an attempt (schema.outcome)

# Draws are made in blocks of resamples so that 10,000 resamples of 1,000 samples x 10 trials never
# materialise one 100-million-cell array. numpy's Generator yields the same stream whether asked for
# (R, n) indices at once or block by block, so the block size never changes a result.
_BLOCK_CELLS = 4_000_000

# Below this many samples an interval is flagged as *tiny n*: Wilson's still covers, but it is so
# wide (0/9 -> [0, 0.30]) that a curve or a difference read from it says little.
TINY_N = 10


def sample_id_of(record: dict[str, Any]) -> str:
    """The record's ``sample_id`` (older runs wrote ``question_id``)."""
    sid = record.get("sample_id", record.get("question_id"))
    if sid is None:
        raise KeyError(f"record has no 'sample_id' (keys: {sorted(record)}); every attempt record "
                       "must name its sample — re-export the run with the current runner")
    return str(sid)


def outcome_matrix(records: Iterable[dict[str, Any]], sample_ids: Sequence[str] | None = None,
                   n_trials: int | None = None) -> tuple[list[str], np.ndarray]:
    """``(ids, matrix)``: ``matrix[i, k-1]`` is True when sample ``ids[i]``'s latest attempt with
    trial <= k is correct (see the module doc).

    ``sample_ids`` (the manifest's ``dataset_ids``) fixes the rows and so the denominator: samples
    with no attempt are all-False rows. Without it the rows are the records' ids in first-seen order.
    ``n_trials`` defaults to the highest trial in the records; later trials are ignored. When one
    (sample, trial) appears twice (a resumed run) the later record wins.

    >>> outcome_matrix([{"sample_id": "x", "trial": 1, "correct": True, "error": "timeout"}])[1]
    array([[False]])
    """
    records = list(records)
    if sample_ids is None:
        ids = list(dict.fromkeys(sample_id_of(r) for r in records))
    else:
        ids = list(dict.fromkeys(str(s) for s in sample_ids))
    if n_trials is None:
        n_trials = max((int(r["trial"]) for r in records), default=1)
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    row = {sid: i for i, sid in enumerate(ids)}
    # Per (row, trial): the correctness of the attempt made at exactly that trial, if any.
    made = np.zeros((len(ids), n_trials), dtype=bool)
    value = np.zeros((len(ids), n_trials), dtype=bool)
    strangers = set()
    for record in records:
        sid, trial = sample_id_of(record), int(record["trial"])
        if sid not in row:
            strangers.add(sid)
            continue
        if 1 <= trial <= n_trials:
            made[row[sid], trial - 1] = True
            value[row[sid], trial - 1] = is_correct(record)
    if strangers:
        warnings.warn(f"{len(strangers)} sample id(s) in the records are not in sample_ids and were "
                      f"left out (e.g. {sorted(strangers)[:3]}); check the manifest's dataset_ids")
    # Carry forward: the column of the latest attempt made so far, per row (-1 = none yet).
    latest = np.where(made, np.arange(n_trials), -1)
    latest = np.maximum.accumulate(latest, axis=1)
    rows = np.arange(len(ids))[:, None]
    matrix = np.where(latest >= 0, value[rows, np.maximum(latest, 0)], False)
    return ids, matrix.astype(bool)


def pair(ids_a: Sequence[str], matrix_a: np.ndarray, ids_b: Sequence[str],
         matrix_b: np.ndarray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Restrict two runs to the sample ids they share (in ``ids_a``'s order) and to their common
    trials, so that row i of both matrices is the same sample. Runs are paired on this
    intersection only.

    >>> ids, a, b = pair(["q1", "q2"], np.ones((2, 3), bool), ["q2", "q3"], np.zeros((2, 2), bool))
    >>> ids, a.shape, b.shape
    (['q2'], (1, 2), (1, 2))
    """
    where_b = {sid: i for i, sid in enumerate(ids_b)}
    shared = [sid for sid in ids_a if sid in where_b]
    if not shared:
        raise ValueError("the two runs share no sample ids, so they cannot be paired; compare them "
                         "unpaired with bootstrap_ci, or rerun both on the same dataset_ids")
    where_a = {sid: i for i, sid in enumerate(ids_a)}
    trials = min(matrix_a.shape[1], matrix_b.shape[1])
    a = np.asarray(matrix_a, bool)[[where_a[s] for s in shared], :trials]
    b = np.asarray(matrix_b, bool)[[where_b[s] for s in shared], :trials]
    return shared, a, b


def _resampled_rates(matrices: Sequence[np.ndarray], n_resamples: int, seed: int) -> list[np.ndarray]:
    """Rates per trial under ``n_resamples`` bootstrap resamples of the rows, one ``(R, trials)``
    array per matrix. All matrices share the same row draws (that is what makes a test *paired*).

    The draw contract (what an independent check reproduces): ``rng = np.random.default_rng(seed)``
    then, per resample, ``rng.integers(0, n, size=n)`` row indices.
    """
    n = matrices[0].shape[0]
    rng = np.random.default_rng(seed)
    out = [np.empty((n_resamples, m.shape[1])) for m in matrices]
    block = max(1, _BLOCK_CELLS // max(1, n * max(m.shape[1] for m in matrices)))
    for start in range(0, n_resamples, block):
        stop = min(n_resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        for matrix, rates in zip(matrices, out):
            rates[start:stop] = matrix[idx].mean(axis=1)
    return out


def _check_matrix(matrix: Any, name: str = "matrix") -> np.ndarray:
    matrix = np.asarray(matrix, dtype=bool)
    if matrix.ndim == 1:
        matrix = matrix[:, None]
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty [n_samples, n_trials] array, got shape "
                         f"{matrix.shape}; build it with outcome_matrix(records, sample_ids)")
    return matrix


def _check_resampling(n_resamples: int, level: float) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples} (10_000 is the default)")
    if not 0 < level < 1:
        raise ValueError(f"level is a coverage in (0, 1), e.g. 0.95; got {level}")


@dataclass(frozen=True)
class BootstrapCI:
    """Per-trial success rate with its percentile bootstrap interval (arrays indexed by trial-1)."""
    rate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    n_resamples: int
    level: float
    seed: int


def bootstrap_ci(matrix: Any, n_resamples: int = 10_000, level: float = 0.95,
                 seed: int = 0) -> BootstrapCI:
    """Percentile bootstrap CI of the per-trial rate: ``n_resamples`` (default 10,000) resamples of
    the samples with replacement; the interval is the (1-level)/2 and (1+level)/2 quantiles (numpy's
    default linear interpolation) of the resampled rates. Seeded: same inputs, same interval.

    >>> ci = bootstrap_ci([[True], [True], [True]])
    >>> float(ci.rate[0]), float(ci.low[0]), float(ci.high[0])   # no variation to resample
    (1.0, 1.0, 1.0)
    """
    matrix = _check_matrix(matrix)
    _check_resampling(n_resamples, level)
    (rates,) = _resampled_rates([matrix], n_resamples, seed)
    tail = (1 - level) / 2
    low, high = np.quantile(rates, [tail, 1 - tail], axis=0)
    return BootstrapCI(matrix.mean(axis=0), low, high, matrix.shape[0], n_resamples, level, seed)


@dataclass(frozen=True)
class McNemarResult:
    """Discordant counts of a paired comparison and the exact two-sided p-value."""
    b: int            # A right, B wrong
    c: int            # A wrong, B right
    discordant: int   # b + c: the only pairs the test looks at
    pvalue: float


def mcnemar_exact(a: Any, b: Any) -> McNemarResult:
    """Exact McNemar test of two paired bool vectors (row i is the same sample in both).

    p = min(1, 2 * P(X <= min(b, c))) with X ~ Binomial(b + c, 1/2), computed with integers (no
    normal approximation, so it stays exact for few discordant pairs); p = 1 when b + c = 0.

    >>> mcnemar_exact([True, False], [True, False])
    McNemarResult(b=0, c=0, discordant=0, pvalue=1.0)
    """
    a, b_ = np.asarray(a, dtype=bool).ravel(), np.asarray(b, dtype=bool).ravel()
    if a.shape != b_.shape:
        raise ValueError(f"paired vectors differ in length ({a.size} vs {b_.size}); restrict both "
                         "runs to their shared samples first with pair()")
    n_b, n_c = int(np.sum(a & ~b_)), int(np.sum(~a & b_))
    n = n_b + n_c
    if n == 0:
        return McNemarResult(n_b, n_c, 0, 1.0)
    tail = Fraction(sum(math.comb(n, i) for i in range(min(n_b, n_c) + 1)), 2 ** n)
    return McNemarResult(n_b, n_c, n, float(min(Fraction(1), 2 * tail)))


@dataclass(frozen=True)
class PairedBootstrap:
    """Per-trial difference of rates (A - B), its percentile CI and a bootstrap p-value."""
    diff: np.ndarray
    low: np.ndarray
    high: np.ndarray
    pvalue: np.ndarray
    n: int
    n_resamples: int
    level: float
    seed: int


def paired_bootstrap(matrix_a: Any, matrix_b: Any, n_resamples: int = 10_000, level: float = 0.95,
                     seed: int = 0) -> PairedBootstrap:
    """Paired bootstrap of the per-trial difference of rates, A - B. Rows are resampled with the
    same draws for both runs (row i must be the same sample: see :func:`pair`).

    The p-value is two-sided, from the bootstrap distribution of the difference d*:
    ``p = min(1, 2 * (min(#{d* <= 0}, #{d* >= 0}) + 1) / (R + 1))`` — twice the smaller tail mass at
    zero (about the smallest 1 - level at which the percentile CI would exclude 0), with the usual
    +1 so that a finite number of resamples never reports p = 0 (the floor is 2 / (R + 1)).

    >>> pb = paired_bootstrap([[True]] * 8 + [[False]] * 2, [[False]] * 10, n_resamples=999)
    >>> float(pb.diff[0]), float(pb.pvalue[0])   # no resample reaches 0
    (0.8, 0.002)
    """
    a, b = _check_matrix(matrix_a, "matrix_a"), _check_matrix(matrix_b, "matrix_b")
    if a.shape != b.shape:
        raise ValueError(f"paired matrices differ in shape ({a.shape} vs {b.shape}); restrict both "
                         "runs to their shared samples and trials first with pair()")
    _check_resampling(n_resamples, level)
    rates_a, rates_b = _resampled_rates([a, b], n_resamples, seed)
    diffs = rates_a - rates_b
    tail = (1 - level) / 2
    low, high = np.quantile(diffs, [tail, 1 - tail], axis=0)
    # A tie at exactly 0 counts on both sides (conservative); the tolerance absorbs float noise.
    below = np.sum(diffs <= 1e-12, axis=0)
    above = np.sum(diffs >= -1e-12, axis=0)
    pvalue = np.minimum(1.0, 2 * (np.minimum(below, above) + 1) / (n_resamples + 1))
    return PairedBootstrap(a.mean(axis=0) - b.mean(axis=0), low, high, pvalue, a.shape[0],
                           n_resamples, level, seed)


def is_tiny(n: int) -> bool:
    """Whether ``n`` samples are too few for an interval to say much (fewer than ``TINY_N``).

    >>> is_tiny(3), is_tiny(30)
    (True, False)
    """
    return int(n) < TINY_N


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_interval(successes: Any, n: int, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """The Wilson score interval of ``successes`` out of ``n`` (arrays work elementwise).

    ``(p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)`` with ``z`` the normal quantile of
    ``(1 + level) / 2``. At 0 successes the low end is exactly 0 and the high end is not.

    >>> [round(float(x), 4) for x in wilson_interval(0, 12)]
    [0.0, 0.2425]
    """
    _check_resampling(1, level)
    if n < 1:
        raise ValueError(f"n must be >= 1 to bound a share, got {n}")
    k = np.asarray(successes, dtype=float)
    z = _z(level)
    p = k / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # Exact at the ends (the formula gives 0 and 1 up to rounding).
    low = np.where(k <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k >= n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


@dataclass(frozen=True)
class ShareCI:
    """Per-trial share with its interval (arrays indexed by trial-1); ``method`` names it."""
    rate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    level: float
    method: str

    @property
    def tiny(self) -> bool:
        return is_tiny(self.n)


def wilson_ci(matrix: Any, level: float = 0.95) -> ShareCI:
    """The Wilson score interval of each trial's share of correct samples (see the module doc).

    >>> ci = wilson_ci([[True], [True], [True]])
    >>> float(ci.rate[0]), round(float(ci.low[0]), 3), float(ci.high[0])   # 3/3 is not certainty
    (1.0, 0.439, 1.0)
    """
    matrix = _check_matrix(matrix)
    n = matrix.shape[0]
    low, high = wilson_interval(matrix.sum(axis=0), n, level)
    return ShareCI(matrix.mean(axis=0), low, high, n, level, "wilson")


@dataclass(frozen=True)
class PairedDiffCI:
    """Per-trial difference of two paired shares (A - B) with its interval; ``method`` names it."""
    diff: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: int
    level: float
    method: str

    @property
    def tiny(self) -> bool:
        return is_tiny(self.n)


def newcombe_paired_interval(both: int, only_a: int, only_b: int, neither: int,
                             level: float = 0.95) -> tuple[float, float, float]:
    """``(diff, low, high)`` for p_A - p_B from a paired 2x2 table, by Newcombe's hybrid score
    method (Newcombe 1998, Stat Med 17:2635, method 10).

    Each margin gets its Wilson interval (l1, u1 for A; l2, u2 for B); the pairs' correlation
    enters through phi = C / sqrt(product of the four marginal totals), where C is ``ad - bc``
    shrunk towards 0 by n/2 when positive (phi = 0 when a marginal total is 0). Then
    ``low = D - sqrt((p1-l1)² - 2 phi (p1-l1)(u2-p2) + (u2-p2)²)`` and
    ``high = D + sqrt((u1-p1)² - 2 phi (u1-p1)(p2-l2) + (p2-l2)²)``.

    Altman et al. (2000, *Statistics with Confidence*, Table 6.2): 41 pairs, 5 discordant, all for A:

    >>> [round(x, 4) for x in newcombe_paired_interval(14, 5, 0, 22)]
    [0.122, 0.0115, 0.2265]
    """
    a, b, c, d = (int(x) for x in (both, only_a, only_b, neither))
    n = a + b + c + d
    if n < 1 or min(a, b, c, d) < 0:
        raise ValueError(f"a paired table needs non-negative counts and n >= 1, got {(a, b, c, d)}")
    p1, p2 = (a + b) / n, (a + c) / n
    (l1, u1), (l2, u2) = (tuple(float(x) for x in wilson_interval(k, n, level)) for k in (a + b, a + c))
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    phi = 0.0
    if margins:
        cross = a * d - b * c
        shrunk = cross - n / 2 if cross > n / 2 else (cross if cross < 0 else 0.0)
        phi = shrunk / math.sqrt(margins)
    diff = p1 - p2
    low = diff - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = diff + math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return diff, max(-1.0, low), min(1.0, high)


def newcombe_paired_ci(matrix_a: Any, matrix_b: Any, level: float = 0.95) -> PairedDiffCI:
    """Per trial, Newcombe's hybrid score interval of the paired difference of shares, A - B (row
    i must be the same sample in both: see :func:`pair`).

    >>> ci = newcombe_paired_ci([[True]] * 8 + [[False]] * 2, [[False]] * 10)
    >>> float(ci.diff[0]), bool(ci.low[0] > 0)
    (0.8, True)
    """
    a, b = _check_matrix(matrix_a, "matrix_a"), _check_matrix(matrix_b, "matrix_b")
    if a.shape != b.shape:
        raise ValueError(f"paired matrices differ in shape ({a.shape} vs {b.shape}); restrict both "
                         "runs to their shared samples and trials first with pair()")
    rows = [newcombe_paired_interval(int(np.sum(a[:, k] & b[:, k])), int(np.sum(a[:, k] & ~b[:, k])),
                                     int(np.sum(~a[:, k] & b[:, k])), int(np.sum(~a[:, k] & ~b[:, k])), level)
            for k in range(a.shape[1])]
    diff, low, high = (np.array(column) for column in zip(*rows))
    return PairedDiffCI(diff, low, high, a.shape[0], level, "newcombe")
