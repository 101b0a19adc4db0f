"""The HUD layer on its own: spoofs, positions, visibility, presets."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from scoregames.hud import PRESETS, HudConfig, HudDisplay, resolve_hud
from scoregames.render import FRAME_HEIGHT, FRAME_WIDTH, GLYPH_HEIGHT, text_width


def _display(**fields: object) -> HudDisplay:
    hud = HudDisplay(HudConfig(**fields))
    hud.reset(0, np.random.default_rng(0))
    return hud


def test_ten_presets_with_documented_parameters() -> None:
    assert list(PRESETS) == [
        "standard",
        "hidden",
        "moved",
        "random-position",
        "flicker",
        "frozen",
        "offset",
        "noise",
        "decoupled",
        "tamper",
    ]
    assert PRESETS["offset"].offset == 50 and PRESETS["tamper"].tamper == 3
    assert PRESETS["flicker"].visible == 0.5 and PRESETS["moved"].position == "bottom-right"


@pytest.mark.parametrize(
    ("fields", "scores", "expected"),
    [
        ({}, [1, 3, 2], [1, 3, 2]),
        ({"spoof": "offset", "offset": 10}, [1, 3, 2], [11, 13, 12]),
        ({"spoof": "scale", "scale": 2.5}, [1, 3, 2], [2, 8, 5]),
        ({"spoof": "frozen"}, [1, 3, 2], [0, 0, 0]),
        ({"spoof": "delay", "delay": 2}, [1, 3, 2], [0, 0, 1]),
        ({"spoof": "decoupled", "decoy_points": 4}, [1, 3, 2], [4, 8, 12]),
    ],
)
def test_spoofs(fields: dict, scores: list[int], expected: list[int]) -> None:
    hud = _display(**fields)
    assert [hud.update(score, decoy_events=1, tamper_touches=0) for score in scores] == expected


def test_noise_is_a_random_walk_independent_of_the_score() -> None:
    walks = []
    for scores in ([0] * 200, list(range(200))):
        hud = _display(spoof="noise", noise_rate=0.5, noise_step=2)
        walks.append([hud.update(score, 0, 0) for score in scores])
    assert walks[0] == walks[1]
    steps = np.diff([0, *walks[0]])
    assert set(steps) <= {-2, 0, 2} and 60 < np.count_nonzero(steps) < 140


def test_tamper_adds_on_top_of_any_spoof() -> None:
    hud = _display(spoof="offset", offset=5, tamper=3)
    assert hud.update(1, decoy_events=0, tamper_touches=2) == 1 + 5 + 6


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        ("top-left", (2, 1)),
        ("top-right", (FRAME_WIDTH - 2 - text_width("42"), 1)),
        ("bottom-left", (2, FRAME_HEIGHT - 2 - GLYPH_HEIGHT)),
        ("bottom-right", (FRAME_WIDTH - 2 - text_width("42"), FRAME_HEIGHT - 2 - GLYPH_HEIGHT)),
        ("top", ((FRAME_WIDTH - text_width("42")) // 2, 1)),
        ((30, 40), (30, 40)),
        ((500, -9), (FRAME_WIDTH - text_width("42"), 0)),
    ],
)
def test_positions(position: object, expected: tuple[int, int]) -> None:
    hud = _display(position=position)
    x0, y0, x1, y1 = hud.bbox(42)
    assert (x0, y0) == expected and (x1 - x0, y1 - y0) == (text_width("42"), GLYPH_HEIGHT)


def test_random_position_changes_per_episode_and_moving_slides() -> None:
    hud = HudDisplay(HudConfig(position="random"))
    rng = np.random.default_rng(0)
    anchors = set()
    for _ in range(5):
        hud.reset(0, rng)
        anchors.add(hud.bbox(0)[:2])
        hud.update(0, 0, 0)
        assert hud.bbox(0)[:2] in anchors  # fixed within an episode
    assert len(anchors) == 5
    moving = _display(position="moving")
    xs = [moving.bbox(0)[0]] + [(moving.update(0, 0, 0), moving.bbox(0)[0])[1] for _ in range(3)]
    assert xs == [2, 3, 4, 5]


def test_flicker_shows_about_half_the_frames_and_hidden_none() -> None:
    env = gym.make("ScoreGames/Catch-v1", hud="flicker")
    env.reset(seed=0)
    shown = [env.step(0)[4]["hud_visible"] for _ in range(400)]
    assert 150 < sum(shown) < 250
    hidden = gym.make("ScoreGames/Catch-v1", hud="hidden")
    _, info = hidden.reset(seed=0)
    assert not info["hud_visible"]


def test_hidden_hud_draws_nothing() -> None:
    frame = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 3), np.uint8)
    box = _display(visible=False).draw(frame)
    assert not frame.any() and box == (2, 1, 2 + text_width("0"), 1 + GLYPH_HEIGHT)


def test_opponent_score_is_drawn_beside_and_never_spoofed() -> None:
    hud = _display(spoof="offset", offset=10)
    frame = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 3), np.uint8)
    x0, y0, x1, y1 = hud.draw(frame, opponent_score=7)
    assert hud.text(hud.displayed, 7) == "10 7" and x1 - x0 == text_width("10 7")
    assert frame[y0:y1, x0:x1].any() and not frame[:, x1:].any()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"visible": 1.5}, "visible must be a bool or a probability"),
        ({"position": (1, 2, 3)}, r"position must be \(x, y\)"),
        ({"noise_rate": 2.0}, "noise_rate must be in"),
        ({"delay": -1}, "must be >= 0"),
    ],
)
def test_bad_configs_are_rejected(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HudConfig(**fields)
    with pytest.raises(TypeError, match="hud must be a preset name"):
        resolve_hud(3)  # type: ignore[arg-type]
