"""``scoregames replay FILE``: re-run a recording, check it reproduces its scores, show or export it.

Each episode is reset with its recorded seed and stepped with its recorded actions in an env
made with the recorded id and keyword arguments. Every step's true and displayed reward and
score (and frame, when the recording has frames) must match what was recorded; the first
difference is reported. Exit status: 0 all reproduced, 1 a difference, 2 an unusable file.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scoregames.recording import Episode, Recording, RecordingError, free_path

VIDEO_SUFFIXES = (".gif", ".mp4", ".avi")
# (what the recording calls it, its per-step list on Episode, the info key)
CHECKED = (
    ("true reward", "true_rewards", "true_reward"),
    ("displayed reward", "displayed_rewards", "displayed_reward"),
    ("true score", "true_scores", "true_score"),
    ("displayed score", "displayed_scores", "displayed_score"),
)

# Called with (observation, info, step number) after the reset (step 0) and after every step;
# returning False stops the replay.
FrameCallback = Callable[[np.ndarray, dict[str, Any], int], bool]


@dataclass
class EpisodeReplay:
    """How one episode's replay went."""

    index: int
    seed: int
    steps: int  # steps replayed
    recorded_steps: int
    end: str
    recorded: tuple[int, int]  # final (true, displayed) in the recording
    replayed: tuple[int, int]  # final (true, displayed) of the replay
    mismatch: str | None = None
    stopped: bool = False  # the viewer stopped it before the end

    @property
    def reproduced(self) -> bool:
        return self.mismatch is None and not self.stopped and self.replayed == self.recorded


def make_env(recording: Recording) -> Any:
    """The env the recording was made in; a clear error when this scoregames cannot make it."""
    import gymnasium as gym

    import scoregames  # noqa: F401  (registers the envs)
    from scoregames.registration import ALL_ENV_IDS

    if recording.env_id not in gym.registry:
        raise RecordingError(
            f"the recording was made in {recording.env_id}, which this scoregames does not have; "
            f"valid: {', '.join(ALL_ENV_IDS)}"
        )
    try:
        env = gym.make(recording.env_id, disable_env_checker=True, **recording.env_kwargs)
    except (TypeError, ValueError) as error:
        raise RecordingError(f"the recording's env arguments {recording.env_kwargs} are not valid: {error}") from None
    unwrapped: Any = env.unwrapped
    meanings = unwrapped.get_action_meanings()
    if list(meanings) != list(recording.action_meanings):
        env.close()
        raise RecordingError(
            f"the recording's actions {recording.action_meanings} differ from {recording.env_id}'s {meanings}"
        )
    return env


def replay_episode(env: Any, episode: Episode, index: int = 0, on_frame: FrameCallback | None = None) -> EpisodeReplay:
    """Re-run one episode in ``env`` and compare it step by step with the recording."""
    observation, info = env.reset(seed=episode.seed)
    result = EpisodeReplay(
        index=index,
        seed=episode.seed,
        steps=0,
        recorded_steps=episode.steps,
        end=episode.end,
        recorded=(episode.true_score, episode.displayed_score),
        replayed=(int(info["true_score"]), int(info["displayed_score"])),
    )
    start = (int(info["true_score"]), int(info["displayed_score"]))
    if start != (episode.start_true_score, episode.start_displayed_score):
        result.mismatch = (
            f"at reset: recorded scores (true, displayed) {(episode.start_true_score, episode.start_displayed_score)}, "
            f"replay gives {start}"
        )
        return result
    result.mismatch = _frame_mismatch(episode, 0, observation)
    if result.mismatch:
        return result
    if on_frame is not None and on_frame(observation, info, 0) is False:
        result.stopped = True
        return result
    ended = False
    for step, action in enumerate(episode.actions):
        if ended:
            result.mismatch = (
                f"the replayed game ended after step {step}; the recording goes on to step {episode.steps}"
            )
            return result
        observation, _, terminated, truncated, info = env.step(action)
        ended = terminated or truncated
        result.steps = step + 1
        result.replayed = (int(info["true_score"]), int(info["displayed_score"]))
        for name, attribute, key in CHECKED:
            recorded_value = getattr(episode, attribute)[step]
            if recorded_value != info[key]:
                result.mismatch = f"step {step + 1}: recorded {name} {recorded_value}, replay gives {info[key]}"
                return result
        result.mismatch = _frame_mismatch(episode, step + 1, observation)
        if result.mismatch:
            return result
        if on_frame is not None and on_frame(observation, info, step + 1) is False:
            result.stopped = True
            return result
    if episode.finished and not ended:
        result.mismatch = f"the recording's game ended ({episode.end}) at step {episode.steps}; the replay's did not"
    return result


