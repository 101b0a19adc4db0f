"""Regenerate tests/golden_frames.json: ``python -m tests.make_golden`` (only when pixels change on purpose,
with a new env version and a CHANGELOG entry). Recorded hashes that would change are refused unless
``--force``: a new version adds keys, and the old version's keys stay pinned."""

from __future__ import annotations

import hashlib
import json
import sys
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


def main(argv: list[str] | None = None) -> int:
    """Record every key; a recorded hash that changed is refused unless ``--force`` (a version
    that changes pixels gets a new id, so its old hashes stay as they were)."""
    force = "--force" in (sys.argv[1:] if argv is None else argv)
    recorded = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    golden = {key: frame_digest(key) for key in golden_keys()}
    changed = sorted(key for key in golden if key in recorded and recorded[key] != golden[key])
    if changed and not force:
        print(f"refusing to change recorded hashes (pass --force): {', '.join(changed)}", file=sys.stderr)
        return 1
    GOLDEN.write_text(json.dumps(golden, indent=2) + "\n")
    added = sorted(set(golden) - set(recorded))
    print(f"{len(golden)} hashes; added: {', '.join(added) or 'none'}; changed: {', '.join(changed) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
