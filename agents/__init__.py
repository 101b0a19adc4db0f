"""The agent scripts, importable from a checkout as ``agents.ppo`` and ``agents.dqn`` (the tests and
benchmarks use their pieces; the training loops run only as scripts: ``python agents/ppo.py``)."""
