"""The run engine, task-agnostic: the runner (trials, concurrency, resume), the run folder and its
records, the per-trial report, the figures, and the statistics and viewer built on them."""
