"""The ``Policy`` protocol: what the diagnostic battery needs from an agent.

A policy takes raw env frames (``(H, W, 3)`` uint8, exactly what the env returns) and
keeps its own frame history, so the battery never has to know an agent's preprocessing.
Policies that expose internals also evaluate *supplied* frame histories, which is how
counterfactual frames (from ``env.unwrapped.render_with``) are injected.

Optional methods the battery uses when present (nothing else requires them):

- ``seed(seed: int) -> None``: called before each episode, so a stochastic policy makes the
  same draws in paired conditions (same seed, different display);
- ``randomized(seed: int) -> EvaluablePolicy``: the same architecture with freshly drawn
  parameters, the control for probes and saliency. Without it the battery re-initialises
  any torch module it finds on the policy, or skips that control with a note;
- ``trained_with: dict`` (an attribute): the game knobs it was trained with, which decides
  whether the positional shift test applies (``run_battery(trained_with=...)`` overrides it);
- ``run_arguments: dict`` (an attribute): a trained run's arguments (``load_policy`` policies
  have it), the ``trained_with`` run_battery uses when given none: every episode plays its game
  knobs.

The battery calls ``evaluate`` while the env is at the state the histories end in, so a
scripted policy that reads ``env.unwrapped.game_state`` may answer for that state.

Wrapping your own agent takes a few lines::

    class MyAgent:
        history_length = 4

        def __init__(self, net):
            self.net, self.frames = net, []

        def reset(self, env=None):
            self.frames = []

        def act(self, frame, info=None):
            self.frames = (self.frames or [frame] * 4)[1:] + [frame]
            return int(self.evaluate(np.stack(self.frames)[None]).action_probs[0].argmax())

        def evaluate(self, histories):  # (B, 4, H, W, 3) uint8
            logits, value, features = self.net(histories)
            return PolicyOutput(action_probs=softmax(logits), value=value, features=features)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass
class PolicyOutput:
    """What a policy computes for a batch of frame histories; fields it lacks are None.

    Attributes:
        action_probs: ``(B, A)`` action distribution (a greedy policy gives one-hot rows).
        value: ``(B,)`` state value (actor-critic agents).
        q_values: ``(B, A)`` action values (Q-learning agents).
        features: ``(B, F)`` penultimate-layer features (for linear probes).
    """

    action_probs: np.ndarray | None = None
    value: np.ndarray | None = None
    q_values: np.ndarray | None = None
    features: np.ndarray | None = None


@runtime_checkable
class Policy(Protocol):
    """Raw env frames in, actions out.

    ``history_length`` is how many most-recent frames the policy looks at (1 for a
    memoryless policy; 4 for a frame-stacking agent).
    """

    history_length: int

    def reset(self, env: Any | None = None) -> None:
        """Start a new episode (clear the frame history). Scripted policies may keep ``env``
        to read game state; learned policies ignore it."""

    def act(self, frame: np.ndarray, info: dict[str, Any] | None = None) -> int:
        """Append ``frame`` to the history and return an action."""
        ...


@runtime_checkable
class EvaluablePolicy(Policy, Protocol):
    """A policy whose internals can be evaluated on frame histories the caller supplies."""

    def evaluate(self, histories: np.ndarray) -> PolicyOutput:
        """``histories``: ``(B, history_length, H, W, 3)`` uint8 raw frames, oldest first."""
        ...
