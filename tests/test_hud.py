"""The HUD layer on its own: spoofs, positions, visibility, presets."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from scoregames.hud import PRESETS, HudConfig, HudDisplay, resolve_hud
from scoregames.render import FRAME_HEIGHT, FRAME_WIDTH, GLYPH_HEIGHT, PALETTE, draw_text, text_width
from scoregames.render.font import ADVANCE


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
        ({"visible": 1.5}, r"HUD visible must be a bool or a probability in \[0, 1\], got 1.5"),
        ({"visible": "yes"}, "HUD visible must be a bool or a probability in .*, got 'yes'"),
        ({"position": (1, 2, 3)}, r"HUD position must be \(x, y\) integers, got \(1, 2, 3\)"),
        ({"position": (1.5, 2)}, r"HUD position must be \(x, y\) integers, got \(1.5, 2\)"),
        ({"position": 7}, "unknown HUD position 7; valid: top-left, "),
        ({"spoof": ["frozen"]}, r"unknown HUD spoof \['frozen'\]; valid: identity, offset"),
        ({"offset": 2.5}, r"HUD offset must be an integer \(display points added to the score\), got 2.5"),
        ({"offset": True}, "HUD offset must be an integer .*, got True"),
        ({"scale": "2"}, "HUD scale must be a finite number, got '2'"),
        ({"scale": float("nan")}, "HUD scale must be a finite number, got nan"),
        ({"delay": -1}, r"HUD delay must be an integer >= 0 \(steps\), got -1"),
        ({"delay": 1.5}, "HUD delay must be an integer >= 0 .*, got 1.5"),
        ({"noise_rate": 2.0}, r"HUD noise_rate must be a probability in \[0, 1\], got 2.0"),
        ({"noise_step": 0.5}, "HUD noise_step must be an integer >= 0 .*, got 0.5"),
        ({"decoy_points": 1.5}, r"HUD decoy_points must be an integer \(display points per decoy event\), got 1.5"),
        ({"tamper": 2.5}, "HUD tamper must be an integer >= 0 .*, got 2.5"),
        ({"tamper": -3}, "HUD tamper must be an integer >= 0 .*, got -3"),
        ({"tamper_live": "no"}, "HUD tamper_live must be True or False, got 'no'"),
        ({"color": "red"}, "unknown HUD color 'red'; valid: background, wall, score, opponent_score, "),
    ],
)
def test_bad_configs_are_rejected_naming_the_field_value_and_valid_values(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HudConfig(**fields)


@pytest.mark.parametrize(
    "fields",
    [
        {"spoof": "offset", "offset": 2.5},
        {"tamper": 1.5},
        {"spoof": "decoupled", "decoy_points": 0.5},
        {"spoof": "noise", "noise_step": 1.5},
        {"color": "red"},
    ],
)
def test_bad_hud_fails_when_the_env_is_made_not_when_it_draws(fields: dict) -> None:
    """These used to pass construction and die at draw time with a bare KeyError from the font."""
    name = next(iter(fields.keys() - {"spoof"}))
    with pytest.raises(ValueError, match=f"HUD {name} must be|unknown HUD {name}"):
        gym.make("ScoreGames/Catch-v1", hud=fields)


def test_hud_accepts_numpy_numbers_and_stores_plain_ints() -> None:
    config = HudConfig(position=[np.int64(3), 4], offset=np.int64(2), visible=np.float64(0.5), scale=2)
    assert config.position == (3, 4) and type(config.position[0]) is int
    assert config.offset == 2 and type(config.offset) is int
    assert resolve_hud(config.to_dict()) == config


def test_resolve_hud_rejects_other_types() -> None:
    with pytest.raises(TypeError, match="hud must be a preset name"):
        resolve_hud(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spoof", "frozen"),
    [("frozen", True), ("noise", True), ("decoupled", True)]
    + [(spoof, False) for spoof in ("identity", "offset", "scale", "delay")],
)
def test_opponent_number_stays_at_its_first_value_only_under_spoofs_that_do_not_follow_play(
    spoof: str, frozen: bool
) -> None:
    assert HudConfig(spoof=spoof).follows_play is not frozen
    asked = HudDisplay(HudConfig(spoof=spoof), opponent_follows_spoof=True)
    asked.reset(0, np.random.default_rng(0), opponent_score=0)
    assert asked.text(0, 7) == ("0 0" if frozen else "0 7")
    frame = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 3), np.uint8)
    assert asked.draw(frame, opponent_score=7, displayed=0) == asked.bbox(0, 7)
    expected = np.zeros_like(frame)
    draw_text(expected, 2, 1, "0", PALETTE["score"])
    draw_text(expected, 2 + 2 * ADVANCE, 1, "0" if frozen else "7", PALETTE["opponent_score"])
    assert np.array_equal(frame, expected)
    # Without the game asking (Pong-v0), the opponent's number is live under every spoof.
    live = HudDisplay(HudConfig(spoof=spoof))
    live.reset(0, np.random.default_rng(0), opponent_score=0)
    assert live.text(0, 7) == "0 7"


@pytest.mark.parametrize(
    ("fields", "scores"),
    [
        ({"spoof": "offset", "offset": 10**16}, [0, 5]),
        ({"spoof": "offset", "offset": -(10**16)}, [0, 5]),
        ({"spoof": "scale", "scale": 1e30}, [0, 1, 2]),
        ({"spoof": "scale", "scale": -1e308}, [0, 10]),
        ({"spoof": "noise", "noise_rate": 1.0, "noise_step": 10**15}, [0] * 40),
        ({"tamper": 10**18}, [0, 0]),
    ],
)
def test_the_display_saturates_at_what_the_frame_can_show(fields: dict, scores: list[int]) -> None:
    from scoregames.hud.display import DISPLAY_MAX, DISPLAY_MIN

    hud = HudDisplay(HudConfig(**fields))
    values = [hud.reset(scores[0], np.random.default_rng(0))]
    values += [hud.update(score, 0, 1) for score in scores[1:]]
    assert all(DISPLAY_MIN <= value <= DISPLAY_MAX for value in values)
    assert {DISPLAY_MAX, DISPLAY_MIN} & set(values)
    for value in values:
        frame = np.zeros((FRAME_HEIGHT, FRAME_WIDTH, 3), np.uint8)
        x0, y0, x1, y1 = hud.draw(frame, opponent_score=7, displayed=value)
        assert 0 <= x0 < x1 <= FRAME_WIDTH and x1 - x0 == text_width(f"{value} 7")
        ink = frame.any(axis=-1)
        assert ink[y0:y1, x0:x1].any() and not ink.sum() - ink[y0:y1, x0:x1].sum()


def test_the_saturation_bounds_fit_beside_an_opponents_number() -> None:
    from scoregames.hud.display import DISPLAY_MAX, DISPLAY_MIN, OPPONENT_MAX, OPPONENT_MIN, saturate

    assert text_width(f"{DISPLAY_MAX} {OPPONENT_MAX}") <= FRAME_WIDTH
    assert text_width(f"{DISPLAY_MIN} {OPPONENT_MIN}") <= FRAME_WIDTH
    assert saturate(DISPLAY_MAX + 1) == DISPLAY_MAX and saturate(DISPLAY_MIN - 1) == DISPLAY_MIN
    assert np.iinfo(np.int64).max > DISPLAY_MAX  # infos batch into int64 arrays
    hud = _display()
    assert hud.text(10**40, 10**5) == f"{DISPLAY_MAX} {OPPONENT_MAX}"
    assert hud.bbox(10**40, 10**5) == hud.bbox(DISPLAY_MAX, OPPONENT_MAX)


def test_a_narrow_frame_cuts_the_text_and_its_box_at_the_edge() -> None:
    hud = HudDisplay(HudConfig(position="top-right"), frame_height=16, frame_width=20)
    hud.reset(123456, np.random.default_rng(0))
    frame = np.zeros((16, 20, 3), np.uint8)
    x0, y0, x1, y1 = hud.draw(frame)
    assert (x0, x1) == (0, 20)
    full = np.zeros((16, 64, 3), np.uint8)
    draw_text(full, 0, y0, "123456", PALETTE["score"])
    np.testing.assert_array_equal(frame, full[:, :20])


def test_draw_text_cuts_at_every_edge_and_names_a_missing_glyph() -> None:
    frame = np.zeros((8, 8, 3), np.uint8)
    draw_text(frame, -3, -4, "88", PALETTE["score"])  # no wrap-around to the far edges
    full = np.zeros((20, 20, 3), np.uint8)
    draw_text(full, 0, 0, "88", PALETTE["score"])
    np.testing.assert_array_equal(frame, full[4:12, 3:11])
    with pytest.raises(ValueError, match=r"the HUD font has no glyph for '\.' in '1\.5'; it draws: 0123456789-"):
        draw_text(frame, 0, 0, "1.5", PALETTE["score"])


def test_hud_accepts_numpy_bools_and_floats_and_stores_plain_ones() -> None:
    """A numpy bool is no Python bool: ``visible=np.bool_(False)`` and ``tamper_live=np.bool_(True)``
    were refused; numpy floats stayed numpy, so ``to_dict()`` was not JSON-ready."""
    import json

    config = HudConfig(visible=np.bool_(False), tamper=3, tamper_live=np.bool_(True))
    assert config.visible is False and config.tamper_live is True
    floats = HudConfig(visible=np.float32(0.5), scale=np.float32(2.0), noise_rate=np.float32(0.25))
    assert (type(floats.visible), type(floats.scale), type(floats.noise_rate)) == (float, float, float)
    assert resolve_hud(json.loads(json.dumps(floats.to_dict()))) == floats
    env = gym.make("ScoreGames/Catch-v1", hud={"visible": np.bool_(False)})
    assert env.reset(seed=0)[1]["hud_visible"] is False


def test_a_long_delay_keeps_only_the_scores_it_has_seen() -> None:
    """Any delay >= 0 is valid: a reset used to fill the window with delay + 1 copies of the first
    score (a MemoryError for a delay of 10**12, hundreds of MB for 10**8, copied by each snapshot)."""
    hud = HudDisplay(HudConfig(spoof="delay", delay=10**12))
    assert hud.reset(5, np.random.default_rng(0)) == 5
    assert [hud.update(score, 0, 0) for score in (6, 7, 8)] == [5, 5, 5]
    assert len(hud._history) == 4
    short = HudDisplay(HudConfig(spoof="delay", delay=2))
    short.reset(0, np.random.default_rng(0))
    assert [short.update(score, 0, 0) for score in (1, 2, 3, 4)] == [0, 0, 1, 2]
