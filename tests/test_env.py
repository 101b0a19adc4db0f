"""The env's public contract: kwargs, errors, info, ALE-style methods, state snapshots."""

from __future__ import annotations

import dataclasses
import json

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.registration import EnvSpec

import scoregames
from scoregames import HudConfig, ScoreGamesEnv
from scoregames.diagnostics.digits import read_displayed_score
from scoregames.registration import env_id
from scoregames.render import text_width

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


@pytest.mark.parametrize(("game", "position"), [("CoinRun", "bottom-left"), ("Freeway", "bottom-right")])
def test_a_hud_over_the_tamper_site_is_refused_naming_the_positions_that_leave_it_visible(
    game: str, position: str
) -> None:
    with pytest.raises(ValueError, match=rf"HUD position '{position}' would cover {game}'s tamper site") as refused:
        gym.make(env_id(game), hud={"preset": "tamper", "position": position})
    clear = str(refused.value).split("positions that leave it visible: ")[1].split(", ")
    assert position not in clear and "top-left" in clear
    for other in clear:  # each named alternative is accepted, and so is the same place without tamper or hidden
        gym.make(env_id(game), hud={"preset": "tamper", "position": other}).close()
    gym.make(env_id(game), hud={"position": position}).close()
    gym.make(env_id(game), hud={"preset": "tamper", "position": position, "visible": False}).close()
    gym.make(env_id(game), hud={"preset": "tamper", "position": position, "visible": 0.0}).close()
    with pytest.raises(ValueError, match="would cover"):  # drawn on some frames: it still hides the site
        gym.make(env_id(game), hud={"preset": "tamper", "position": position, "visible": 0.5})


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
    with pytest.raises(ValueError, match="frameskip must be an integer >= 1, got 0"):
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
    env.step(np.uint8(0))


@pytest.mark.parametrize("bad_action", [True, False, np.bool_(True), np.array(True), np.array([1])])
def test_bool_and_array_actions_are_rejected(bad_action: object) -> None:
    env = gym.make("ScoreGames/Catch-v1").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"invalid action .* for Catch; valid: 0=NOOP, 1=RIGHT, 2=LEFT"):
        env.step(bad_action)
    assert env.step(0)[4]["episode_frame_number"] == 4  # the refused step did not move the game
    with pytest.raises(ValueError, match=r"invalid action True \(a bool, not an action index\)"):
        env.step(True)


