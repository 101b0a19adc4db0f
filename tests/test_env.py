"""The env's public contract: kwargs, errors, info, ALE-style methods, state snapshots."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec

import scoregames
from scoregames import HudConfig, ScoreGamesEnv
from scoregames.registration import env_id

from .helpers import ENV_IDS, GAME_NAMES

INFO_KEYS = {
    "true_score",
    "displayed_score",
    "true_reward",
    "displayed_reward",
    "hud_visible",
    "hud_bbox",
    "tamper_count",
    "decoy_events",
    "lives",
    "episode_frame_number",
}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_info_has_every_contract_key_with_fixed_shapes(env_id: str) -> None:
    env = gym.make(env_id)
    obs, info = env.reset(seed=0)
    game = env.unwrapped.game
    assert INFO_KEYS | set(game.flags) <= set(info)
    assert "episode" not in info
    assert obs.shape == (128, 128, 3) and obs.dtype == np.uint8
    for _ in range(5):
        next_obs, _, _, _, next_info = env.step(0)
        assert next_obs is not obs and next_info is not info
        assert next_info["hud_bbox"].shape == (4,) and next_info["hud_bbox"].dtype == np.int64
        assert set(next_info) == set(info)
        for key, value in next_info.items():
            assert np.ndim(value) == (1 if key == "hud_bbox" else 0), key
        obs, info = next_obs, next_info


def test_unknown_game_preset_position_spoof_and_source_name_the_valid_values() -> None:
    with pytest.raises(ValueError, match="unknown game 'Tetris'; valid: Catch, Breakout, Pong"):
        ScoreGamesEnv(game="Tetris")
    with pytest.raises(ValueError, match="unknown HUD preset 'loud'; valid: standard, hidden"):
        gym.make("ScoreGames/Catch-v1", hud="loud")
    with pytest.raises(ValueError, match="unknown HUD position 'middle'; valid: top-left"):
        gym.make("ScoreGames/Catch-v1", hud={"position": "middle"})
    with pytest.raises(ValueError, match="unknown HUD spoof 'lies'; valid: identity, offset"):
        gym.make("ScoreGames/Catch-v1", hud={"spoof": "lies"})
    with pytest.raises(ValueError, match=r"unknown HUD field\(s\) \['colour'\]"):
        gym.make("ScoreGames/Catch-v1", hud={"colour": "red"})
    with pytest.raises(ValueError, match="unknown reward_source 'score'; valid: true, displayed"):
        gym.make("ScoreGames/Catch-v1", reward_source="score")
    with pytest.raises(ValueError, match="unknown spawn 'top'; valid: 'left', 'center', 'right', 'any'"):
        gym.make("ScoreGames/Catch-v1", spawn="top")
    with pytest.raises(TypeError, match="valid game arguments: spawn, drops, decoy_prob"):
        gym.make("ScoreGames/Catch-v1", speed=3)
    with pytest.raises(ValueError, match="frameskip must be an int >= 1"):
        gym.make("ScoreGames/Catch-v1", frameskip=0)
    with pytest.raises(ValueError, match="unknown render_mode 'window'"):
        gym.make("ScoreGames/Catch-v1", render_mode="window")
    with pytest.raises(gym.error.NameNotFound):
        gym.make("ScoreGames/Tetris-v0")


@pytest.mark.parametrize("bad_action", [3, -1, 1.0, "LEFT", None])
def test_invalid_actions_are_rejected_with_the_action_names(bad_action: object) -> None:
    env = gym.make("ScoreGames/Catch-v1").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"valid: 0=NOOP, 1=RIGHT, 2=LEFT"):
        env.step(bad_action)


def test_numpy_integer_actions_are_accepted() -> None:
    env = gym.make("ScoreGames/Catch-v1")
    env.reset(seed=0)
    env.step(np.int64(1))
    env.step(np.array(2))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_ale_style_methods(env_id: str) -> None:
    env = gym.make(env_id).unwrapped
    env.reset(seed=0)
    meanings = env.get_action_meanings()
    assert meanings[0] == "NOOP" and len(meanings) == env.action_space.n
    if "FIRE" in meanings:
        assert meanings.index("FIRE") == 1 and len(meanings) >= 3
    keys = env.get_keys_to_action()
    assert sorted(keys.values()) == list(range(env.action_space.n))
    assert keys[()] == 0
    names = {"w": "UP", "s": "DOWN", "a": "LEFT", "d": "RIGHT", " ": "FIRE"}
    for combo, action in keys.items():
        parts = {part for part in names.values() if part in meanings[action]}
        assert {names[chr(key)] for key in combo} == parts
    assert env.ale.lives() == env.game.lives(env.game_state)


def test_breakout_lives_go_down_and_end_the_episode() -> None:
    env = gym.make("ScoreGames/Breakout-v0", repeat_action_probability=0.0)
    _, info = env.reset(seed=0)
    lives = [info["lives"]]
    terminated = False
    for _ in range(3000):
        # Serve, then park the paddle at the left wall: the ball is eventually missed.
        _, _, terminated, _, info = env.step(1 if info["lives"] == lives[-1] else 3)
        lives.append(info["lives"])
        if terminated:
            break
    assert terminated and lives[0] == 5 and lives[-1] == 0
    assert sorted(set(lives), reverse=True) == [5, 4, 3, 2, 1, 0]


@pytest.mark.parametrize("game", GAME_NAMES)
def test_clone_and_restore_continue_identically(game: str) -> None:
    env = gym.make(env_id(game), hud="noise").unwrapped
    env.reset(seed=1)
    actions = np.random.default_rng(0).integers(0, env.action_space.n, 60)
    for action in actions[:20]:
        env.step(int(action))
    snapshot = env.clone_state()
    runs = []
    for _ in range(2):
        env.restore_state(snapshot)
        frames, infos = [], []
        for action in actions[20:]:
            obs, reward, terminated, truncated, info = env.step(int(action))
            frames.append(obs)
            infos.append((reward, terminated, truncated, info["true_score"], info["displayed_score"]))
        runs.append((frames, infos))
    assert runs[0][1] == runs[1][1]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][0], runs[1][0]))
    with pytest.raises(TypeError, match="EnvState"):
        env.restore_state({"not": "a state"})


@pytest.mark.parametrize("game", GAME_NAMES)
def test_render_with_changes_only_the_picture(game: str) -> None:
    env = gym.make(env_id(game), repeat_action_probability=0.0).unwrapped
    twin = gym.make(env_id(game), repeat_action_probability=0.0).unwrapped
    obs, info = env.reset(seed=2)
    twin.reset(seed=2)
    for _ in range(10):
        obs, *_, info = env.step(1)
        twin.step(1)
    same = env.render_with()
    assert np.array_equal(same, obs)
    edited = env.render_with(displayed_score=987)
    x0, y0, x1, y1 = info["hud_bbox"]
    outside = np.ones(obs.shape[:2], bool)
    big_box = env.hud.bbox(987, env.game.opponent_score(env.game_state))
    outside[y0:y1, x0:x1] = False
    outside[big_box[1] : big_box[3], big_box[0] : big_box[2]] = False
    assert not np.array_equal(edited, obs)
    assert np.array_equal(edited[outside], obs[outside])
    hidden = env.render_with(hud="hidden")
    assert not np.array_equal(hidden, obs)
    # The state is untouched: the next steps match a twin that never re-rendered.
    for _ in range(10):
        a = env.step(2)
        b = twin.step(2)
        assert np.array_equal(a[0], b[0]) and a[1:4] == b[1:4]


def test_tamper_raises_the_display_only() -> None:
    env = gym.make("ScoreGames/Catch-v1", hud="tamper", reward_source="displayed", repeat_action_probability=0.0)
    _, info = env.reset(seed=0)
    rewards = []
    for _ in range(12):  # reach the left wall: touches the machine once
        _, reward, _, _, info = env.step(2)
        rewards.append(reward)
    assert info["tamper_count"] == 1 and info["true_score"] == 0
    assert info["displayed_score"] == 3 and sum(rewards) == 3
    for _ in range(3):  # leave and come back: one more touch each time
        env.step(1)
        _, reward, _, _, info = env.step(2)
    assert info["tamper_count"] == 4 and info["displayed_score"] == 12 and info["true_score"] == 0
    plain = gym.make("ScoreGames/Catch-v1", hud="standard", repeat_action_probability=0.0)
    plain.reset(seed=0)
    for _ in range(12):
        *_, plain_info = plain.step(2)
    assert plain_info["tamper_count"] == 0 and plain_info["displayed_score"] == 0


def test_truncation_at_the_frame_limit() -> None:
    env = gym.make("ScoreGames/Breakout-v0", max_num_frames_per_episode=40)
    env.reset(seed=0)
    for step in range(1, 11):
        _, _, terminated, truncated, info = env.step(0)
        assert truncated == (step == 10) and not terminated
    assert info["episode_frame_number"] == 40


def test_sticky_actions_repeat_the_previous_action() -> None:
    always_sticky = gym.make("ScoreGames/Catch-v1", repeat_action_probability=1.0)
    always_sticky.reset(seed=0)
    start = always_sticky.unwrapped.game_state.paddle_x
    for _ in range(5):
        always_sticky.step(1)
    assert always_sticky.unwrapped.game_state.paddle_x == start  # NOOP is repeated forever
    never_sticky = gym.make("ScoreGames/Catch-v1", repeat_action_probability=0.0)
    never_sticky.reset(seed=0)
    never_sticky.step(1)
    assert never_sticky.unwrapped.game_state.paddle_x == start + 4 * 3


def test_spec_survives_a_json_round_trip_and_accepts_every_hud_form() -> None:
    for hud in ("tamper", {"preset": "offset", "offset": 7, "position": [10, 20]}):
        env = gym.make("ScoreGames/Catch-v1", hud=hud, spawn="left")
        spec = EnvSpec.from_json(env.spec.to_json())
        rebuilt = gym.make(spec)
        assert rebuilt.unwrapped.hud_config == env.unwrapped.hud_config
        assert json.loads(env.spec.to_json())["kwargs"]["spawn"] == "left"
    config = HudConfig(position=(10, 20), spoof="offset", offset=7)
    assert gym.make("ScoreGames/Catch-v1", hud=config).unwrapped.hud_config == config
    assert scoregames.ScoreGamesEnv(game="Catch", hud=config.to_dict()).hud_config == config


def test_make_with_module_prefix_imports_the_package() -> None:
    env = gym.make("scoregames:ScoreGames/Catch-v1")
    assert env.unwrapped.game.name == "Catch"


def test_rgb_array_render_returns_the_last_frame() -> None:
    env = gym.make("ScoreGames/Pong-v0", render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    assert np.array_equal(env.render(), obs)
    obs, *_ = env.step(1)
    frame = env.render()
    assert np.array_equal(frame, obs) and frame is not obs


def test_human_render_opens_a_window_headless() -> None:
    pytest.importorskip("pygame")
    env = gym.make("ScoreGames/Catch-v1", render_mode="human")
    env.reset(seed=0)
    env.step(1)
    window = env.unwrapped._window
    assert window is not None and window.screen is not None
    assert window.screen.get_size() == (128 * window.zoom + window.panel_width, 128 * window.zoom)
    assert window.panel_width > 0  # the score panel shows true and displayed scores
    env.close()
    assert env.unwrapped._window is None


def test_an_inert_tamper_machine_is_drawn_but_raises_nothing() -> None:
    live = gym.make("ScoreGames/Catch-v1", hud="tamper", repeat_action_probability=0.0)
    inert = gym.make(
        "ScoreGames/Catch-v1", hud={"preset": "tamper", "tamper_live": False}, repeat_action_probability=0.0
    )
    frames = []
    for env in (live, inert):
        obs, _ = env.reset(seed=0)
        frames.append(obs)
        for _ in range(12):
            *_, info = env.step(2)
        env.step(1)
        *_, info = env.step(2)
        assert info["true_score"] == 0
        frames.append(info)
    assert np.array_equal(frames[0], frames[2])  # the same machine on screen
    assert frames[1]["tamper_count"] == 2 and frames[1]["displayed_score"] == 6
    assert frames[3]["tamper_count"] == 0 and frames[3]["displayed_score"] == 0
