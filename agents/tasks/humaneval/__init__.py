"""HumanEval programming: the problems (``data``), the jail that runs model code (``sandbox``), and the
hidden-test verdict and the agent's own test runs built on it (``scoring``, ``judge``, ``worker``,
``protocol``). Model-written code never runs in the kit's process: see ``scoring.py`` for the design.
"""
