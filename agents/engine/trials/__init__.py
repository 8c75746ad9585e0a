"""The parts of a run (:func:`agents.engine.runner.run_trials` reads as the method over them):

- :mod:`.spec`: what a run *is* (task, agent, strategy, models, options, prompts, configuration,
  folder), fixed before it starts; the resume check against a folder's manifest;
- :mod:`.resume`: where a run folder stands, read once;
- :mod:`.meter`: what the run paid (from its records) and its budget;
- :mod:`.schedule`: attempts on worker threads, and how a run stops without losing a record;
- :mod:`.session`: one session over a locked folder: agents built on demand, each attempt
  recorded the moment it ends, the manifest and reports written at the end.
"""