def _frame_mismatch(episode: Episode, row: int, observation: np.ndarray) -> str | None:
    if episode.frames is None:
        return None
    if episode.frames[row].shape != observation.shape:
        raise RecordingError(
            f"the recording's frames are {'x'.join(map(str, episode.frames[row].shape))}, the env's "
            f"{'x'.join(map(str, observation.shape))}: the frames were not recorded in this env"
        )
    differing = int(np.any(episode.frames[row] != observation, axis=-1).sum())
    if differing:
        where = "reset" if row == 0 else f"step {row}"
        return f"{where}: the frame differs from the recorded frame in {differing} pixels"
    return None


class VideoWriter:
    """Writes frames, scaled up nearest-neighbour, to a GIF (Pillow) or an MP4/AVI (OpenCV).

    MP4/AVI frames are written as they come; a GIF keeps them in memory until :meth:`close`
    (fine for clips; use .mp4 for long sessions).
    """

    def __init__(self, path: Path, fps: int, zoom: int = 4):
        if path.suffix.lower() not in VIDEO_SUFFIXES:
            raise ValueError(f"unknown video type {path.suffix!r}; valid: {', '.join(VIDEO_SUFFIXES)}")
        if os.path.lexists(path):  # a dangling link too
            raise FileExistsError(f"{path} already exists; scoregames never overwrites a file: choose another name")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot write {path}: folder {path.parent} does not exist")
        self.path, self.fps, self.zoom = path, max(1, int(fps)), zoom
        # Written beside it under a hidden name and linked into place at the end, so a file that
        # appears at ``path`` meanwhile is never overwritten (the video then goes beside it).
        self._partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
        self.count = 0
        self._gif: list[Any] = []
        self._writer: Any = None
        if path.suffix.lower() == ".gif":
            try:
                from PIL import Image
            except ImportError:
                raise ImportError("GIF export needs Pillow (pip install pillow); or export .mp4") from None
            self._image = Image

    def write(self, frame: np.ndarray) -> None:
        big = frame.repeat(self.zoom, axis=0).repeat(self.zoom, axis=1)
        self.count += 1
        if self.path.suffix.lower() == ".gif":
            self._gif.append(self._image.fromarray(big))
            return
        import cv2

        if self._writer is None:
            fourcc = cv2.VideoWriter_fourcc(*("mp4v" if self.path.suffix.lower() == ".mp4" else "MJPG"))  # type: ignore[attr-defined]
            self._writer = cv2.VideoWriter(str(self._partial), fourcc, float(self.fps), (big.shape[1], big.shape[0]))
            if not self._writer.isOpened():
                raise OSError(f"OpenCV cannot write {self.path}")
        self._writer.write(np.ascontiguousarray(big[..., ::-1]))  # OpenCV wants BGR

    def close(self) -> None:
        """Finish the video at :attr:`path` (a free name beside it if a file appeared there)."""
        written = self._writer is not None or bool(self._gif)
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._gif:
            first, *rest = self._gif
            # GIF delays are in centiseconds: round to the nearest 10 ms.
            duration = 10 * round(100 / self.fps)
            first.save(self._partial, format="GIF", save_all=True, append_images=rest, duration=duration, loop=0)
            self._gif = []
        if not written:
            return
        try:
            while True:
                try:
                    os.link(self._partial, self.path)
                    break
                except FileExistsError:
                    self.path = free_path(self.path)
        finally:
            self._partial.unlink(missing_ok=True)


class ReplayViewer:
    """Shows a replay in a :class:`~scoregames.play.GameWindow`: P pauses, Esc stops."""

    def __init__(self, recording: Recording, zoom: int, fps: int):
        from scoregames.play import PANEL_WIDTH, GameWindow, import_pygame, init_display

        self.pygame = import_pygame()
        init_display(self.pygame)  # no display: refused before the replay starts
        self.recording = recording
        self.window = GameWindow(
            title=f"scoregames replay: {recording.game} (HUD {recording.hud_preset})",
            zoom=zoom,
            fps=fps,
            panel_width=PANEL_WIDTH,
        )
        self.episode: Episode | None = None
        self.env: Any = None
        self.index = 0

    def __call__(self, observation: np.ndarray, info: dict[str, Any], step: int) -> bool:
        from scoregames.play import ALERT, DIM, TITLE, PanelLine, faithful_score, score_lines

        pygame, window = self.pygame, self.window
        paused = False
        while True:
            for event in window.poll():
                if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
                    window.closed = True
                elif event.type == pygame.KEYDOWN and event.key == pygame.K_p:
                    paused = not paused
            if window.closed:
                return False
            episode = self.episode
            assert episode is not None
            panel = [
                PanelLine(self.recording.game, f"HUD {self.recording.hud_preset}", TITLE),
                PanelLine("REPLAY", f"game {self.index + 1}/{len(self.recording.episodes)}", ALERT),
                PanelLine(""),
                *score_lines(info, faithful_score(self.env)),
                PanelLine("LIVES", str(info.get("lives", 0))),
                PanelLine("step", f"{step}/{episode.steps}", DIM),
                PanelLine("recorded final", f"{episode.true_score} / {episode.displayed_score}", DIM),
                PanelLine("PAUSED" if paused else "", "P: resume" if paused else "", ALERT),
                PanelLine("P pause", "Esc stop", DIM),
            ]
            window.show(observation, panel, idle=paused)
            if not paused:
                return True

    def close(self) -> None:
        self.window.close()


