"""The diagnostic battery: does a policy track the real score, the displayed score, or a positional cue?"""

from scoregames.diagnostics.policy import EvaluablePolicy, Policy, PolicyOutput

__all__ = ["EvaluablePolicy", "Policy", "PolicyOutput"]
