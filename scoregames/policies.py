"""Trained agents as diagnostics-ready policies: the Nature CNN, frame preprocessing, checkpoints,
and the run-directory and option checks both agent scripts share.

The agent scripts (``agents/ppo.py``, ``agents/dqn.py``) build their networks from this module
and save plain ``state_dict`` checkpoints with the metadata needed to rebuild them, so
:func:`load_policy` can restore a run without importing ``agents/`` (the diagnostics never do)
and every checkpoint loads with ``torch.load(weights_only=True)``. A state dict plus metadata was
chosen over TorchScript / ``torch.export``: it stays loadable with ``weights_only=True``, holds
the optimizer for ``--resume`` in the same file, and the network is defined exactly once.

torch is imported lazily, so ``import scoregames`` never needs it.

>>> preprocess_frames(np.zeros((2, 128, 128, 3), np.uint8)).shape
(2, 84, 84)
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import math
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import gymnasium as gym
import numpy as np

from scoregames.diagnostics.policy import PolicyOutput
from scoregames.files import write_new_text
from scoregames.registration import is_scoregames_id

if TYPE_CHECKING:  # pragma: no cover
    import torch

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = "scoregames-agent/1"
FRAME_STACK = 4
IMAGE_SIZE = 84
# How raw frames become network input (the name is stored in each checkpoint):
# "gym-gray-area84": Gymnasium's GrayscaleObservation formula, then ResizeObservation's INTER_AREA
#   to 84x84 -- what our native vector env (preprocess=True) and the wrapper fallback compute.
# "ale-resize-gray84": CleanRL's ALE order, INTER_AREA resize of the RGB frame, then grayscale.
# "gray-area84": OpenCV's RGB->gray weights, then INTER_AREA (runs made before the native vector env).
PREPROCESSORS = ("gym-gray-area84", "ale-resize-gray84", "gray-area84")
DEFAULT_PREPROCESS = "gym-gray-area84"
ALGOS = ("ppo", "dqn")
_GYM_GRAY = np.array([0.2125, 0.7154, 0.0721])


# Env arguments the agents set themselves, and the flag (if any) that sets each: in --env-kwargs
# they would clash with it ("got multiple values") or silently change what the network sees.
RESERVED_ENV_KWARGS = {
    "hud": "--hud",
    "reward_source": "--reward-source",
    "num_envs": "--num-envs",
    "workers": "--env-workers",
    "render_mode": "--capture-video",
    "preprocess": None,
    "frame_stack": None,
    "image_size": None,
    "autoreset_mode": None,
    "copy": None,
}


def parse_env_kwargs(text: str, allow_reserved: bool = False) -> dict[str, Any]:
    """An agent run's ``--env-kwargs`` (JSON text, as kept in ``args.json``) as a dict; a clear
    error for anything but a JSON object, and (unless ``allow_reserved``) for a key the agents set
    themselves (:data:`RESERVED_ENV_KWARGS`), naming the flag to use instead.

    >>> parse_env_kwargs('{"hud": "tamper"}')
    Traceback (most recent call last):
    ...
    ValueError: --env-kwargs may not set 'hud': use --hud
    """
    try:
        kwargs = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"--env-kwargs is not valid JSON ({error}): {text!r}") from None
    if not isinstance(kwargs, dict):
        raise ValueError(f'--env-kwargs must be a JSON object such as \'{{"spawn": "left"}}\', got {text!r}')
    clash = next((key for key in kwargs if key in RESERVED_ENV_KWARGS), None)
    if clash is not None and not allow_reserved:
        flag = RESERVED_ENV_KWARGS[clash]
        instead = f"use {flag}" if flag else "the agents fix it (gray 84x84 frames stacked 4, SAME_STEP autoreset)"
        raise ValueError(f"--env-kwargs may not set {clash!r}: {instead}")
    return kwargs


def life_lost(lives_before: np.ndarray, lives_now: np.ndarray, episode_done: np.ndarray) -> np.ndarray:
    """The agents' ``--episodic-life``: envs that lost a life this step and play on (a finished
    episode's lives are its reset's, so it is not counted).

    >>> life_lost(np.array([3, 3, 1]), np.array([2, 3, 3]), np.array([False, False, True])).tolist()
    [True, False, False]
    """
    return (lives_now < lives_before) & ~episode_done


def agent_vector_env(
    env_id: str, num_envs: int, hud: str, reward_source: str, workers: int = 0, **env_kwargs: Any
) -> gym.vector.VectorEnv:
    """The native vector env as the agents train on it: gray 84x84 frames stacked 4, SAME_STEP
    autoreset (``infos["final_obs"]`` for bootstrapping), in ``workers`` processes when asked."""
    parallel: dict[str, Any] = {"workers": workers, "copy": False} if workers else {}
    return gym.make_vec(
        env_id,
        num_envs=num_envs,
        hud=hud,
        reward_source=reward_source,
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
        preprocess=True,
        frame_stack=FRAME_STACK,
        image_size=IMAGE_SIZE,
        **parallel,
        **env_kwargs,
    )


def make_env(
    env_id: str,
    idx: int,
    capture_video: bool,
    videos: str,
    hud: str,
    reward_source: str,
    episodic_life: bool = True,
    **env_kwargs: Any,
) -> Callable[[], gym.Env]:
    """A thunk for one env of ``agents/ppo.py`` and ``agents/dqn.py`` (``SyncVectorEnv``, videos):
    ScoreGames -> gray 84x84 + stack 4; others -> CleanRL's Atari stack (its EpisodicLifeEnv only
    with ``episodic_life``; ScoreGames' lives are the training loop's)."""

    def thunk() -> gym.Env:
        render_mode = "rgb_array" if capture_video and idx == 0 else None
        if is_scoregames_id(env_id):
            env = gym.make(env_id, hud=hud, reward_source=reward_source, render_mode=render_mode, **env_kwargs)
        else:
            env = gym.make(env_id, render_mode=render_mode, **env_kwargs)
        if capture_video and idx == 0:
            env = gym.wrappers.RecordVideo(env, videos)
        env = gym.wrappers.RecordEpisodeStatistics(env)
        if is_scoregames_id(env_id):
            space = gym.spaces.Box(0, 255, (84, 84), np.uint8)
            env = gym.wrappers.TransformObservation(env, preprocess_frames, space)
        else:  # CleanRL's stack (the v5 env already skips 4 frames with sticky actions)
            from stable_baselines3.common.atari_wrappers import EpisodicLifeEnv, FireResetEnv, NoopResetEnv

            env = NoopResetEnv(env, noop_max=30)
            if episodic_life:
                env = EpisodicLifeEnv(env)
            if "FIRE" in env.unwrapped.get_action_meanings():  # type: ignore[attr-defined]
                env = FireResetEnv(env)
            env = gym.wrappers.ResizeObservation(env, (84, 84))
            env = gym.wrappers.GrayscaleObservation(env)
        env = gym.wrappers.FrameStackObservation(env, 4)
        env.action_space.seed(idx)
        return env

    return thunk


def preprocess_frames(frames: np.ndarray, preprocess: str = DEFAULT_PREPROCESS) -> np.ndarray:
    """``(..., H, W, 3)`` uint8 raw frames -> ``(..., 84, 84)`` uint8, as the agents train on."""
    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim < 3 or frames.shape[-1] != 3:
        raise ValueError(f"expected raw frames of shape (..., H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    if preprocess not in PREPROCESSORS:
        raise ValueError(f"unknown preprocess {preprocess!r}; valid: {', '.join(PREPROCESSORS)}")
    lead = frames.shape[:-3]
    flat = frames.reshape(-1, *frames.shape[-3:])
    out = np.empty((flat.shape[0], IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    if preprocess == "gym-gray-area84":  # bit for bit Gymnasium's GrayscaleObservation formula
        gray = np.sum(np.multiply(flat, _GYM_GRAY), axis=-1).astype(np.uint8)
    for i, frame in enumerate(flat):
        if preprocess == "gym-gray-area84":
            out[i] = cv2.resize(gray[i], (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
        elif preprocess == "gray-area84":
            gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
            out[i] = cv2.resize(gray, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
        elif preprocess == "ale-resize-gray84":
            small = cv2.resize(frame, (IMAGE_SIZE, IMAGE_SIZE), interpolation=cv2.INTER_AREA)
            out[i] = np.sum(np.multiply(small, _GYM_GRAY), axis=-1).astype(np.uint8)
    return out.reshape(*lead, IMAGE_SIZE, IMAGE_SIZE)


# ---------------------------------------------------------------------- networks (torch, lazily)
def _networks() -> dict[str, Any]:
    """Build the network classes on first use (torch is an optional dependency)."""
    global _NETWORK_CACHE
    if _NETWORK_CACHE:
        return _NETWORK_CACHE
    import torch
    from torch import nn
    from torch.distributions.categorical import Categorical

    def layer_init(layer: nn.Module, std: float = float(np.sqrt(2)), bias_const: float = 0.0) -> nn.Module:
        torch.nn.init.orthogonal_(layer.weight, std)  # type: ignore[arg-type]
        torch.nn.init.constant_(layer.bias, bias_const)  # type: ignore[arg-type]
        return layer

    def nature_cnn(in_channels: int = FRAME_STACK) -> nn.Sequential:
        """Mnih et al. (2015): input /255, 3 convs, 512-unit linear layer (the features)."""
        return nn.Sequential(
            layer_init(nn.Conv2d(in_channels, 32, 8, stride=4)),
            nn.ReLU(),
            layer_init(nn.Conv2d(32, 64, 4, stride=2)),
            nn.ReLU(),
            layer_init(nn.Conv2d(64, 64, 3, stride=1)),
            nn.ReLU(),
            nn.Flatten(),
            layer_init(nn.Linear(64 * 7 * 7, 512)),
            nn.ReLU(),
        )

    class ActorCritic(nn.Module):
        """CleanRL's PPO Atari agent: Nature CNN trunk, actor head (std 0.01), critic head (std 1)."""

        def __init__(self, n_actions: int):
            super().__init__()
            self.network = nature_cnn()
            self.actor = layer_init(nn.Linear(512, n_actions), std=0.01)
            self.critic = layer_init(nn.Linear(512, 1), std=1.0)

        def features(self, x: torch.Tensor) -> torch.Tensor:
            return self.network(x / 255.0)

        def get_value(self, x: torch.Tensor) -> torch.Tensor:
            return self.critic(self.features(x))

        def get_action_and_value(
            self, x: torch.Tensor, action: torch.Tensor | None = None
        ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
            hidden = self.features(x)
            # No argument validation: the logits are the network's own, and its checks would add
            # a dozen ops and two GPU syncs to every forward pass and every minibatch.
            probs = Categorical(logits=self.actor(hidden), validate_args=False)
            if action is None:
                action = probs.sample()
            return action, probs.log_prob(action), probs.entropy(), self.critic(hidden)

    class QNetwork(nn.Module):
        """CleanRL's DQN Atari network: Nature CNN trunk and a linear Q head."""

        def __init__(self, n_actions: int):
            super().__init__()
            self.network = nature_cnn()
            self.q_head = nn.Linear(512, n_actions)

        def features(self, x: torch.Tensor) -> torch.Tensor:
            return self.network(x / 255.0)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.q_head(self.features(x))

    _NETWORK_CACHE = {"ppo": ActorCritic, "dqn": QNetwork, "layer_init": layer_init}
    return _NETWORK_CACHE


_NETWORK_CACHE: dict[str, Any] = {}


def build_network(algo: str, n_actions: int) -> Any:
    """A fresh ``ActorCritic`` (``"ppo"``) or ``QNetwork`` (``"dqn"``) for ``n_actions`` actions."""
    if algo not in ALGOS:
        raise ValueError(f"unknown algo {algo!r}; valid: {', '.join(ALGOS)}")
    return _networks()[algo](n_actions)


# ---------------------------------------------------------------------- checkpoints
def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` with ``torch.save`` atomically: a temp file in the same folder, then
    ``os.replace`` (a kill mid-write leaves the previous checkpoint intact)."""
    import torch

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    torch.save({"format": CHECKPOINT_FORMAT, **payload}, tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def available_devices() -> list[str]:
    """The torch devices this machine can load a checkpoint onto: cpu, each CUDA GPU, mps."""
    import torch

    devices = ["cpu"]
    if torch.cuda.is_available():
        devices += ["cuda", *(f"cuda:{index}" for index in range(torch.cuda.device_count()))]
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append("mps")
    return devices


def check_device(device: Any) -> None:
    """A clear ``ValueError`` naming the valid devices for a device this machine does not have
    (``"cuda"`` without a GPU, ``"cuda:3"`` with two) or one torch does not know (``"nope"``)."""
    import torch

    if not isinstance(device, (str, torch.device)):
        return  # a dict or callable map_location: torch.load's own business
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"unknown device {str(device)!r}; valid here: {', '.join(available_devices())}") from None
    if parsed.type == "cuda":
        present = torch.cuda.is_available() and (parsed.index or 0) < torch.cuda.device_count()
    else:
        present = parsed.type != "mps" or "mps" in available_devices()
    if not present:
        raise ValueError(
            f"device {str(device)!r} is not available on this machine; valid here: {', '.join(available_devices())}"
        )


def read_checkpoint(run_dir: str | os.PathLike[str], map_location: str = "cpu") -> dict[str, Any]:
    """Load ``run_dir/checkpoint.pt`` (``weights_only=True``) and check its format, with clear errors."""
    import torch

    path = Path(run_dir)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: expected a run directory holding {CHECKPOINT_NAME}")
    check_device(map_location)  # else torch.load's device error would read as a corrupt file
    try:
        data = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises several types for truncated / foreign files
        raise ValueError(
            f"corrupt checkpoint {path}: expected a torch.save file ({CHECKPOINT_FORMAT}), got {type(error).__name__}: "
            + _load_failure(error)
        ) from error
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ValueError(f"mismatched checkpoint {path}: expected format {CHECKPOINT_FORMAT!r}, got {got!r}")
    for key in ("algo", "n_actions", "model", "preprocess"):
        if key not in data:
            raise ValueError(f"mismatched checkpoint {path}: expected key {key!r}, got keys {sorted(data)}")
    if data["algo"] not in ALGOS:
        raise ValueError(f"mismatched checkpoint {path}: expected algo in {ALGOS}, got {data['algo']!r}")
    if data["preprocess"] not in PREPROCESSORS:  # else the first act() would fail, far from the file
        raise ValueError(
            f"mismatched checkpoint {path}: expected preprocess in {PREPROCESSORS}, got {data['preprocess']!r}"
        )
    return data


def _load_failure(error: Exception) -> str:
    """What torch.load said, without its advice: a weights-only load refused the file, and its hints
    (``weights_only=False``, allow-listing globals) would run code from a file that is no checkpoint."""
    text = str(error)
    text = text.split("WeightsUnpickler error:", 1)[-1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0].split(". ")[0] if lines else ""


def load_network(data: dict[str, Any], source: str = "checkpoint") -> Any:
    """Rebuild the network of a checkpoint dict and load its weights (clear error on mismatch)."""
    network = build_network(data["algo"], int(data["n_actions"]))
    try:
        network.load_state_dict(data["model"])
    except RuntimeError as error:
        first = str(error).strip().splitlines()
        raise ValueError(
            f"mismatched checkpoint {source}: expected a {data['algo']} network with {data['n_actions']} actions, "
            f"got weights that do not fit ({first[1].strip() if len(first) > 1 else first[0]})"
        ) from error
    return network


# ---------------------------------------------------------------------- run directories (both agents)
ARGS_NAME = "args.json"


def flag_name(field: str) -> str:
    """The command-line flag of an agent's ``Args`` field (tyro spells ``num_envs`` ``--num-envs``)."""
    return "--" + field.replace("_", "-")


def command_line_fields(argv: list[str]) -> set[str]:
    """The ``Args`` fields a command line sets (``--no-x-y`` sets the bool ``x_y``), so ``--resume``
    can tell an option given again from one left at its default.

    >>> sorted(command_line_fields(["--resume", "runs/a", "--total-timesteps=5", "--no-eval-greedy"]))
    ['eval_greedy', 'no_eval_greedy', 'resume', 'total_timesteps']
    """
    fields = set()
    for token in argv:
        if token.startswith("--"):
            field = token[2:].split("=", 1)[0].replace("-", "_")
            fields.add(field)
            if field.startswith("no_"):
                fields.add(field[3:])
    return fields


def require_at_least(args: Any, minimum: int, *fields: str) -> None:
    """A ``ValueError`` naming the flag for the first of ``fields`` below ``minimum``."""
    for field in fields:
        value = getattr(args, field)
        if value < minimum:
            raise ValueError(f"{flag_name(field)} must be >= {minimum}, got {value}")


def check_env_id(env_id: str) -> None:
    """A ``ValueError`` listing the ScoreGames ids for an id Gymnasium does not know."""
    try:
        gym.spec(env_id)
    except gym.error.Error as error:
        from scoregames.registration import ENV_IDS

        raise ValueError(
            f"unknown --env-id {env_id!r} ({error}); ScoreGames ids: {', '.join(ENV_IDS)} (or an earlier -vN "
            "of a game); any registered Gymnasium pixel env works too, e.g. ALE/Breakout-v5 (needs ale-py installed)"
        ) from None


def check_run_args(args: Any) -> None:
    """The option checks ``agents/ppo.py`` and ``agents/dqn.py`` share, run before anything is built
    or written: a ``ValueError`` naming the flag and what it accepts, not a traceback later."""
    require_at_least(args, 1, "total_timesteps", "num_envs", "checkpoint_every")
    require_at_least(args, 0, "torch_threads", "eval_episodes", "stop_after_updates")
    if not 0 <= args.seed < 2**32:  # NumPy's seed range
        raise ValueError(f"--seed must be in 0 .. 2**32 - 1, got {args.seed}")
    rate = args.learning_rate
    if rate is not None and not (math.isfinite(rate) and rate > 0):
        raise ValueError(f"--learning-rate must be a positive number, got {rate}")
    check_env_id(args.env_id)
    if not is_scoregames_id(args.env_id) and (args.hud, args.reward_source) != ("standard", "true"):
        raise ValueError(  # else ignored, while args.json and the checkpoint would record them
            f"--hud and --reward-source apply to ScoreGames envs only; {args.env_id} takes neither (leave them at "
            f"standard and true), got --hud {args.hud} --reward-source {args.reward_source}"
        )
    parse_env_kwargs(args.env_kwargs)
    if args.capture_video and importlib.util.find_spec("moviepy") is None:
        raise ValueError('--capture-video needs moviepy: pip install "gymnasium[other]"')


def check_new_run_dir(run_dir: Path) -> None:
    """A new run may only go into a folder that does not exist yet or is empty (nothing a user
    made is ever overwritten); checked before the run builds anything."""
    if run_dir.exists() and not run_dir.is_dir():
        raise FileExistsError(f"--run-dir {run_dir} is a file, not a directory")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        raise FileExistsError(f"run directory {run_dir} exists; refusing to overwrite (use --resume {run_dir})")
    for parent in run_dir.parents:
        if parent.exists():
            if not parent.is_dir():
                raise FileExistsError(f"--run-dir {run_dir}: {parent} is a file, not a directory")
            break


def read_run_args(run_dir: Path) -> dict[str, Any]:
    """The saved arguments (``args.json``) of the run ``--resume`` continues, with clear errors."""
    path = run_dir / ARGS_NAME
    if not run_dir.is_dir():
        raise FileNotFoundError(f"cannot resume {run_dir}: no such run directory")
    if not path.is_file():
        raise FileNotFoundError(f"cannot resume {run_dir}: it holds no {ARGS_NAME} (the run's arguments)")
    try:
        return _json_object(path)
    except ValueError as error:
        raise ValueError(f"cannot resume {run_dir}: {error}") from None


def _json_object(path: Path) -> dict[str, Any]:
    """The JSON object in ``path`` (an ``args.json``), or a ``ValueError`` saying what is wrong with it."""
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"corrupt {path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"corrupt {path}: expected a JSON object, got {type(data).__name__}")
    return data


def write_run_args(run_dir: Path, values: dict[str, Any], new: bool = False) -> None:
    """Write ``args.json`` atomically: a kill mid-write must not leave a run that cannot be resumed.
    ``new``: only if there is none yet (a ``FileExistsError`` otherwise), so of two runs started
    into the same folder at once (the default run name has one-second resolution and no HUD), one
    claims it and the other is refused instead of writing over it."""
    text = json.dumps(values, indent=2)
    if new:
        if not write_new_text(run_dir / ARGS_NAME, text):
            raise FileExistsError(
                f"run directory {run_dir} was taken by another run starting at the same time; refusing to overwrite "
                "it (start again, or give --run-dir)"
            )
        return
    tmp = run_dir / f".{ARGS_NAME}.tmp-{os.getpid()}"
    tmp.write_text(text)
    os.replace(tmp, run_dir / ARGS_NAME)


def check_checkpoint_matches(checkpoint: dict[str, Any], run_dir: Path, source: str, **expected: Any) -> None:
    """Refuse to resume from a checkpoint of another run (another game, algorithm or action count):
    training would run on the wrong env and then overwrite the checkpoint. Keys a checkpoint lacks
    (older runs) are not compared."""
    for key, want in expected.items():
        got = checkpoint.get(key)
        if got is not None and got != want:
            raise ValueError(
                f"cannot resume {run_dir}: its {CHECKPOINT_NAME} is from another run: expected {key} {want!r} "
                f"(from {source}), got {got!r}; nothing was changed"
            )


def _fits(value: Any, annotation: str) -> bool:
    """Whether a JSON value fits an ``Args`` field's annotation (``"int"``, ``"float | None"``, ...)."""
    for name in (part.strip() for part in annotation.split("|")):
        if name == "None" and value is None:
            return True
        if name == "bool" and isinstance(value, bool):
            return True
        if name == "str" and isinstance(value, str):
            return True
        if name in ("int", "float") and isinstance(value, int) and not isinstance(value, bool):
            return True
        if name == "float" and isinstance(value, float):
            return True
    return False


def check_saved_types(args_class: Any, saved: dict[str, Any], run_dir: Path) -> None:
    """A ``ValueError`` naming the option and the type it takes for a value of ``args.json`` that an
    ``Args`` field cannot hold (an edited file), before it would crash the run with a traceback."""
    for field in dataclasses.fields(args_class):
        annotation = str(getattr(field.type, "__name__", field.type))  # "int" as text or as the type itself
        if field.name in saved and not _fits(saved[field.name], annotation):
            raise ValueError(
                f"cannot resume {run_dir}: its {ARGS_NAME} gives {flag_name(field.name)} {saved[field.name]!r}, "
                f"expected {annotation}"
            )


def restore_run(
    args: Any,
    given: set[str] | frozenset[str],
    algo: str,
    from_this_machine: tuple[str, ...],
    from_command_line: tuple[str, ...],
) -> tuple[Any, dict[str, Any] | None]:
    """``--resume args.resume``: the run's saved args (an ``Args`` dataclass like ``args``) and its
    checkpoint (None for a run stopped before its first). ``from_this_machine`` fields come from
    ``args`` always, ``from_command_line`` ones when in ``given`` (set on this command line).
    Refuses another script's or another run's files, writing nothing."""
    run_dir, script = Path(args.resume), f"{algo}.py"
    saved = read_run_args(run_dir)
    fields = {f.name for f in dataclasses.fields(args)}
    checkpoint = read_checkpoint(run_dir) if (run_dir / CHECKPOINT_NAME).exists() else None
    if checkpoint is None and set(saved) - fields:  # nothing else tells whose run this is
        raise ValueError(
            f"cannot resume {run_dir}: its {ARGS_NAME} is not a {script} run's (options {sorted(set(saved) - fields)})"
        )
    merged = {k: v for k, v in saved.items() if k in fields}
    check_saved_types(type(args), merged, run_dir)
    merged.update({k: getattr(args, k) for k in from_this_machine})
    merged.update({k: getattr(args, k) for k in from_command_line if k in given})
    # runs made before the option learned without it, except on ALE (CleanRL's EpisodicLifeEnv, always)
    merged.setdefault("episodic_life", not is_scoregames_id(str(merged.get("env_id", ""))))
    restored = type(args)(**merged)
    if checkpoint is not None:  # another run's checkpoint (game, algorithm) would train on the wrong env
        check_checkpoint_matches(checkpoint, run_dir, script, algo=algo)
        check_checkpoint_matches(
            checkpoint,
            run_dir,
            ARGS_NAME,
            env_id=restored.env_id,
            hud=restored.hud,
            reward_source=restored.reward_source,
        )
    return restored, checkpoint


def new_run_dir(args: Any) -> Path:
    """A new run's directory: ``--run-dir``, else ``runs/{env}__{exp}__{seed}__{time}``; refused if
    it holds anything (see :func:`check_new_run_dir`). Sets ``args.run_dir``."""
    run_name = f"{args.env_id}__{args.exp_name}__{args.seed}__{int(time.time())}".replace("/", "").replace(":", "")
    run_dir = Path(args.run_dir) if args.run_dir else Path("runs") / run_name
    check_new_run_dir(run_dir)
    args.run_dir = str(run_dir)
    return run_dir


def check_env_matches_checkpoint(
    checkpoint: dict[str, Any] | None,
    run_dir: Path,
    env_id: str,
    envs: Any,
    to_close: list[Any],
    new_folders: list[Path],
) -> None:
    """On ``--resume``: the env just built must take the checkpoint's actions and frames, and the
    checkpoint must hold the training state (optimizer, counters, RNG; DQN's target). If not,
    undo what building it did (close ``to_close``, remove the empty video folders it made) and
    refuse, so the run directory is left as it was."""
    if checkpoint is None:
        return
    try:
        check_checkpoint_matches(
            checkpoint, run_dir, f"the env {env_id}", n_actions=int(envs.single_action_space.n),
            obs_shape=list(envs.single_observation_space.shape),
        )  # fmt: skip
        needed = ("optimizer", "global_step", "update", "rng", *(("target",) if checkpoint["algo"] == "dqn" else ()))
        if missing := [key for key in needed if key not in checkpoint]:  # e.g. a weights-only export
            raise ValueError(
                f"cannot resume {run_dir}: its {CHECKPOINT_NAME} lacks {', '.join(missing)}, which training "
                "continues from (load_policy can still read it); nothing was changed"
            )
    except ValueError:
        for env in to_close:
            env.close()
        for folder in reversed(new_folders):  # made (empty) by RecordVideo with --capture-video
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def open_run_dir(
    run_dir: Path, args: dict[str, Any], resuming: bool, checkpoint: dict[str, Any] | None, to_close: list[Any]
) -> bool:
    """Make a new run's directory and its ``args.json``; returns whether this is a restart (a
    ``--resume`` of a run stopped before its first checkpoint), which it announces. If another run
    took the directory since it was checked, close ``to_close`` (the envs) and refuse."""
    if not resuming:
        run_dir.mkdir(parents=True, exist_ok=True)
        try:
            write_run_args(run_dir, args, new=True)
        except FileExistsError:
            for env in to_close:
                env.close()
            raise
    restarting = resuming and checkpoint is None
    if restarting:
        print(
            f"no {CHECKPOINT_NAME} in {run_dir} (stopped before its first one): restarting the run from step 0 "
            f"with its saved {ARGS_NAME}; TensorBoard shows the new events only",
            flush=True,
        )
    return restarting


class _RestartAfterLifeLoss(gym.Wrapper):
    """What training's ``EpisodicLifeEnv`` + ``FireResetEnv`` do after a lost life (a NOOP, then
    FIRE and action 2 where the game has FIRE), inside one whole-game episode whose rewards all
    count: an agent trained with them never learned to serve, and would wait out the step cap.
    Marks that step's info with ``restarted_after_life_loss``: training's frame stack restarted
    there (the reset pads it with the new frame), so the policy's history must too."""

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        ale = self.env.unwrapped.ale  # type: ignore[attr-defined]
        lives = ale.lives()
        obs, reward, terminated, truncated, info = self.env.step(action)
        total = float(reward)
        if not (terminated or truncated) and 0 < ale.lives() < lives:
            serve = (0, 1, 2) if "FIRE" in self.env.unwrapped.get_action_meanings() else (0,)  # type: ignore[attr-defined]
            for follow_up in serve:
                obs, reward, terminated, truncated, info = self.env.step(follow_up)
                total += float(reward)
                if terminated or truncated:
                    break
            info = {**info, "restarted_after_life_loss": True}
        return obs, total, terminated, truncated, info


def rng_state() -> dict[str, Any]:
    """Every random stream a run draws from, for its checkpoint: Python's, NumPy's global, torch's
    CPU generator and, once a GPU is in use, CUDA's (the rollout samples its actions there)."""
    import random

    import torch

    numpy_state = np.random.get_state(legacy=False)["state"]
    state: dict[str, Any] = {
        "python": list(random.getstate()[1]),
        "numpy": numpy_state["key"].tolist() + [int(numpy_state["pos"])],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore :func:`rng_state`'s streams; CUDA's only on a machine with as many GPUs (a run
    resumed on the CPU, or on another machine, draws new GPU numbers)."""
    import random

    import torch

    random.setstate((3, tuple(state["python"]), None))
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"] = {"key": np.array(state["numpy"][:-1], np.uint32), "pos": int(state["numpy"][-1])}
    np.random.set_state(numpy_state)
    torch.set_rng_state(state["torch"])
    cuda = state.get("cuda")
    if cuda is not None and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


def evaluation_env(env_id: str, hud: str, reward_source: str, episodic_life: bool = True, **env_kwargs: Any) -> gym.Env:
    """The single env of a run's final ``--eval-episodes``, giving raw frames to :func:`load_policy`'s
    policy. ScoreGames: the game as trained (HUD, reward source, knobs). Another (ALE) id: the
    whole game, started and (with ``episodic_life``, as its EpisodicLifeEnv did) restarted after
    each lost life as the training wrappers did (no-op starts, FIRE), so its return is the game's
    score over all lives."""
    if is_scoregames_id(env_id):
        return gym.make(env_id, hud=hud, reward_source=reward_source, **env_kwargs)
    from stable_baselines3.common.atari_wrappers import FireResetEnv, NoopResetEnv

    env: gym.Env = NoopResetEnv(gym.make(env_id, **env_kwargs), noop_max=30)
    if "FIRE" in env.unwrapped.get_action_meanings():  # type: ignore[attr-defined]
        env = FireResetEnv(env)
    return _RestartAfterLifeLoss(env) if episodic_life else env


def play_evaluation(
    policy: Any,
    env: gym.Env,
    episodes: int,
    seed: int,
    ours: bool,
    stopped: Callable[[], bool],
    log: Callable[[int, float], None],
    epsilon: float = 0.0,
) -> list[float] | None:
    """A run's final ``--eval-episodes`` on :func:`evaluation_env`: episode i from seed
    ``seed + 1_000_000 + i``, at most 27,000 steps each; returns the true score (ScoreGames) or the
    summed reward per episode, each passed to ``log(episode, return)`` as it ends. With
    ``epsilon``, a uniform random action that often (CleanRL's DQN evaluation). None once
    ``stopped()``: a partly played episode is not counted."""
    rng = np.random.default_rng(seed)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    returns: list[float] = []
    for episode in range(episodes):
        frame, info = env.reset(seed=seed + 1_000_000 + episode)
        policy.reset(env)
        total, finished, steps = 0.0, False, 0
        while not finished and steps < 27_000 and not stopped():
            action = policy.act(frame, info)
            if epsilon and rng.random() < epsilon:
                action = int(rng.integers(n_actions))
            frame, reward, terminated, truncated, info = env.step(action)
            if info.get("restarted_after_life_loss"):  # ALE: a new stack, as training's reset made
                policy.reset(env)
            total += float(reward)
            finished, steps = terminated or truncated, steps + 1
        if stopped():
            return None
        returns.append(float(info["true_score"]) if ours else total)
        log(episode, returns[-1])
    return returns


def purge_step(restarting: bool, checkpoint: dict[str, Any] | None) -> int | None:
    """The ``SummaryWriter(purge_step=...)`` of a run: TensorBoard hides the earlier event files'
    events from this step on. A restart hides the stopped attempt's (0); a resume hides what a
    process killed after its last checkpoint logged beyond it (both scripts log nothing after a
    checkpoint at its own step), which the resumed run logs again; a new run hides nothing.

    >>> purge_step(False, {"global_step": 256}), purge_step(True, None), purge_step(False, None)
    (257, 0, None)
    """
    if restarting:
        return 0
    return None if checkpoint is None else int(checkpoint["global_step"]) + 1


def video_folder(run_dir: Path, session: str | None = None) -> Path:
    """Where ``--capture-video`` writes: ``RUN_DIR/videos`` for a new run, a new subfolder of it
    (``session``, numbered if taken) for a resumed or restarted one -- RecordVideo numbers episodes
    from 0 in each process, so a shared folder would replace the earlier videos."""
    folder = run_dir / "videos"
    if session is None:
        return folder
    candidate, number = folder / session, 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{session}-{number}"
    return candidate


# ---------------------------------------------------------------------- the loaded policy
class LoadedPolicy:
    """A trained agent as an ``EvaluablePolicy``: raw ``(H, W, 3)`` frames in, actions out.

    Keeps its own history of the last 4 preprocessed frames (a new episode's first frame fills
    the stack, as Gymnasium's ``FrameStackObservation`` pads). ``evaluate`` takes raw frame
    histories ``(B, 4, H, W, 3)`` and returns action probabilities (PPO: the softmax; DQN: greedy
    one-hot), value (PPO), Q-values (DQN) and the 512 penultimate features.
    """

    history_length: int = FRAME_STACK

    def __init__(
        self,
        network: Any,
        algo: str,
        preprocess: str = DEFAULT_PREPROCESS,
        device: str = "cpu",
        deterministic: bool = False,
        seed: int | None = None,
        metadata: dict[str, Any] | None = None,
    ):
        self.network = network.to(device).eval()
        self.algo = algo
        self.preprocess = preprocess
        self.device = device
        self.deterministic = deterministic
        self.metadata = dict(metadata or {})
        self.n_actions = int(self.metadata.get("n_actions", 0)) or None
        self._rng = np.random.default_rng(seed)
        self._history: deque[np.ndarray] = deque(maxlen=FRAME_STACK)

    @property
    def trained_with(self) -> dict[str, Any]:
        """The env arguments the agent trained with (its run's ``--env-kwargs``, e.g. game knobs
        such as ``{"spawn": "left"}``), so the positional diagnostics know the training layout."""
        return parse_env_kwargs(self.metadata.get("args", {}).get("env_kwargs", "{}"), allow_reserved=True)

    @property
    def run_arguments(self) -> dict[str, Any]:
        """The run's arguments as the diagnostics read its training layout: the game knobs of its
        ``--env-kwargs``, a ``game_kwargs`` mapping, then ``args.json``'s top-level keys (empty
        without ``args.json``). ``run_battery`` uses them when no ``trained_with`` is given."""
        args = self.metadata.get("args", {})
        return {**self.trained_with, **args.get("game_kwargs", {}), **args}

    def reset(self, env: Any | None = None) -> None:
        self._history.clear()

    def act(self, frame: np.ndarray, info: dict[str, Any] | None = None, deterministic: bool | None = None) -> int:
        """Append ``frame`` to the history; return the greedy action if ``deterministic`` (default:
        the policy's setting), else a sample (PPO: from the softmax; DQN: the greedy action)."""
        processed = preprocess_frames(np.asarray(frame), self.preprocess)
        if not self._history:
            self._history.extend([processed] * FRAME_STACK)
        else:
            self._history.append(processed)
        stacked = np.stack(self._history)[None]
        output = self._forward(stacked)
        deterministic = self.deterministic if deterministic is None else deterministic
        if self.algo == "dqn":
            assert output.q_values is not None
            return int(np.argmax(output.q_values[0]))
        assert output.action_probs is not None
        probs = output.action_probs[0].astype(np.float64)
        if deterministic:
            return int(np.argmax(probs))
        return int(self._rng.choice(len(probs), p=probs / probs.sum()))

    def evaluate(self, histories: np.ndarray) -> PolicyOutput:
        """``histories``: ``(B, 4, H, W, 3)`` uint8 raw frames, oldest first."""
        histories = np.asarray(histories)
        if histories.ndim != 5 or histories.shape[1] != FRAME_STACK or histories.shape[-1] != 3:
            raise ValueError(f"expected histories of shape (B, {FRAME_STACK}, H, W, 3), got {histories.shape}")
        return self._forward(preprocess_frames(histories, self.preprocess))

    def evaluate_stacked(self, observations: np.ndarray) -> PolicyOutput:
        """Like :meth:`evaluate` on already preprocessed ``(B, 4, 84, 84)`` uint8 observations."""
        return self._forward(np.asarray(observations))

    def _forward(self, stacked: np.ndarray) -> PolicyOutput:
        import torch

        with torch.inference_mode():
            x = torch.as_tensor(stacked, device=self.device).float()
            features = self.network.features(x)
            if self.algo == "ppo":
                logits = self.network.actor(features)
                return PolicyOutput(
                    action_probs=torch.softmax(logits, -1).cpu().numpy(),
                    value=self.network.critic(features)[:, 0].cpu().numpy(),
                    features=features.cpu().numpy(),
                )
            q_values = self.network.q_head(features)
            greedy = torch.nn.functional.one_hot(q_values.argmax(-1), q_values.shape[-1]).float()
            return PolicyOutput(
                action_probs=greedy.cpu().numpy(), q_values=q_values.cpu().numpy(), features=features.cpu().numpy()
            )


def load_policy(
    run_dir: str | os.PathLike[str], device: str = "cpu", deterministic: bool = False, seed: int | None = None
) -> LoadedPolicy:
    """Rebuild the trained agent of ``run_dir`` (from ``agents/ppo.py`` or ``agents/dqn.py``).

    Raises ``FileNotFoundError`` without a checkpoint and ``ValueError`` for a corrupt or
    mismatched one. ``deterministic``: ``act`` returns the most probable action.
    """
    data = read_checkpoint(run_dir, map_location=device)
    network = load_network(data, source=str(run_dir))
    metadata = {k: v for k, v in data.items() if k not in ("model", "optimizer", "target", "rng")}
    folder = Path(run_dir) if Path(run_dir).is_dir() else Path(run_dir).parent  # read_checkpoint takes either
    args_path = folder / ARGS_NAME
    if args_path.exists():  # the run's arguments: trained_with, and the diagnostics' env and HUD
        metadata["args"] = _json_object(args_path)
        env_kwargs = metadata["args"].get("env_kwargs", "{}")
        try:  # trained_with / run_arguments read it: fail here, naming the file, not in the diagnostics
            parse_env_kwargs(env_kwargs if isinstance(env_kwargs, str) else "", allow_reserved=True)
        except ValueError:
            raise ValueError(
                f'corrupt {args_path}: env_kwargs must be the text of a JSON object, such as \'{{"spawn": "left"}}\', '
                f"got {env_kwargs!r}"
            ) from None
    return LoadedPolicy(
        network,
        data["algo"],
        preprocess=data["preprocess"],
        device=device,
        deterministic=deterministic,
        seed=seed,
        metadata=metadata,
    )


__all__ = [
    "ARGS_NAME",
    "CHECKPOINT_NAME",
    "DEFAULT_PREPROCESS",
    "PREPROCESSORS",
    "RESERVED_ENV_KWARGS",
    "LoadedPolicy",
    "available_devices",
    "build_network",
    "check_checkpoint_matches",
    "check_device",
    "check_env_id",
    "check_new_run_dir",
    "check_run_args",
    "command_line_fields",
    "flag_name",
    "load_network",
    "evaluation_env",
    "load_policy",
    "make_env",
    "parse_env_kwargs",
    "play_evaluation",
    "preprocess_frames",
    "purge_step",
    "read_checkpoint",
    "read_run_args",
    "require_at_least",
    "rng_state",
    "save_checkpoint",
    "set_rng_state",
    "video_folder",
    "write_run_args",
]
