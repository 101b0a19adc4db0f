"""Recordings of played sessions: the documented ``.npz`` format, a recorder and a loader.

A recording holds everything needed to re-run a session exactly: the env id and the keyword
arguments it was made with, one seed per episode, and the actions taken. It also holds what
the player saw happen (true and displayed rewards and scores after every step), so a replay
can check that it reproduces them, and optionally every frame.

Format (``format_version`` 1): a ``np.savez_compressed`` archive, read back with
``allow_pickle=False`` (a recording can never run code).

==================== ============================== ==========================================
array                dtype, shape                   content
==================== ============================== ==========================================
``metadata``         0-d str                        JSON object, described below
``actions``          int16 ``(T,)``                 action index per step, all episodes in order
``true_rewards``     float64 ``(T,)``               the game's reward per step
``displayed_rewards`` int64 ``(T,)``                change of the displayed score per step
``true_scores``      int64 ``(T,)``                 ``info["true_score"]`` after each step
``displayed_scores`` int64 ``(T,)``                 ``info["displayed_score"]`` after each step
``frames``           uint8 ``(T + E, H, W, 3)``     optional: per episode, the reset observation
                                                    then one observation per step
==================== ============================== ==========================================

``T`` is the total number of steps and ``E`` the number of episodes; episode ``k`` owns the
``episodes[k]["steps"]`` rows after those of the episodes before it.

Metadata keys: ``format`` (``"scoregames-recording"``), ``format_version``,
``scoregames_version``, ``created`` (UTC, ISO 8601), ``player`` (free text, may be empty),
``env_id``, ``env_kwargs`` (the ``gym.make`` keyword arguments; ``hud`` is a preset name or a
mapping of HudConfig fields), ``hud_preset`` (the preset name, or ``"custom"``),
``action_meanings``, ``seed`` (the session's base seed) and ``episodes``: a list of
``{"seed", "steps", "end", "start_true_score", "start_displayed_score", "true_score",
"displayed_score", "lives"}`` where ``end`` is ``terminated`` or ``truncated`` (the game
ended it), ``restart`` (the player pressed R) or ``quit`` (the session ended mid-game), and
``true_score`` / ``displayed_score`` are the final values.

Episode ``k`` of a session is reset with its own recorded seed (``seed + k`` in ``scoregames
play``), so any single episode replays alone. Sticky actions draw from the env's own seeded
stream, so the same seed and the same actions give the same game.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

FORMAT_NAME = "scoregames-recording"
FORMAT_VERSION = 1
EPISODE_ENDS = ("terminated", "truncated", "restart", "quit")
# Episodes the game itself ended; only these are full games for human reference scores.
FINISHED_ENDS = ("terminated", "truncated")
STEP_ARRAYS: dict[str, type] = {
    "actions": np.int16,
    "true_rewards": np.float64,
    "displayed_rewards": np.int64,
    "true_scores": np.int64,
    "displayed_scores": np.int64,
}
EPISODE_KEYS = (
    "seed",
    "steps",
    "end",
    "start_true_score",
    "start_displayed_score",
    "true_score",
    "displayed_score",
    "lives",
)


class RecordingError(ValueError):
    """A file that is not a valid recording, or one this version of scoregames cannot replay."""


@dataclass
class Episode:
    """One episode of a recording: its seed, what the player did and what happened."""

    seed: int
    start_true_score: int = 0
    start_displayed_score: int = 0
    end: str = "quit"
    lives: int = 0
    actions: list[int] = field(default_factory=list)
    true_rewards: list[float] = field(default_factory=list)
    displayed_rewards: list[int] = field(default_factory=list)
    true_scores: list[int] = field(default_factory=list)
    displayed_scores: list[int] = field(default_factory=list)
    frames: list[np.ndarray] | None = None
    # The metadata entry, when read from a file: ``Recording.load(steps=False)`` leaves the
    # per-step lists empty, and the summary comes from here.
    stored: dict[str, Any] | None = None

    @property
    def steps(self) -> int:
        if self.actions or self.stored is None:
            return len(self.actions)
        return int(self.stored["steps"])

    @property
    def true_score(self) -> int:
        if self.true_scores:
            return self.true_scores[-1]
        return int(self.stored["true_score"]) if self.stored else self.start_true_score

    @property
    def displayed_score(self) -> int:
        if self.displayed_scores:
            return self.displayed_scores[-1]
        return int(self.stored["displayed_score"]) if self.stored else self.start_displayed_score

    @property
    def finished(self) -> bool:
        return self.end in FINISHED_ENDS

    def summary(self) -> dict[str, Any]:
        return {
            "seed": int(self.seed),
            "steps": self.steps,
            "end": self.end,
            "start_true_score": int(self.start_true_score),
            "start_displayed_score": int(self.start_displayed_score),
            "true_score": int(self.true_score),
            "displayed_score": int(self.displayed_score),
            "lives": int(self.lives),
        }


@dataclass
class Recording:
    """A session: how to rebuild its env, and its episodes."""

    env_id: str
    env_kwargs: dict[str, Any]
    action_meanings: list[str]
    seed: int
    hud_preset: str = "standard"
    player: str = ""
    created: str = ""
    scoregames_version: str = ""
    episodes: list[Episode] = field(default_factory=list)

    @property
    def game(self) -> str:
        """The game's name, from the env id ``ScoreGames/<Game>-vN``."""
        from scoregames.registration import game_name

        return game_name(self.env_id)

    @property
    def has_frames(self) -> bool:
        return bool(self.episodes) and all(episode.frames is not None for episode in self.episodes)

    def metadata(self) -> dict[str, Any]:
        from scoregames import __version__

        return {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "scoregames_version": self.scoregames_version or __version__,
            "created": self.created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "player": self.player,
            "env_id": self.env_id,
            "env_kwargs": self.env_kwargs,
            "hud_preset": self.hud_preset,
            "action_meanings": list(self.action_meanings),
            "seed": int(self.seed),
            "episodes": [episode.summary() for episode in self.episodes],
        }

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the recording to ``path``; never replaces an existing file (raises FileExistsError)."""
        arrays: dict[str, np.ndarray] = {"metadata": np.array(json.dumps(self.metadata()))}
        for name, dtype in STEP_ARRAYS.items():
            values = [value for episode in self.episodes for value in getattr(episode, name)]
            arrays[name] = np.asarray(values, dtype=dtype)
        if self.has_frames:
            arrays["frames"] = np.stack([frame for episode in self.episodes for frame in episode.frames or []])
        path = Path(path)
        # "x" mode: creating the file fails if it exists, even if it appeared since we checked.
        with open(path, "xb") as file:
            np.savez_compressed(file, **arrays)  # type: ignore[arg-type]
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, steps: bool = True) -> Recording:
        """Read and validate a recording; ``steps=False`` reads only the metadata (fast)."""
        path = Path(path)
        if path.is_dir():
            raise RecordingError(
                f"{path} is a folder, not a recording; give one .npz file (scoregames human-scores takes folders)"
            )
        if path.exists() and not path.is_file():
            raise RecordingError(f"{path} is not a regular file; give a recording (.npz) made with scoregames play")
        if not path.is_file():
            raise RecordingError(f"{path}: no such recording file")
        if not zipfile.is_zipfile(path):
            raise RecordingError(f"{path}: not a scoregames recording (not an .npz archive)")
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError, zipfile.BadZipFile) as error:
            raise RecordingError(f"{path}: not a scoregames recording (.npz archive): {error}") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise RecordingError(f"{path}: not a scoregames recording (a single array, not an .npz archive)")
        with archive:
            if "metadata" not in archive.files:
                raise RecordingError(f"{path}: not a scoregames recording (no 'metadata' entry)")
            try:
                metadata = json.loads(str(archive["metadata"]))
            except (ValueError, zipfile.BadZipFile) as error:
                raise RecordingError(f"{path}: corrupt recording metadata: {error}") from None
            try:
                recording = cls._from_metadata(path, metadata)
                if steps:
                    recording._read_steps(path, archive)
            except RecordingError:
                raise
            except (TypeError, ValueError, KeyError, OSError, zipfile.BadZipFile) as error:
                raise RecordingError(f"{path}: corrupt recording: {error}") from None
        return recording

    @classmethod
    def _from_metadata(cls, path: Path, metadata: Any) -> Recording:
        if not isinstance(metadata, dict) or metadata.get("format") != FORMAT_NAME:
            raise RecordingError(f"{path}: not a scoregames recording (metadata 'format' is not {FORMAT_NAME!r})")
        version = metadata.get("format_version")
        if version != FORMAT_VERSION:
            raise RecordingError(
                f"{path}: recording format version {version!r}; this scoregames reads version {FORMAT_VERSION}"
            )
        required = ("env_id", "env_kwargs", "action_meanings", "seed", "episodes")
        missing = [key for key in required if key not in metadata]
        if missing:
            raise RecordingError(f"{path}: corrupt recording: metadata lacks {', '.join(missing)}")
        if not isinstance(metadata["env_kwargs"], Mapping) or not isinstance(metadata["episodes"], list):
            raise RecordingError(f"{path}: corrupt recording: 'env_kwargs' must be an object, 'episodes' a list")
        episodes = []
        for index, entry in enumerate(metadata["episodes"]):
            if not isinstance(entry, dict) or any(key not in entry for key in EPISODE_KEYS):
                raise RecordingError(f"{path}: corrupt recording: episode {index} needs keys {', '.join(EPISODE_KEYS)}")
            if entry["end"] not in EPISODE_ENDS:
                raise RecordingError(
                    f"{path}: corrupt recording: episode {index} end {entry['end']!r}; valid: {', '.join(EPISODE_ENDS)}"
                )
            where = f"episode {index}"
            for key in ("steps", "lives"):
                _integer(path, entry[key], f"{where} {key!r}", minimum=0)
            for key in ("start_true_score", "start_displayed_score", "true_score", "displayed_score"):
                _integer(path, entry[key], f"{where} {key!r}")
            episode = Episode(
                seed=_seed(path, entry["seed"], f"{where} 'seed'"),
                start_true_score=entry["start_true_score"],
                start_displayed_score=entry["start_displayed_score"],
                end=entry["end"],
                lives=entry["lives"],
                stored=dict(entry),
            )
            episodes.append(episode)
        if not isinstance(metadata["action_meanings"], list) or not metadata["action_meanings"]:
            raise RecordingError(f"{path}: corrupt recording: 'action_meanings' must be a non-empty list of names")
        return cls(
            env_id=str(metadata["env_id"]),
            env_kwargs=dict(metadata["env_kwargs"]),
            action_meanings=[str(m) for m in metadata["action_meanings"]],
            seed=_seed(path, metadata["seed"], "the session 'seed'"),
            hud_preset=str(metadata.get("hud_preset", "custom")),
            player=str(metadata.get("player", "")),
            created=str(metadata.get("created", "")),
            scoregames_version=str(metadata.get("scoregames_version", "")),
            episodes=episodes,
        )

    def _read_steps(self, path: Path, archive: Any) -> None:
        declared = [episode.steps for episode in self.episodes]
        total = sum(declared)
        arrays = {}
        for name in STEP_ARRAYS:
            if name not in archive.files:
                raise RecordingError(f"{path}: corrupt recording: no {name!r} array")
            try:
                array = archive[name]
            except (ValueError, OSError, zipfile.BadZipFile) as error:
                raise RecordingError(f"{path}: corrupt recording: cannot read {name!r}: {error}") from None
            if array.shape != (total,):
                raise RecordingError(
                    f"{path}: corrupt recording: {name!r} has shape {array.shape}, the episodes declare {total} steps"
                )
            arrays[name] = _step_array(path, name, array)
        frames = None
        if "frames" in archive.files:
            frames = archive["frames"]
            if frames.ndim != 4 or frames.shape[0] != total + len(declared) or frames.dtype != np.uint8:
                raise RecordingError(
                    f"{path}: corrupt recording: 'frames' has shape {frames.shape} {frames.dtype}, "
                    f"expected ({total + len(declared)}, H, W, 3) uint8"
                )
        n_actions = len(self.action_meanings)
        if total and not (arrays["actions"].min() >= 0 and arrays["actions"].max() < n_actions):
            raise RecordingError(f"{path}: corrupt recording: actions outside 0..{n_actions - 1}")
        start = 0
        for index, (episode, steps) in enumerate(zip(self.episodes, declared)):
            for name in STEP_ARRAYS:
                cast = float if name == "true_rewards" else int
                setattr(episode, name, [cast(v) for v in arrays[name][start : start + steps]])
            if frames is not None:
                first = start + index
                episode.frames = list(frames[first : first + steps + 1])
            if steps and (episode.true_score, episode.displayed_score) != (
                int(episode.stored["true_score"]),  # type: ignore[index]
                int(episode.stored["displayed_score"]),  # type: ignore[index]
            ):
                raise RecordingError(
                    f"{path}: corrupt recording: episode {index}'s final scores in the metadata "
                    "differ from its last step"
                )
            start += steps


def _integer(path: Path, value: Any, what: str, minimum: int | None = None) -> int:
    """A metadata integer, checked: JSON ``1.5``, ``"3"`` or ``true`` is not one (no silent truncation)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordingError(f"{path}: corrupt recording: {what} is {value!r}; it must be an integer")
    if minimum is not None and value < minimum:
        raise RecordingError(f"{path}: corrupt recording: {what} is {value}; it must be an integer >= {minimum}")
    return value


