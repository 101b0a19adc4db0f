"""Human play, recordings, replay and human scores, headless (SDL dummy video driver).

Keys are injected as pygame events into the real event queue, the way a keyboard delivers them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import pytest

import scoregames  # noqa: F401  (registers the envs)
from scoregames import cli
from scoregames.games import GAMES
from scoregames.human_scores import summarise
from scoregames.play import PLAY_EXTRA_HINT, KeyMapper, PlaySession, import_pygame
from scoregames.recording import Recorder, Recording, RecordingError
from scoregames.registration import env_id
from scoregames.replay import replay

pygame = pytest.importorskip("pygame")
EXACT = {"repeat_action_probability": 0.0}  # no sticky actions: one key press, one action
DIRECTION_KEYS = {"w": pygame.K_UP, "s": pygame.K_DOWN, "a": pygame.K_LEFT, "d": pygame.K_RIGHT}


def press(key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))


def release(key: int) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key))


@pytest.fixture
def sessions() -> Iterator[list[PlaySession]]:
    """Sessions made in a test are closed after it, even when it fails."""
    made: list[PlaySession] = []
    yield made
    for session in made:
        session.close()


def start(sessions: list[PlaySession], game: str = "Breakout", **kwargs: Any) -> PlaySession:
    kwargs.setdefault("seed", 0)
    kwargs.setdefault("fps", 0)
    kwargs.setdefault("env_kwargs", EXACT)
    session = PlaySession(game, out=open("/dev/null", "w"), **kwargs)  # noqa: SIM115
    sessions.append(session)
    return session


# ---------------------------------------------------------------- keyboard


@pytest.mark.parametrize("game", list(GAMES))
def test_every_key_combination_of_the_mapping_gives_its_action(sessions: list[PlaySession], game: str) -> None:
    session = start(sessions, game)
    mapping = session.env.unwrapped.get_keys_to_action()
    assert mapping[()] == 0
    for use_arrows in (True, False):
        for keys, action in mapping.items():
            physical = [DIRECTION_KEYS[chr(k)] if use_arrows and chr(k) in DIRECTION_KEYS else k for k in keys]
            for key in physical:
                press(key)
            session.tick()
            assert session.last_action == action, (game, session.action_meanings[action], physical)
            for key in physical:
                release(key)
            session.tick()
            assert session.last_action == 0


def test_arrows_move_the_breakout_paddle_as_the_mapping_says(sessions: list[PlaySession]) -> None:
    session = start(sessions)
    meanings = session.action_meanings
    game_state = session.env.unwrapped.game_state
    x0 = game_state.paddle_x
    press(pygame.K_RIGHT)
    for _ in range(3):
        session.tick()
    assert session.last_action == meanings.index("RIGHT")
    # 3 steps x 4 frames x 3 pixels per frame (PADDLE_SPEED)
    assert game_state.paddle_x == x0 + 36
    release(pygame.K_RIGHT)
    press(pygame.K_a)
    for _ in range(2):
        session.tick()
    assert session.last_action == meanings.index("LEFT")
    assert game_state.paddle_x == x0 + 36 - 24
    release(pygame.K_a)
    session.tick()
    assert game_state.paddle_x == x0 + 12  # no key: NOOP, the paddle stays


def test_fire_with_an_arrow_uses_the_latest_key_when_the_game_has_no_combination() -> None:
    right, fire = ord("d"), ord(" ")
    mapper = KeyMapper({(): 0, (fire,): 1, (right,): 2}, {pygame.K_RIGHT: right})
    mapper.press(pygame.K_RIGHT)
    mapper.press(fire)
    assert mapper.action == 1
    mapper.release(fire)
    assert mapper.action == 2
    # D and the right arrow both held: letting go of one still means RIGHT.
    mapper.press(right)
    mapper.release(pygame.K_RIGHT)
    assert mapper.action == 2
    mapper.release(right)
    assert mapper.action == 0
    assert mapper.press(pygame.K_q) is False  # a key the game has no use for


def test_losing_focus_releases_held_keys(sessions: list[PlaySession]) -> None:
    session = start(sessions)
    press(pygame.K_RIGHT)
    session.tick()
    assert session.last_action == 2
    pygame.event.post(pygame.event.Event(pygame.WINDOWFOCUSLOST))
    session.tick()
    assert session.last_action == 0


# ---------------------------------------------------------------- pause, restart, quit


def test_pause_stops_time_and_resumes(sessions: list[PlaySession]) -> None:
    session = start(sessions, "Catch")
    for _ in range(5):
        session.tick()
    frame_number = session.info["episode_frame_number"]
    game_state = repr(session.env.unwrapped.game_state)
    assert frame_number == 20
    press(pygame.K_p)
    for _ in range(4):
        assert session.tick()
    assert session.paused
    assert session.total_steps == 5
    assert session.info["episode_frame_number"] == frame_number
    assert repr(session.env.unwrapped.game_state) == game_state
    assert "PAUSED" in [line.label for line in session.panel()]
    press(pygame.K_p)
    session.tick()
    assert not session.paused
    assert session.info["episode_frame_number"] == frame_number + 4


def test_restart_starts_a_new_game_with_the_next_seed_and_records_both(
    sessions: list[PlaySession], tmp_path: Path
) -> None:
    session = start(sessions, seed=10, record=tmp_path / "me.npz")
    press(pygame.K_SPACE)
    for _ in range(12):
        session.tick()
    assert session.info["episode_frame_number"] == 48
    release(pygame.K_SPACE)
    press(pygame.K_r)
    session.tick()  # R is handled, then one step of the new game
    assert (session.episode, session.seed, session.steps) == (1, 11, 1)
    assert session.info["episode_frame_number"] == 4
    assert session.info["lives"] == 5
    session.close()
    recording = Recording.load(tmp_path / "me.npz")
    assert [(e.seed, e.steps, e.end) for e in recording.episodes] == [(10, 12, "restart"), (11, 1, "quit")]


@pytest.mark.parametrize("how", ["window close", "Esc"])
def test_closing_the_window_ends_the_loop_cleanly_and_saves(
    sessions: list[PlaySession], tmp_path: Path, how: str
) -> None:
    session = start(sessions, "Pong", record=tmp_path / "me.npz")
    for _ in range(3):
        session.tick()
    if how == "Esc":
        press(pygame.K_ESCAPE)
    else:
        pygame.event.post(pygame.event.Event(pygame.QUIT))
    assert session.run() == 0
    assert session.total_steps == 3
    assert not pygame.display.get_init()  # the window is gone
    assert [(e.steps, e.end) for e in Recording.load(tmp_path / "me.npz").episodes] == [(3, "quit")]


# ---------------------------------------------------------------- the window


def test_window_shows_the_agents_exact_frame_scaled_nearest_and_a_panel(sessions: list[PlaySession]) -> None:
    session = start(sessions, hud="offset", zoom=3)
    session.tick()
    pixels = session.window.pixels()
    frame = session.observation
    height, width = frame.shape[:2]
    scaled = frame.repeat(3, axis=0).repeat(3, axis=1)
    np.testing.assert_array_equal(pixels[: height * 3, : width * 3], scaled)
    panel = pixels[:, width * 3 :]
    assert panel.shape[1] == session.window.panel_width
    # the offset display lies by +50: its line is drawn in the panel's red
    assert [line.value for line in session.panel()[2:4]] == ["0", "50"]
    assert session.panel()[4].label == "display lies by +50"
    assert np.any(np.all(panel == (255, 90, 80), axis=-1))


def test_env_render_mode_human_opens_the_same_window_and_survives_its_closing() -> None:
    env = gym.make(env_id("Catch"), render_mode="human")
    env.reset(seed=0)
    window = env.unwrapped._window
    assert window is not None and window.screen is not None
    assert window.screen.get_size() == (128 * window.zoom + window.panel_width, 128 * window.zoom)
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    env.step(0)
    assert window.closed and window.screen is None
    env.step(0)  # stepping on after the window was closed is fine
    env.close()


# ---------------------------------------------------------------- command line, headless


def test_max_steps_headless_runs_n_noop_steps_and_exits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "noop.npz"
    assert cli.main(["play", "catch", "--max-steps", "25", "--fps", "0", "--seed", "4", "--record", str(path)]) == 0
    recording = Recording.load(path)
    assert recording.env_id == "ScoreGames/Catch-v1" and recording.seed == 4
    assert recording.env_kwargs == {"hud": "standard"}
    assert [e.actions for e in recording.episodes] == [[0] * 25]
    assert "recorded 1 game(s), 25 steps" in capsys.readouterr().out


def test_max_steps_plays_on_across_game_overs(sessions: list[PlaySession]) -> None:
    session = start(sessions, "Catch", max_steps=400, env_kwargs={"drops": 2})
    session.run()
    assert session.total_steps == 400
    assert session.episode >= 2
    assert all(end == "terminated" for _, _, end in session.game_results[:-1])


def test_python_m_scoregames_play_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scoregames.play", "Pong", "--max-steps", "3", "--fps", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"SDL_VIDEODRIVER": "dummy", "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "game 1: true score 0" in result.stdout


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["play", "Tetris"], f"unknown game 'Tetris'; valid: {', '.join(GAMES)}"),
        (["play", "Catch", "--hud", "sideways"], "unknown HUD preset 'sideways'; valid: standard, hidden"),
        (["play", "Catch", "--game-arg", "speed=3"], "valid game arguments: spawn, drops, decoy_prob"),
        (["play", "Catch", "--zoom", "0"], "zoom must be an integer from 1 to 16, got 0"),
        (["play", "Catch", "--zoom", "1000"], "zoom must be an integer from 1 to 16, got 1000"),
        (["play", "Catch", "--game-arg", "hud=hidden"], "--game-arg hud=hidden: the HUD is set with --hud"),
        (["play", "Catch", "--game-arg", "repeat_action_probability=0"], "set with --sticky (--sticky 0)"),
        (["play", "Catch", "--game-arg", "drops=abc"], "--game-arg drops=abc: Catch's drops takes an integer"),
        (["play", "Catch", "--game-arg", "frameskip=2.5"], "frameskip=2.5: the env's frameskip takes an integer"),
    ],
)
def test_bad_input_names_what_is_valid(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([*argv, "--max-steps", "0"]) == 2
    assert message in capsys.readouterr().err


def test_text_game_args_keep_the_text_and_number_args_are_typed() -> None:
    from scoregames.play import check_game_args

    assert check_game_args("catch", ["drops=3", "decoy_prob=0", "spawn=left"]) == {
        "drops": 3,
        "decoy_prob": 0,
        "spawn": "left",
    }
    assert check_game_args("Catch", ["star=1"]) == {"star": "1"}  # text, as typed
    with pytest.raises(ValueError, match=r"Catch's decoy_prob takes a number \(default 0.5\)"):
        check_game_args("Catch", ["decoy_prob=high"])


def test_replay_zoom_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scripted_recording("Catch", "standard", [1, 2]).save(tmp_path / "r.npz")
    assert cli.main(["replay", str(path), "--video", str(tmp_path / "big.gif"), "--zoom", "1000"]) == 2
    assert "zoom must be an integer from 1 to 16" in capsys.readouterr().err
    assert not (tmp_path / "big.gif").exists()


def test_replay_refuses_a_negative_fps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scripted_recording("Catch", "standard", [1, 2]).save(tmp_path / "r.npz")
    assert cli.main(["replay", str(path), "--video", str(tmp_path / "clip.gif"), "--fps", "-3"]) == 2
    assert "--fps must be >= 0 (0 = as fast as possible), got -3" in capsys.readouterr().err
    assert not (tmp_path / "clip.gif").exists()


def test_replay_of_frames_of_another_size_is_a_mismatched_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = scripted_recording("Catch", "standard", [1, 2])
    recording.episodes[0].frames = [np.zeros((64, 64, 3), np.uint8)] * 3
    path = recording.save(tmp_path / "r.npz")
    assert cli.main(["replay", str(path)]) == 2
    assert "the recording's frames are 64x64x3, the env's 128x128x3" in capsys.readouterr().err


def test_record_refuses_an_existing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "mine.npz"
    path.write_bytes(b"the user's own file")
    assert cli.main(["play", "Catch", "--max-steps", "3", "--fps", "0", "--record", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert path.read_bytes() == b"the user's own file"


def test_record_refuses_a_dangling_link_before_the_game_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Saving through a link to a missing file fails ("x" mode), so a session recorded there
    would be played to the end and then lost: the link is refused up front like a file."""
    link = tmp_path / "mine.npz"
    link.symlink_to(tmp_path / "missing.npz")
    assert cli.main(["play", "Catch", "--max-steps", "3", "--fps", "0", "--record", str(link)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert link.is_symlink() and not (tmp_path / "missing.npz").exists()
    from scoregames.recording import free_path

    assert free_path(link) == tmp_path / "mine-1.npz"


def test_a_file_appearing_during_play_is_not_overwritten(sessions: list[PlaySession], tmp_path: Path) -> None:
    path = tmp_path / "me.npz"
    session = start(sessions, "Catch", record=path, max_steps=5)
    path.write_bytes(b"appeared meanwhile")
    session.run()
    assert path.read_bytes() == b"appeared meanwhile"
    assert session.saved_to == tmp_path / "me-1.npz"
    assert Recording.load(session.saved_to).episodes[0].steps == 5


def test_missing_pygame_gives_the_message_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "pygame", None)  # makes `import pygame` raise ImportError
    with pytest.raises(ImportError, match=r"pip install 'scoregames\[play\]'"):
        import_pygame()
    assert cli.main(["play", "Catch"]) == 2
    assert PLAY_EXTRA_HINT in capsys.readouterr().err


def test_no_display_is_refused_clearly_not_played_in_an_invisible_window(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Without a display SDL picks its "offscreen" driver by itself: the game ran, unseen, forever.
    monkeypatch.delenv("SDL_VIDEODRIVER")
    monkeypatch.setattr(pygame.display, "init", lambda: None)
    monkeypatch.setattr(pygame.display, "get_driver", lambda: "offscreen")
    assert cli.main(["play", "Catch", "--record", str(tmp_path / "me.npz")]) == 2
    err = capsys.readouterr().err
    assert "no display to open a window on (SDL fell back to its 'offscreen' video driver)" in err
    assert "set SDL_VIDEODRIVER=dummy" in err
    path = scripted_recording("Catch", "standard", [1, 2]).save(tmp_path / "r.npz")
    assert cli.main(["replay", str(path), "--show", "--video", str(tmp_path / "clip.gif")]) == 2
    assert "no display to open a window on" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.npz"]  # no recording, no video


def test_a_video_driver_that_cannot_start_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail() -> None:
        raise pygame.error("x11 not available")

    monkeypatch.setattr(pygame.display, "init", fail)
    assert cli.main(["play", "Catch"]) == 2  # was a traceback
    assert "cannot open a window (x11 not available); run it on a machine with a display" in capsys.readouterr().err


# ---------------------------------------------------------------- recording and replay


def play_some(session: PlaySession, steps: int, seed: int = 0) -> None:
    """A player who changes keys every few steps (FIRE, arrows, WASD, combinations)."""
    rng = np.random.default_rng(seed)
    keys = [pygame.K_SPACE, pygame.K_LEFT, pygame.K_RIGHT, pygame.K_a, pygame.K_d, pygame.K_UP, pygame.K_s]
    held: list[int] = []
    for step in range(steps):
        if step % 5 == 0:
            for key in held:
                release(key)
            held = list(rng.choice(keys, size=int(rng.integers(0, 3)), replace=False))
            for key in held:
                press(int(key))
        session.tick()


@pytest.mark.parametrize(("game", "hud"), [("Breakout", "decoupled"), ("Pong", "tamper"), ("Catch", "noise")])
def test_a_recorded_session_replays_to_the_same_true_and_displayed_scores(
    sessions: list[PlaySession], tmp_path: Path, game: str, hud: str
) -> None:
    path = tmp_path / "me.npz"
    # Default sticky actions (0.25): replay reproduces them from the env's own seeded stream.
    session = start(sessions, game, hud=hud, record=path, record_frames=True, env_kwargs={}, seed=5)
    play_some(session, 150)
    press(pygame.K_r)
    play_some(session, 60, seed=1)
    session.close()
    recording = Recording.load(path)
    assert recording.hud_preset == hud and recording.has_frames
    assert [e.steps for e in recording.episodes] == [150, 60]
    assert len({a for e in recording.episodes for a in e.actions}) == len(recording.action_meanings)
    results = replay(recording)
    assert [r.mismatch for r in results] == [None, None]
    assert [r.replayed for r in results] == [(e.true_score, e.displayed_score) for e in recording.episodes]
    assert [r.recorded for r in results] == [tuple(f[:2]) for f in session.game_results]
    assert all(r.reproduced for r in results)


def test_replay_reports_the_first_step_that_differs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recording = scripted_recording("Breakout", "decoupled", [1, 2, 2, 3, 0] * 30, end="quit")
    episode = recording.episodes[0]
    episode.displayed_scores = [v + (10 if i >= 40 else 0) for i, v in enumerate(episode.displayed_scores)]
    path = recording.save(tmp_path / "edited.npz")
    assert replay(Recording.load(path))[0].mismatch == "step 41: recorded displayed score " + str(
        episode.displayed_scores[40]
    ) + ", replay gives " + str(episode.displayed_scores[40] - 10)
    assert cli.main(["replay", str(path)]) == 1
    assert "NOT REPRODUCED: step 41" in capsys.readouterr().out


def test_replay_exports_gif_and_mp4(tmp_path: Path) -> None:
    from PIL import Image

    recording = scripted_recording("Catch", "standard", [1, 1, 2, 0, 2] * 2)
    path = recording.save(tmp_path / "clip.npz")
    assert cli.main(["replay", str(path), "--video", str(tmp_path / "clip.gif"), "--zoom", "2"]) == 0
    with Image.open(tmp_path / "clip.gif") as gif:
        assert gif.size == (256, 256)
        assert gif.n_frames >= 2  # Pillow merges identical consecutive frames
    assert cli.main(["replay", str(path), "--video", str(tmp_path / "clip.mp4")]) == 0
    import cv2

    video = cv2.VideoCapture(str(tmp_path / "clip.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 11  # reset frame + 10 steps
    video.release()
    assert cli.main(["replay", str(path), "--video", str(tmp_path / "clip.gif")]) == 2  # never overwrites


def test_replay_show_runs_in_the_window(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = scripted_recording("Pong", "moved", [1, 2] * 10).save(tmp_path / "r.npz")
    assert cli.main(["replay", str(path), "--show", "--fps", "0"]) == 0
    assert "reproduced" in capsys.readouterr().out


def write_npz(path: Path, **arrays: Any) -> Path:
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    return path


def corrupt_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    good = scripted_recording("Catch", "standard", [1, 2, 0]).save(tmp_path / "good.npz")
    with np.load(good) as archive:
        arrays = dict(archive)
    metadata = json.loads(str(arrays["metadata"]))
    other_game = dict(metadata, env_id="ScoreGames/Tetris-v0")
    other_actions = dict(metadata, action_meanings=["NOOP", "UP", "DOWN"])
    (tmp_path / "text.npz").write_text("not an archive")
    return {
        "not an archive": (tmp_path / "text.npz", "not a scoregames recording (not an .npz archive)"),
        "no metadata": (write_npz(tmp_path / "plain.npz", x=np.zeros(3)), "no 'metadata' entry"),
        "short arrays": (
            write_npz(tmp_path / "short.npz", **dict(arrays, actions=arrays["actions"][:2])),
            "'actions' has shape (2,), the episodes declare 3 steps",
        ),
        "bad action": (
            write_npz(tmp_path / "action.npz", **dict(arrays, actions=np.array([1, 7, 0], np.int16))),
            "actions outside 0..2",
        ),
        "unknown game": (
            write_npz(tmp_path / "tetris.npz", **dict(arrays, metadata=np.array(json.dumps(other_game)))),
            "ScoreGames/Tetris-v0, which this scoregames does not have; valid: ScoreGames/Catch-v0, ScoreGames/Catch-v1,",
        ),
        "other actions": (
            write_npz(tmp_path / "actions.npz", **dict(arrays, metadata=np.array(json.dumps(other_actions)))),
            "differ from ScoreGames/Catch-v1's ['NOOP', 'RIGHT', 'LEFT']",
        ),
    }


@pytest.mark.parametrize(
    "case", ["not an archive", "no metadata", "short arrays", "bad action", "unknown game", "other actions"]
)
def test_corrupt_or_mismatched_recordings_give_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path, message = corrupt_files(tmp_path)[case]
    assert cli.main(["replay", str(path)]) == 2
    assert message in capsys.readouterr().err


def edited(path: Path, target: Path, episode: dict[str, Any] | None = None, **arrays: Any) -> Path:
    """A copy of the recording at ``path`` with metadata of episode 0 or arrays replaced."""
    with np.load(path) as archive:
        contents = dict(archive)
    metadata = json.loads(str(contents["metadata"]))
    metadata["episodes"][0].update(episode or {})
    return write_npz(target, **dict(contents, metadata=np.array(json.dumps(metadata)), **arrays))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"episode": {"seed": -5}}, "episode 0 'seed' is -5; it must be an integer >= 0"),
        ({"episode": {"seed": 1.5}}, "episode 0 'seed' is 1.5; it must be an integer"),
        ({"episode": {"lives": "3"}}, "episode 0 'lives' is '3'; it must be an integer"),
        ({"actions": np.array([1.7, 2.2, 0.0])}, "'actions' must hold integers, it holds float64 (e.g. 1.7)"),
        ({"true_scores": np.array([0.0, 0.5, 0.0])}, "'true_scores' must hold integers"),
        ({"true_rewards": np.array([0.0, np.nan, 0.0])}, "'true_rewards' must hold finite numbers"),
    ],
)
def test_recording_metadata_and_arrays_are_validated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], message: str
) -> None:
    good = scripted_recording("Catch", "standard", [1, 2, 0]).save(tmp_path / "good.npz")
    path = edited(good, tmp_path / "bad.npz", **change)
    with pytest.raises(RecordingError, match=re.escape(message)):
        Recording.load(path)
    assert cli.main(["replay", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_integer_valued_float_actions_load_exactly(tmp_path: Path) -> None:
    good = scripted_recording("Catch", "standard", [1, 2, 0]).save(tmp_path / "good.npz")
    path = edited(good, tmp_path / "floats.npz", actions=np.array([1.0, 2.0, 0.0]))
    assert Recording.load(path).episodes[0].actions == [1, 2, 0]
    assert all(result.reproduced for result in replay(Recording.load(path)))


def test_replay_of_a_folder_says_it_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", str(tmp_path)]) == 2
    assert f"{tmp_path} is a folder, not a recording; give one .npz file" in capsys.readouterr().err


# ---------------------------------------------------------------- human scores


def scripted_recording(game: str, hud: str, actions: list[int], end: str = "quit", **kwargs: Any) -> Recording:
    """A recording made the way `play` makes one, from fixed actions (no window)."""
    env = gym.make(env_id(game), hud=hud, **kwargs)
    recorder = Recorder(env_id(game), {"hud": hud, **kwargs}, env.unwrapped.get_action_meanings(), 3, hud_preset=hud)
    observation, info = env.reset(seed=3)
    recorder.start_episode(3, info, observation)
    for action in actions:
        observation, _, terminated, truncated, info = env.step(action)
        recorder.record_step(action, info, observation)
        if terminated or truncated:
            break
    recorder.end_episode("terminated" if terminated else end)
    env.close()
    return recorder.recording


def finished_catch(drops: int, actions: int, hud: str = "standard") -> Recording:
    recording = scripted_recording("Catch", hud, [actions] * 2000, drops=drops, repeat_action_probability=0.0)
    assert recording.episodes[0].end == "terminated"
    return recording


def test_human_scores_mean_median_and_n_per_game_and_preset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = [finished_catch(3, action) for action in (0, 1, 2)] + [finished_catch(3, 0, "offset")]
    scores = [r.episodes[0].true_score for r in runs]
    unfinished = scripted_recording("Catch", "standard", [1] * 30, drops=3, repeat_action_probability=0.0)
    for number, recording in enumerate([*runs, unfinished]):
        recording.player = f"p{number % 2}"
        recording.save(tmp_path / f"{number}.npz")
    (tmp_path / "notes.npz").write_text("junk")

    rows = summarise([Recording.load(p, steps=False) for p in sorted(tmp_path.glob("[0-9].npz"))])
    assert [(row.hud, row.settings, row.games, row.players) for row in rows] == [
        ("offset", "drops=3 repeat_action_probability=0.0", 1, 1),
        ("standard", "drops=3 repeat_action_probability=0.0", 3, 2),
    ]
    standard = rows[1]
    assert standard.true_mean == pytest.approx(np.mean(scores[:3]))
    assert standard.true_median == np.median(scores[:3])
    assert (standard.true_min, standard.true_max) == (min(scores[:3]), max(scores[:3]))
    assert rows[0].displayed_mean == scores[3] + 50

    assert cli.main(["human-scores", str(tmp_path), "--format", "json", "--verify"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "notes.npz" in captured.err
    assert [row["games"] for row in json.loads(captured.out)] == [1, 3]
    assert cli.main(["human-scores", str(tmp_path), "--all", "--format", "json"]) == 0
    assert [row["games"] for row in json.loads(capsys.readouterr().out)] == [1, 4]


def test_human_scores_verify_skips_a_bad_recording_and_summarises_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = finished_catch(2, 0).save(tmp_path / "good.npz")
    edited(good, tmp_path / "negative-seed.npz", episode={"seed": -5})
    assert cli.main(["human-scores", str(tmp_path), "--verify", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert "skipped" in captured.err and "negative-seed.npz" in captured.err and "'seed' is -5" in captured.err
    assert [row["games"] for row in json.loads(captured.out)] == [1]


def test_human_scores_verify_skips_a_file_the_env_cannot_replay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    finished_catch(2, 0).save(tmp_path / "a.npz")
    finished_catch(2, 1).save(tmp_path / "b.npz")
    import scoregames.replay as replay_module

    real = replay_module.replay

    def breaks_on_b(recording: Recording, *args: Any, **kwargs: Any) -> Any:
        if recording.episodes[0].actions[0] == 1:
            raise gym.error.Error("the env refused")
        return real(recording, *args, **kwargs)

    monkeypatch.setattr(replay_module, "replay", breaks_on_b)
    assert cli.main(["human-scores", str(tmp_path), "--verify", "--format", "json"]) == 0
    captured = capsys.readouterr()
    assert f"skipped {tmp_path / 'b.npz'}: cannot replay it: Error: the env refused" in captured.err
    assert [row["games"] for row in json.loads(captured.out)] == [1]


def test_human_scores_with_nothing_finished_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripted_recording("Catch", "standard", [1] * 5).save(tmp_path / "a.npz")
    assert cli.main(["human-scores", str(tmp_path)]) == 1
    assert "no finished games" in capsys.readouterr().err
    assert cli.main(["human-scores", str(tmp_path / "missing")]) == 2


def test_recording_load_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no such recording file"):
        Recording.load(tmp_path / "nope.npz")


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_a_video_never_overwrites_a_file_that_appears_while_it_is_written(tmp_path: Path, suffix: str) -> None:
    from scoregames.replay import VideoWriter

    target = tmp_path / f"clip{suffix}"
    video = VideoWriter(target, fps=15, zoom=1)
    for value in range(3):
        video.write(np.full((128, 128, 3), 40 * value, np.uint8))
    target.write_text("the user's file")  # appears during the replay
    video.close()
    assert target.read_text() == "the user's file"
    assert video.path == tmp_path / f"clip-1{suffix}" and video.path.stat().st_size > 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [f"clip-1{suffix}", f"clip{suffix}"]
