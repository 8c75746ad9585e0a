"""ALFWorld, the kit's decision-making task: an agent acts in a text household (alfworld 0.4's
TextWorld engine, run offline from game files) and succeeds when the engine says ``won``. ``env``
plays one game by hand (``AlfWorldGame``, ``list_games``, ``games_root``, ``normalize_action``),
``suite_spec`` and ``build_suite`` define and build the 12-game suite shipped in
``alfworld_runs/data/suite`` (or ``$ALFWORLD_DATA`` points at the real data), and ``fewshots``
holds two example trajectories per task type. Importing this package never loads the engine.
"""