def _seed(path: Path, value: Any, what: str) -> int:
    """A seed the env can be reset with: an integer >= 0 (what ``env.reset(seed=...)`` takes)."""
    return _integer(path, value, what, minimum=0)


def _step_array(path: Path, name: str, array: np.ndarray) -> np.ndarray:
    """A per-step array with the dtype the format says: integer arrays must hold integers (a float
    action 1.7 is not truncated to 1 but refused), ``true_rewards`` finite numbers."""
    kind = array.dtype.kind
    integer = STEP_ARRAYS[name] is not np.float64
    if integer:
        if kind in "iu":
            return array
        example = ""
        if kind == "f":
            bad = array[~np.isfinite(array) | (array != np.round(array))]
            if not bad.size:
                return array.astype(np.int64)  # integer-valued floats (another writer's dtype) are exact
            example = f" (e.g. {bad[0].item()!r})"
        raise RecordingError(f"{path}: corrupt recording: {name!r} must hold integers, it holds {array.dtype}{example}")
    if kind not in "iuf" or not np.all(np.isfinite(array)):
        raise RecordingError(f"{path}: corrupt recording: {name!r} must hold finite numbers, it holds {array.dtype}")
    return array


class Recorder:
    """Collects a session step by step, as ``scoregames play`` runs it.

    >>> recorder = Recorder("ScoreGames/Catch-v1", {"hud": "offset"}, ["NOOP", "RIGHT", "LEFT"], seed=7)
    >>> recorder.start_episode(7, {"true_score": 0, "displayed_score": 50, "lives": 0})
    >>> recorder.record_step(1, {"true_reward": 0.0, "displayed_reward": 0, "true_score": 0, "displayed_score": 50})
    >>> recorder.end_episode("quit")
    >>> [(e.seed, e.steps, e.displayed_score) for e in recorder.recording.episodes]
    [(7, 1, 50)]
    """

    def __init__(
        self,
        env_id: str,
        env_kwargs: Mapping[str, Any],
        action_meanings: list[str],
        seed: int,
        *,
        hud_preset: str = "standard",
        player: str = "",
        frames: bool = False,
    ):
        self.recording = Recording(
            env_id=env_id,
            env_kwargs=dict(env_kwargs),
            action_meanings=list(action_meanings),
            seed=int(seed),
            hud_preset=hud_preset,
            player=player,
        )
        self.keep_frames = frames
        self._current: Episode | None = None

    @property
    def current(self) -> Episode | None:
        return self._current

    def start_episode(self, seed: int, info: Mapping[str, Any], observation: np.ndarray | None = None) -> None:
        """Begin an episode just reset with ``seed``; an episode still open ends as ``restart``."""
        if self._current is not None:
            self.end_episode("restart")
        self._current = Episode(
            seed=int(seed),
            start_true_score=int(info["true_score"]),
            start_displayed_score=int(info["displayed_score"]),
            lives=int(info.get("lives", 0)),
            frames=[] if self.keep_frames else None,
        )
        if self._current.frames is not None and observation is not None:
            self._current.frames.append(np.array(observation, np.uint8))

    def record_step(self, action: int, info: Mapping[str, Any], observation: np.ndarray | None = None) -> None:
        episode = self._current
        if episode is None:
            raise RuntimeError("record_step before start_episode")
        episode.actions.append(int(action))
        episode.true_rewards.append(float(info["true_reward"]))
        episode.displayed_rewards.append(int(info["displayed_reward"]))
        episode.true_scores.append(int(info["true_score"]))
        episode.displayed_scores.append(int(info["displayed_score"]))
        episode.lives = int(info.get("lives", episode.lives))
        if episode.frames is not None and observation is not None:
            episode.frames.append(np.array(observation, np.uint8))

    def end_episode(self, end: str) -> None:
        """Close the open episode; one with no steps is dropped (nothing to replay)."""
        if end not in EPISODE_ENDS:
            raise ValueError(f"unknown episode end {end!r}; valid: {', '.join(EPISODE_ENDS)}")
        episode, self._current = self._current, None
        if episode is not None and episode.steps > 0:
            episode.end = end
            self.recording.episodes.append(episode)


def free_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if no file is there, else the first free ``<stem>-1<suffix>``, ``<stem>-2<suffix>``, ...

    Used only when a file appeared at the recording's path while the session ran (it was
    checked free at the start): the session is then saved beside it, never over it.
    """
    path = Path(path)
    candidate, number = path, 0
    while os.path.lexists(candidate):  # a dangling link too: "x" mode refuses it as well
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
