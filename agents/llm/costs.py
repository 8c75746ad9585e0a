"""Token prices, so a run can report and cap what it spends.

Prices are US dollars per million tokens (input, output), from OpenAI's public price list; pass
``prices=`` to override or add a model. Models not in the table (local ones) cost nothing.

>>> cost_usd("gpt-4o-mini", input_tokens=1_000_000, output_tokens=100_000)
0.21
>>> cost_usd("local:gemma-3-270m-Q4_K_M.gguf", 10**6, 10**6)
0.0
"""
from __future__ import annotations

PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}


def price_of(model: str, prices: dict[str, tuple[float, float]] | None = None) -> tuple[float, float]:
    """(input, output) dollars per million tokens; the longest table entry that prefixes the
    model name wins, so dated snapshots (``gpt-4o-mini-2024-07-18``) find their family.

    >>> price_of("gpt-4o-mini-2024-07-18")
    (0.15, 0.6)
    """
    table = {**PRICES_PER_MILLION, **(prices or {})}
    name = model.split(":", 1)[-1] if model.startswith("openai:") else model
    matches = [key for key in table if name == key or name.startswith(key + "-")]
    return table[max(matches, key=len)] if matches else (0.0, 0.0)


def cost_usd(model: str, input_tokens: int, output_tokens: int,
             prices: dict[str, tuple[float, float]] | None = None) -> float:
    price_in, price_out = price_of(model, prices)
    return round((input_tokens * price_in + output_tokens * price_out) / 1e6, 6)
