"""Regenerate tests/golden_frames.json: ``python -m tests.make_golden`` (only when pixels change on purpose,
with a new env version and a CHANGELOG entry)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import gymnasium as gym
import numpy as np

import scoregames  # noqa: F401
from scoregames.registration import ALL_ENV_IDS, NAMESPACE

GOLDEN = Path(__file__).with_name("golden_frames.json")
STEPS = 200
HUDS = ("standard", "tamper", "decoupled")


def golden_keys() -> list[str]:
    """``<Game>-v<N>/<hud>`` for every registered version of every game: old versions stay pinned."""
    return [f"{ident.split('/')[1]}/{hud}" for ident in ALL_ENV_IDS for hud in HUDS]


def frame_digest(key: str) -> str:
    """SHA-256 over every frame of a fixed seed and action sequence, for a ``<Game>-v<N>/<hud>`` key."""
    game_version, hud = key.split("/")
    env = gym.make(f"{NAMESPACE}/{game_version}", hud=hud)
    obs, _ = env.reset(seed=123)
    digest = hashlib.sha256(obs.tobytes())
    for action in np.random.default_rng(123).integers(0, env.action_space.n, STEPS):
        obs, _, terminated, truncated, _ = env.step(int(action))
        digest.update(obs.tobytes())
        if terminated or truncated:
            obs, _ = env.reset()
            digest.update(obs.tobytes())
    return digest.hexdigest()


def main() -> None:
    golden = {key: frame_digest(key) for key in golden_keys()}
    GOLDEN.write_text(json.dumps(golden, indent=2) + "\n")


if __name__ == "__main__":
    main()