BAD_ENV_KWARGS = [
    ({"repeat_action_probability": "x"}, "repeat_action_probability must be a number in [0, 1], got 'x'"),
    ({"repeat_action_probability": 1.5}, "repeat_action_probability must be a number in [0, 1], got 1.5"),
    ({"repeat_action_probability": float("nan")}, "repeat_action_probability must be a number in [0, 1]"),
    ({"repeat_action_probability": True}, "repeat_action_probability must be a number in [0, 1], got True"),
    ({"max_num_frames_per_episode": 10.5}, "max_num_frames_per_episode must be an integer >= 1, got 10.5"),
    ({"max_num_frames_per_episode": 0}, "max_num_frames_per_episode must be an integer >= 1, got 0"),
    ({"max_num_frames_per_episode": "100"}, "max_num_frames_per_episode must be an integer >= 1, got '100'"),
    ({"frameskip": True}, "frameskip must be an integer >= 1, got True"),
    ({"frameskip": 2.0}, "frameskip must be an integer >= 1, got 2.0"),
    ({"reward_source": ["true"]}, "unknown reward_source ['true']; valid: true, displayed"),
    ({"render_mode": ["human"]}, "unknown render_mode ['human']; valid: rgb_array, human or None"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_ENV_KWARGS)
def test_env_kwargs_are_type_checked_naming_the_argument(kwargs: dict, message: str) -> None:
    pattern = message.replace("[", r"\[").replace("]", r"\]")
    with pytest.raises(ValueError, match=pattern):
        ScoreGamesEnv("Catch", **kwargs)
    if "render_mode" not in kwargs:  # gym.make itself fails on a render_mode that is not a str
        with pytest.raises(ValueError, match=pattern):
            gym.make("ScoreGames/Catch-v1", **kwargs)


def test_env_kwargs_accept_numpy_numbers_and_store_plain_ones() -> None:
    env = ScoreGamesEnv(
        "Catch",
        frameskip=np.int64(2),
        repeat_action_probability=np.float32(0.5),
        max_num_frames_per_episode=np.int32(90),
    )
    assert (env.frameskip, env.repeat_action_probability, env.max_num_frames_per_episode) == (2, 0.5, 90)
    assert type(env.frameskip) is int and type(env.max_num_frames_per_episode) is int


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


def test_lives_and_clone_state_before_reset_say_to_reset_first() -> None:
    env = gym.make("ScoreGames/Breakout-v0").unwrapped
    with pytest.raises(RuntimeError, match=r"call reset\(\) before ale.lives\(\)"):
        env.ale.lives()
    with pytest.raises(RuntimeError, match=r"call reset\(\) before clone_state\(\)"):
        env.clone_state()
    env.reset(seed=0)
    assert env.ale.lives() == 5


def test_restore_state_refuses_another_games_or_a_malformed_snapshot() -> None:
    pong = gym.make("ScoreGames/Pong-v1").unwrapped
    pong.reset(seed=0)
    catch = gym.make("ScoreGames/Catch-v1").unwrapped
    catch.reset(seed=0)
    catch.step(1)
    before = catch.clone_state()
    with pytest.raises(ValueError, match=r"the snapshot holds a PongState, but this env runs Catch \(CatchState\)"):
        catch.restore_state(pong.clone_state())
    fresh = gym.make("ScoreGames/Catch-v1").unwrapped  # never reset: the check still names the game
    with pytest.raises(ValueError, match="this env runs Catch"):
        fresh.restore_state(pong.clone_state())
    for field, value, message in [
        ("hud", None, "hud is a NoneType, not a HudDisplay"),
        ("rngs", [], "rngs must be a list of 3 generator states"),
        ("rngs", [{}, {}, {}], r"rngs\[0\] is not a PCG64 state"),
        ("true_score", 1.5, "true_score is 1.5, not an integer"),
        ("last_action", 7, "last_action 7 is not an action of Catch"),
    ]:
        bad = dataclasses.replace(before, **{field: value})
        with pytest.raises(ValueError, match="restore_state: malformed EnvState .*" + message):
            catch.restore_state(bad)
    hidden = gym.make("ScoreGames/Catch-v1", hud="hidden").unwrapped
    hidden.reset(seed=0)
    with pytest.raises(ValueError, match="snapshot was taken under another HUD"):
        hidden.restore_state(before)  # it would show a score while hud_config says hidden
    assert hidden.hud.config == hidden.hud_config and not hidden.step(2)[4]["hud_visible"]
    # Refused snapshots change nothing: the env goes on from where it was.
    twin = gym.make("ScoreGames/Catch-v1").unwrapped
    twin.reset(seed=0)
    twin.step(1)
    assert np.array_equal(catch.step(2)[0], twin.step(2)[0])


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


@pytest.mark.parametrize("env_id_", ENV_IDS)
def test_steps_after_game_over_change_nothing(env_id_: str) -> None:
    """As ALE: once an episode has terminated, a step gives reward 0, stays terminated and moves
    nothing (frame, score, lives, frame number) until reset; a snapshot keeps that state."""
    env = gym.make(env_id_, repeat_action_probability=0.0)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(5000):
        obs, _, terminated, truncated, info = env.step(int(rng.integers(env.action_space.n)))
        if terminated or truncated:
            break
    assert terminated and not truncated
    snapshot = env.unwrapped.clone_state()
    for action in range(env.action_space.n):
        after, reward, terminated, truncated, after_info = env.step(action)
        assert (reward, terminated, truncated) == (0.0, True, False)
        assert np.array_equal(after, obs)
        for key in ("true_score", "displayed_score", "lives", "episode_frame_number", "tamper_count"):
            assert after_info[key] == info[key], key
    fresh = gym.make(env_id_, repeat_action_probability=0.0)
    fresh.reset(seed=1)
    fresh.unwrapped.restore_state(snapshot)
    assert fresh.step(0)[1:3] == (0.0, True)
    env.reset(seed=0)
    assert not env.step(0)[2]


def test_truncation_mid_step_runs_no_frame_past_the_limit() -> None:
    """As ALE v5: a limit that is not a multiple of frameskip stops the last step at the limit."""
    env = gym.make("ScoreGames/TamperRoom-v0", max_num_frames_per_episode=10, repeat_action_probability=0.0)
    env.reset(seed=0)
    for step in range(1, 4):
        _, _, terminated, truncated, info = env.step(0)
        assert truncated == (step == 3) and not terminated
    assert info["episode_frame_number"] == 10 and env.unwrapped.game_state.tick == 10


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


def test_closing_one_human_env_leaves_another_open_window_working() -> None:
    pygame = pytest.importorskip("pygame")
    a = gym.make("ScoreGames/Catch-v1", render_mode="human")
    b = gym.make("ScoreGames/Catch-v1", render_mode="human")
    a.reset(seed=0)
    b.reset(seed=0)
    a.close()
    assert pygame.display.get_init()
    b.step(0)  # was "video system not initialized"
    assert b.unwrapped._window.screen is not None
    b.close()
    assert not pygame.display.get_init()  # the last window out shuts the display


# A display no frame can show: each one used to crash step/reset with an IndexError in the font.
HUGE_HUDS = [
    {"spoof": "scale", "scale": 1e30},
    {"spoof": "scale", "scale": 1e308},
    {"spoof": "noise", "noise_rate": 1, "noise_step": 10**15},
    {"spoof": "offset", "offset": 10**16},
    {"spoof": "offset", "offset": -(10**16)},
    {"spoof": "decoupled", "decoy_points": 10**20},
    {"tamper": 10**19, "position": "top-right"},
]


@pytest.mark.parametrize("game", ["Catch", "Pong"])
@pytest.mark.parametrize("hud", HUGE_HUDS)
def test_huge_displays_saturate_inside_the_frame(game: str, hud: dict) -> None:
    from scoregames.hud.display import DISPLAY_MAX, DISPLAY_MIN

    env = gym.make(env_id(game), hud=hud, reward_source="displayed", repeat_action_probability=0.0)
    hidden = gym.make(env_id(game), hud={**hud, "visible": False}, repeat_action_probability=0.0)
    obs, info = env.reset(seed=0)
    other, _ = hidden.reset(seed=0)
    unwrapped = env.unwrapped
    total = 0.0
    actions = np.random.default_rng(0).integers(0, env.action_space.n, 60)
    for step, action in enumerate(actions):
        shown = info["displayed_score"]
        assert DISPLAY_MIN <= shown <= DISPLAY_MAX
        x0, y0, x1, y1 = info["hud_bbox"]
        assert 0 <= x0 < x1 <= obs.shape[1] and 0 <= y0 < y1 <= obs.shape[0]
        assert x1 - x0 == text_width(unwrapped.hud.text(shown, unwrapped.game.opponent_score(unwrapped.game_state)))
        outside = np.ones(obs.shape[:2], bool)
        outside[y0:y1, x0:x1] = False
        assert np.array_equal(obs[outside], other[outside])  # invariant 2: only the box differs
        if step % 20 == 0:
            assert read_displayed_score(obs, info["hud_bbox"]) == shown  # the digits are the held value
        obs, reward, terminated, truncated, info = env.step(int(action))
        other, *_ = hidden.step(int(action))
        total += reward
        if terminated or truncated:
            break
    assert total == info["displayed_score"] - env.reset(seed=0)[1]["displayed_score"]  # invariant 5


def test_render_with_a_huge_value_draws_the_saturated_display() -> None:
    from scoregames.hud.display import DISPLAY_MAX, DISPLAY_MIN

    env = gym.make("ScoreGames/Catch-v1").unwrapped
    env.reset(seed=0)
    assert np.array_equal(env.render_with(displayed_score=10**30), env.render_with(displayed_score=DISPLAY_MAX))
    assert np.array_equal(env.render_with(displayed_score=-(10**30)), env.render_with(displayed_score=DISPLAY_MIN))
    assert np.array_equal(env.render_with(displayed_score=np.int64(5)), env.render_with(displayed_score=5))
    for bad in (1.5, "7", True):
        with pytest.raises(ValueError, match="displayed_score must be an integer or None"):
            env.render_with(displayed_score=bad)


def test_huge_displays_batch_in_the_vector_env() -> None:
    envs = gym.make_vec("ScoreGames/Catch-v1", num_envs=2, hud=[{"spoof": "offset", "offset": 10**30}, "standard"])
    _, infos = envs.reset(seed=0)
    _, _, _, _, infos = envs.step(np.array([1, 2]))
    assert infos["displayed_score"].dtype == np.int64
    assert infos["displayed_score"].tolist() == [999_999_999_999, 0]


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
