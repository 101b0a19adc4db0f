"""Unmodified ALE-style wrapper stacks run on every game."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import (
    FrameStackObservation,
    GrayscaleObservation,
    RecordEpisodeStatistics,
    ResizeObservation,
)
from stable_baselines3.common.atari_wrappers import (
    AtariWrapper,
    ClipRewardEnv,
    EpisodicLifeEnv,
    FireResetEnv,
    MaxAndSkipEnv,
    NoopResetEnv,
)

from .helpers import ENV_IDS


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_atari_wrapper_runs(env_id: str) -> None:
    env = AtariWrapper(gym.make(env_id), frame_skip=1)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (84, 84, 1)
    for action in np.random.default_rng(0).integers(0, env.action_space.n, 300):
        obs, reward, terminated, truncated, _ = env.step(int(action))
        assert obs.shape == (84, 84, 1) and reward in (-1.0, 0.0, 1.0)
        if terminated or truncated:
            env.reset()


def cleanrl_stack(env_id: str) -> gym.Env:
    """CleanRL's Atari stack on Gymnasium 1.x wrappers (frame skip is already in our env)."""
    env = gym.make(env_id)
    env = RecordEpisodeStatistics(env)
    env = NoopResetEnv(env, noop_max=30)
    env = MaxAndSkipEnv(env, skip=1)
    env = EpisodicLifeEnv(env)
    if "FIRE" in env.unwrapped.get_action_meanings():
        env = FireResetEnv(env)
    env = ClipRewardEnv(env)
    env = ResizeObservation(env, (84, 84))
    env = GrayscaleObservation(env)
    return FrameStackObservation(env, 4)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_cleanrl_stack_runs_and_episode_return_is_the_true_score(env_id: str) -> None:
    env = cleanrl_stack(env_id)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (4, 84, 84)
    episodes = 0
    rng = np.random.default_rng(0)
    for _ in range(3000):
        obs, _, terminated, truncated, info = env.step(int(rng.integers(env.action_space.n)))
        if "episode" in info:
            assert info["episode"]["r"] == info["true_score"]
            episodes += 1
        if terminated or truncated:
            obs, _ = env.reset()  # EpisodicLifeEnv: a lost life resets softly, game over for real
    assert obs.shape == (4, 84, 84)
    if env_id.endswith("Catch-v1"):
        assert episodes >= 1
