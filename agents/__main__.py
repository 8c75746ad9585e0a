"""``python -m agents``: see :mod:`agents.cli` (``python -m agents --help``)."""
from agents.cli import main

if __name__ == "__main__":  # guarded: pytest's doctest collection imports this module
    raise SystemExit(main())
