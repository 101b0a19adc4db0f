"""Env versions: each game's latest id, and earlier versions that still rebuild exactly.

Catch-v1 changed only the star's colour, Harvest-v1 only the reward for two fruit caught in one
frame; the v0s stay registered (light star; +1 for such a catch) so runs, checkpoints and
recordings made on them can still be diagnosed and replayed.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import scoregames  # noqa: F401  (registers the envs)
from scoregames.games import GAMES, make_game
from scoregames.registration import env_id
from scoregames.render import PALETTE

STAR_ONLY = {"decoy_prob": 1.0, "repeat_action_probability": 0.0}


def star_pixels(obs: np.ndarray, color: np.ndarray) -> int:
    return int(np.all(obs == color, axis=-1).sum())


def test_env_id_names_the_latest_version_and_checks_its_arguments() -> None:
    assert env_id("Catch") == "ScoreGames/Catch-v1"
    assert env_id("Catch", 0) == "ScoreGames/Catch-v0"
    assert env_id("Pong") == "ScoreGames/Pong-v0"
    with pytest.raises(ValueError, match="Catch has versions 0 to 1"):
        env_id("Catch", 2)
    with pytest.raises(ValueError, match="unknown game 'Tetris'; valid: Catch"):
        env_id("Tetris")


@pytest.mark.parametrize("name", list(GAMES))
def test_every_earlier_version_is_registered_with_its_knobs(name: str) -> None:
    game = GAMES[name]
    assert set(game.earlier_versions) == set(range(game.version))
    for version in range(game.version + 1):
        spec = gym.spec(env_id(name, version))
        assert spec.kwargs == {"game": name, "hud": "standard", **game.earlier_versions.get(version, {})}


def test_catch_v1_draws_the_dark_star_and_v0_the_light_one() -> None:
    new, _ = gym.make(env_id("Catch"), **STAR_ONLY).reset(seed=0)
    old, _ = gym.make(env_id("Catch", 0), **STAR_ONLY).reset(seed=0)
    assert star_pixels(new, PALETTE["decoy"]) > 0 and star_pixels(new, PALETTE["decoy_light"]) == 0
    assert star_pixels(old, PALETTE["decoy_light"]) == star_pixels(new, PALETTE["decoy"])
    # the native vector env builds the same version as gym.make
    envs = gym.make_vec(env_id("Catch", 0), num_envs=2, **STAR_ONLY)
    vector_obs, _ = envs.reset(seed=0)
    assert np.array_equal(vector_obs[0], old)


def test_catch_versions_differ_only_in_pixels() -> None:
    """Same seed and actions: identical rewards, scores and flags; only the star's pixels differ."""
    old, new = gym.make(env_id("Catch", 0), **STAR_ONLY), gym.make(env_id("Catch"), **STAR_ONLY)
    old.reset(seed=5)
    new.reset(seed=5)
    for action in np.random.default_rng(5).integers(0, 3, 400):
        a, b = old.step(int(action)), new.step(int(action))
        assert a[1:4] == b[1:4] and a[4]["true_score"] == b[4]["true_score"]
        assert a[4]["reward_x"] == b[4]["reward_x"]
        star = np.all(a[0] == PALETTE["decoy_light"], axis=-1)
        assert np.array_equal(np.all(b[0] == PALETTE["decoy"], axis=-1), star)
        assert np.array_equal(a[0][~star], b[0][~star])
        if a[2]:
            break


def test_unknown_star_shade_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown star 'pink'; valid: 'dark', 'light'"):
        make_game("Catch", star="pink")


def harvest_double_catch(catch_reward: str) -> tuple[float, int]:
    """The hero between two lanes walks into a fruit in each in the same frame: (reward, score)."""
    from scoregames.games.harvest import FRUIT, LANES_AT, HarvestState

    game = make_game("Harvest", catch_reward=catch_reward)
    row = next(row for row, lanes in enumerate(LANES_AT) if len(lanes) == 2)
    state = HarvestState(y=float(row), next_event=10**9)
    for lane in LANES_AT[row]:
        state.kind[lane], state.offset[lane], state.speed[lane] = FRUIT, state.x, 0.0
        state.until[lane] = 10**9
    tick = game.step(state, 0, np.random.default_rng(0), dict(game.flags))
    return tick.reward, game.shown_score(state)


def test_harvest_v1_pays_each_fruit_caught_in_one_frame_as_its_display_counts() -> None:
    assert harvest_double_catch("per_fruit") == (2.0, 2)
    assert harvest_double_catch("per_frame") == (1.0, 2)  # v0's rule, rebuilt for its runs
    assert gym.spec(env_id("Harvest", 0)).kwargs["catch_reward"] == "per_frame"
    assert env_id("Harvest") == "ScoreGames/Harvest-v1"
