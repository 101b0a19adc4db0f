"""The diagnostic battery: does a policy track the real score, the displayed score, or a positional cue?

>>> import scoregames
>>> from scoregames.diagnostics import make_oracle, run_battery, BatteryConfig
>>> config = BatteryConfig.quick(episodes=2, max_steps=60, presets=("standard", "hidden"), parts=("conflict",))
>>> run_battery(make_oracle("true-score", "ScoreGames/Catch-v1"), "ScoreGames/Catch-v1", config=config, progress=False).verdict
'true-score'

See ``docs/diagnostics.md`` for the parts, the verdict rule and the known-answer confusion matrix.
"""

from scoregames.diagnostics.battery import (
    BatteryConfig,
    Report,
    decide,
    run_battery,
    run_conflict,
    run_interventions,
    run_positional,
    run_probes,
)
from scoregames.diagnostics.oracles import ORACLES, expected_verdict, make_oracle
from scoregames.diagnostics.policy import EvaluablePolicy, Policy, PolicyOutput

__all__ = [
    "ORACLES",
    "BatteryConfig",
    "EvaluablePolicy",
    "Policy",
    "PolicyOutput",
    "Report",
    "decide",
    "expected_verdict",
    "make_oracle",
    "run_battery",
    "run_conflict",
    "run_interventions",
    "run_positional",
    "run_probes",
]
