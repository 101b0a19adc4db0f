"""The ``Policy`` protocol: what the diagnostic battery needs from an agent.

A policy takes raw env frames (``(H, W, 3)`` uint8, exactly what the env returns) and
keeps its own frame history, so the battery never has to know an agent's preprocessing.
Policies that expose internals also evaluate *supplied* frame histories, which is how
counterfactual frames (from ``env.unwrapped.render_with``) are injected.
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
