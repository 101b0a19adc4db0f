"""The six invariants of DESIGN.md, over every game and every HUD preset."""

from __future__ import annotations

import cv2
import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from scoregames.games import GAMES
from scoregames.registration import env_id
from scoregames.render import FRAME_SHAPE, PALETTE, draw_text
from scoregames.render.font import ADVANCE

from .helpers import ENV_IDS, GAME_NAMES, PRESET_NAMES, rollout

STEPS = 250


@pytest.fixture(scope="module")
def standard_runs() -> dict[str, dict]:
    return {game: rollout(game, "standard", STEPS) for game in GAME_NAMES}


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("game", GAME_NAMES)
def test_hud_never_changes_the_game(game: str, preset: str, standard_runs: dict) -> None:
    """Invariant 1: states, true rewards and episode ends identical under every HUD."""
    base, other = standard_runs[game], rollout(game, preset, STEPS)
    assert other["state"] == base["state"]
    assert other["reward"] == base["reward"]
    assert other["terminated"] == base["terminated"]
    assert other["truncated"] == base["truncated"]
    assert [i["true_score"] for i in other["info"]] == [i["true_score"] for i in base["info"]]


def _box_mask(boxes: list[np.ndarray]) -> np.ndarray:
    mask = np.zeros(FRAME_SHAPE[:2], bool)
    for x0, y0, x1, y1 in boxes:
        mask[y0:y1, x0:x1] = True
    return mask


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("game", GAME_NAMES)
def test_frames_differ_only_inside_hud_boxes(game: str, preset: str, standard_runs: dict) -> None:
    """Invariant 2: two HUDs give frames that differ only inside their bboxes (and the tamper box)."""
    base, other = standard_runs[game], rollout(game, preset, STEPS)
    env = gym.make(env_id(game), hud="tamper")
    env.reset(seed=0)
    tamper_box = np.array(env.unwrapped.game.tamper_box(env.unwrapped.game_state))
    differing_frames = 0
    for obs_a, obs_b, info_a, info_b in zip(base["obs"], other["obs"], base["info"], other["info"]):
        changed = np.any(obs_a != obs_b, axis=2)
        allowed = _box_mask([info_a["hud_bbox"], info_b["hud_bbox"], tamper_box])
        assert not np.any(changed & ~allowed)
        differing_frames += bool(changed.any())
    if preset not in ("standard",):
        # Negative control: the condition must actually show on screen somewhere.
        assert differing_frames > 0


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_same_seed_same_frames_different_seed_different_frames(env_id: str) -> None:
    """Invariant 3, with its negative control."""
    game = env_id.split("/")[1].split("-")[0]
    first, again, other = (
        rollout(game, "noise", 120, seed=5),
        rollout(game, "noise", 120, seed=5),
        rollout(game, "noise", 120, seed=6),
    )
    assert all(np.array_equal(a, b) for a, b in zip(first["obs"], again["obs"]))
    assert any(not np.array_equal(a, b) for a, b in zip(first["obs"], other["obs"]))


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_check_env_passes(env_id: str, preset: str) -> None:
    """Invariant 4."""
    env = gym.make(env_id, hud=preset)
    check_env(env.unwrapped, skip_render_check=False)


@pytest.mark.parametrize("preset", PRESET_NAMES)
@pytest.mark.parametrize("game", GAME_NAMES)
def test_displayed_rewards_sum_to_display_change(game: str, preset: str) -> None:
    """Invariant 5: with reward_source='displayed', sum of rewards = last display - first."""
    run = rollout(game, preset, 400, reward_source="displayed", max_num_frames_per_episode=100_000)
    first_display = run["info"][0]["displayed_score"]
    total, episode_start = 0.0, first_display
    infos = run["info"][1:]
    index = 0
    for reward, terminated, truncated in zip(run["reward"], run["terminated"], run["truncated"]):
        info = infos[index]
        total += reward
        assert reward == info["displayed_reward"]
        if terminated or truncated:
            assert total == info["displayed_score"] - episode_start
            index += 1  # skip the reset info
            episode_start = infos[index]["displayed_score"]
            total = 0.0
        index += 1
    last = infos[index - 1]
    assert total == last["displayed_score"] - episode_start


def _agent_view(frame: np.ndarray) -> np.ndarray:
    """CleanRL's pipeline: grayscale, then 84x84 INTER_AREA (Gymnasium's wrappers)."""
    gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, (84, 84), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("x_offset", range(ADVANCE))
def test_every_digit_legible_at_84x84(x_offset: int) -> None:
    """Invariant 6: no two digits map to the same 84x84 grayscale pixels, at any sub-pixel phase."""
    views = []
    for digit in "0123456789-":
        frame = np.zeros(FRAME_SHAPE, np.uint8)
        draw_text(frame, 2 + x_offset, 1 + x_offset, digit, PALETTE["score"])
        views.append(_agent_view(frame))
    for i in range(len(views)):
        for j in range(i + 1, len(views)):
            assert np.abs(views[i].astype(int) - views[j].astype(int)).max() >= 8, (i, j)


def test_every_game_is_registered() -> None:
    assert sorted(GAMES) == sorted(game.split("/")[1].split("-")[0] for game in ENV_IDS)