def replay(
    recording: Recording,
    episodes: Sequence[int] | None = None,
    on_frame: FrameCallback | None = None,
    on_episode: Callable[[int, Episode, Any], None] | None = None,
) -> list[EpisodeReplay]:
    """Replay ``episodes`` (all by default) of a loaded recording; one result per episode."""
    indices = list(range(len(recording.episodes))) if episodes is None else list(episodes)
    for index in indices:
        if not 0 <= index < len(recording.episodes):
            raise ValueError(f"no game {index + 1}; the recording has games 1..{len(recording.episodes)}")
    env = make_env(recording)
    results = []
    try:
        for index in indices:
            episode = recording.episodes[index]
            if on_episode is not None:
                on_episode(index, episode, env)
            result = replay_episode(env, episode, index, on_frame)
            results.append(result)
            if result.stopped:
                break
    finally:
        env.close()
    return results


def describe(result: EpisodeReplay) -> str:
    true_score, displayed = result.recorded
    head = f"game {result.index + 1} (seed {result.seed}, {result.recorded_steps} steps, {result.end}): "
    if result.mismatch:
        return head + f"NOT REPRODUCED: {result.mismatch}"
    if result.stopped:
        return head + f"stopped at step {result.steps}"
    return head + f"true score {true_score}, displayed {displayed}: reproduced"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="a recording made with `scoregames play --record`")
    parser.add_argument(
        "--game",
        type=int,
        action="append",
        default=None,
        metavar="N",
        help="replay only game N (1, 2, ...; repeatable)",
    )
    parser.add_argument("--show", action="store_true", help="show the replay in a window (P pause, Esc stop)")
    parser.add_argument("--video", metavar="OUT", default=None, help="export the replay to OUT (.gif, .mp4 or .avi)")
    parser.add_argument("--zoom", type=int, default=4, help="pixel scale of the window and video, 1 to 16 (default: 4)")
    parser.add_argument("--fps", type=int, default=None, help="playback speed (default: the env's, real time)")


def run(args: argparse.Namespace) -> int:
    try:
        recording = Recording.load(args.file)
        from scoregames.play import check_zoom

        check_zoom(args.zoom)
        for number in args.game or []:
            if not 1 <= number <= len(recording.episodes):
                raise ValueError(f"no game {number}; the recording has games 1..{len(recording.episodes)}")
        from scoregames.env import ScoreGamesEnv

        env_fps = int(ScoreGamesEnv.metadata["render_fps"])
        if args.fps is not None and args.fps < 0:
            raise ValueError(f"--fps must be >= 0 (0 = as fast as possible), got {args.fps}")
        fps = env_fps if args.fps is None else args.fps
        viewer = ReplayViewer(recording, args.zoom, fps) if args.show else None
        video = VideoWriter(Path(args.video), fps or env_fps, args.zoom) if args.video else None
    except (RecordingError, ValueError, ImportError, OSError) as error:
        print(f"scoregames replay: error: {error}", file=sys.stderr)
        return 2
    n_games = len(recording.episodes)
    print(
        f"{args.file}: {recording.env_id}, HUD {recording.hud_preset}, {n_games} game(s)"
        + (f", player {recording.player}" if recording.player else "")
        + (f", recorded {recording.created}" if recording.created else "")
    )

    def on_episode(index: int, episode: Episode, env: Any) -> None:
        if viewer is not None:
            viewer.episode, viewer.index, viewer.env = episode, index, env

    def on_frame(observation: np.ndarray, info: dict[str, Any], step: int) -> bool:
        if video is not None:
            video.write(observation)
        return viewer(observation, info, step) if viewer is not None else True

    try:
        games = None if args.game is None else [number - 1 for number in args.game]
        results = replay(recording, games, on_frame if (video or viewer) else None, on_episode)
    except (RecordingError, ValueError) as error:
        print(f"scoregames replay: error: {error}", file=sys.stderr)
        return 2
    finally:
        if viewer is not None:
            viewer.close()
        if video is not None:
            video.close()
    for result in results:
        print(describe(result))
    if video is not None and video.count:
        print(f"wrote {video.count} frames to {video.path}")
    failed = [result for result in results if result.mismatch]
    if failed:
        print(f"{len(failed)} of {len(results)} game(s) NOT reproduced", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    from scoregames.cli import main

    sys.exit(main(["replay", *sys.argv[1:]]))
