"""What a run paid: calls, cache hits, tokens and dollars, counted from its records (exact however
earlier sessions ended) plus what this session's meters saw that never became a record.

>>> t = Totals(); t.add({"llm_calls": 2, "cost_usd": 0.5}); t.plus(t).as_counters()["llm_calls"]
4
"""
from __future__ import annotations

from typing import Any

from ...llm.cache import CachedLLM, ResponseCache
from ...llm.costs import cost_usd


class Totals:
    """Calls, cache hits, paid tokens and dollars, added up (from records or meters).

    >>> a = Totals(); a.add({"llm_calls": 2, "input_tokens": 10, "cost_usd": 0.5})
    >>> a.plus(a).as_counters()["llm_calls"], a.minus(a).as_counters()["cost_usd"]
    (4, 0.0)
    >>> a.plus(a).as_counters()["cost_usd"]
    1.0
    """

    FIELDS = ("llm_calls", "cache_hits", "input_tokens", "output_tokens", "cost_usd")

    def __init__(self) -> None:
        self.values = dict.fromkeys(self.FIELDS, 0)
        self.values["cost_usd"] = 0.0

    @classmethod
    def from_counters(cls, counters: dict[str, Any]) -> "Totals":
        totals = cls()
        if isinstance(counters, dict):
            totals.add(counters)
        return totals

    def add(self, paid: dict[str, Any]) -> None:
        for name in self.FIELDS:
            value = paid.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                self.values[name] += value

    def plus(self, other: "Totals") -> "Totals":
        out = Totals()
        out.values = {k: self.values[k] + other.values[k] for k in self.FIELDS}
        return out

    def minus(self, other: "Totals") -> "Totals":
        out = Totals()
        out.values = {k: max(0.0 if k == "cost_usd" else 0, self.values[k] - other.values[k]) for k in self.FIELDS}
        return out

    @property
    def cost_usd(self) -> float:
        return float(self.values["cost_usd"])

    def as_counters(self) -> dict[str, Any]:
        return {k: (round(v, 6) if k == "cost_usd" else int(v)) for k, v in self.values.items()}


def paid_of(record: dict[str, Any]) -> dict[str, Any]:
    """What a record's attempt paid: its ``paid`` field, or (records of older kits) its calls
    less its cache hits, and its tokens and cost in that proportion.

    >>> paid_of({"llm_calls": 4, "cache_hits": 1, "input_tokens": 400, "output_tokens": 40, "cost_usd": 0.4})
    {'llm_calls': 3, 'cache_hits': 1, 'input_tokens': 300, 'output_tokens': 30, 'cost_usd': 0.3}
    """
    paid = record.get("paid")
    if isinstance(paid, dict):
        return paid
    calls = int(record.get("llm_calls") or 0)
    hits = int(record.get("cache_hits") or 0)
    share = (calls - hits) / calls if calls else 0.0
    return {"llm_calls": calls - hits, "cache_hits": hits,
            "input_tokens": round(int(record.get("input_tokens") or 0) * share),
            "output_tokens": round(int(record.get("output_tokens") or 0) * share),
            "cost_usd": round(float(record.get("cost_usd") or 0.0) * share, 6)}


def paid_between(meters: list[CachedLLM], before: list[tuple], after: list[tuple],
                  prices: dict | None) -> dict[str, Any]:
    """What one attempt paid: the meters' counts made from its thread, before and after it."""
    paid = {"llm_calls": 0, "cache_hits": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
    for meter, old, new in zip(meters, before, after):
        calls, tokens_in, tokens_out, hits = (b - a for a, b in zip(old, new))
        paid["llm_calls"] += calls
        paid["cache_hits"] += hits
        paid["input_tokens"] += tokens_in
        paid["output_tokens"] += tokens_out
        paid["cost_usd"] += cost_usd(meter.name, tokens_in, tokens_out, prices)
    paid["cost_usd"] = round(paid["cost_usd"], 6)
    return paid


class Meter:
    """The run's models behind the response cache, and what they cost: ``counters()`` for the
    manifest, ``spend()`` for the budget. Built after the folder's records are read: ``history``
    is every recorded row (each carries what its attempt ``paid``)."""

    def __init__(self, spec: Any, cache: ResponseCache | None, previous: dict[str, Any] | None,
                 history: list[dict[str, Any]]):
        self.prices = spec.prices
        self.model = CachedLLM(spec.model, cache)
        self.reflector = self.model if spec.reflector is spec.model else CachedLLM(spec.reflector, cache)
        self.judge = None if spec.judge is None else CachedLLM(spec.judge, cache)
        self.cache = cache
        self.meters = [m for m in {id(m): m for m in (self.model, self.reflector, self.judge) if m}.values()]
        self.recorded = Totals()
        for row in history:
            self.recorded.add(paid_of(row))
        self.session = Totals()          # what this session's records say it paid
        # Calls of attempts that never became a record, from earlier sessions: the total a session
        # wrote when it ended; a killed session's last counters held its attempts in flight (some of
        # which then became records), so from it only what it had carried in.
        before = (previous or {}).get("counters") or {}
        before = before if isinstance(before, dict) else {}
        ended = bool((previous or {}).get("ended_at"))
        self.carried = Totals.from_counters(before.get("unrecorded" if ended else "unrecorded_earlier") or {})

    def live(self) -> Totals:
        """This session's calls, recorded or not (the meters)."""
        seen = Totals()
        for m in self.meters:
            seen.add({"llm_calls": m.calls, "cache_hits": m.hits, "input_tokens": m.paid_input_tokens,
                      "output_tokens": m.paid_output_tokens,
                      "cost_usd": cost_usd(m.name, m.paid_input_tokens, m.paid_output_tokens, self.prices)})
        return seen

    def record(self, paid: dict[str, Any]) -> None:
        """A record of this session was written (under the caller's lock)."""
        self.recorded.add(paid)
        self.session.add(paid)

    def counters(self, stopped: str | None) -> dict[str, Any]:
        """From the records, plus the calls of attempts that never became one (stopped mid-attempt)."""
        unrecorded = self.carried.plus(self.live().minus(self.session))
        total = self.recorded.plus(unrecorded)
        return {**total.as_counters(), "unrecorded": unrecorded.as_counters(),
                "unrecorded_earlier": self.carried.as_counters(),
                "empty_replies": sum(m.empty for m in self.meters), "stopped": stopped}

    def spend(self) -> float:
        """The run's spend so far (records and this session), so a budget holds for the run."""
        return self.recorded.plus(self.carried).plus(self.live().minus(self.session)).cost_usd

    def snapshot(self) -> list[tuple]:
        """This thread's totals on every meter (an attempt's cost is the difference of two)."""
        return [m.thread_totals() for m in self.meters]

    def paid_since(self, before: list[tuple]) -> dict[str, Any]:
        return paid_between(self.meters, before, self.snapshot(), self.prices)

    def replies(self) -> tuple[int, int]:
        """(replies so far, of which empty)."""
        return sum(m.calls + m.hits for m in self.meters), sum(m.empty for m in self.meters)

    def close(self) -> None:
        if self.cache is not None:
            self.cache.close()
