"""``ScoreGamesVectorEnv``: N games stepped in one process, their frames drawn into one batch.

``gym.make_vec("ScoreGames/<Game>-v0", num_envs=N, ...)`` returns this class (it is the ids'
``vector_entry_point``). It gives exactly what a ``SyncVectorEnv`` of N single envs gives for the
same seeds and actions (tests/test_vector.py checks it for every game and autoreset mode), without
Gymnasium's per-env copies: every sub-env draws straight into its row of the batch.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from functools import cache
from numbers import Integral
from typing import Any, cast

import cv2
import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from scoregames.env import INFO_KEYS, ScoreGamesEnv, info_dict
from scoregames.hud import HudConfig
from scoregames.render import FRAME_HEIGHT, FRAME_SHAPE, FRAME_WIDTH

HudSpec = str | Mapping[str, Any] | HudConfig | None
# Gymnasium's GrayscaleObservation: float64 weighted sum, truncated (not rounded) to uint8.
GRAY_WEIGHTS = np.array([0.2125, 0.7154, 0.0721])
RENDER_MODES = ("rgb_array",)


class ScoreGamesVectorEnv(VectorEnv):
    """N copies of one game (each with its own HUD), stepped in-process into one batch array.

    Args:
        game: the game's name (see ``scoregames list``).
        num_envs: number of sub-envs N.
        hud: one HUD spec (preset name, mapping or ``HudConfig``) for every sub-env, or a list
            of N specs, so one batch can mix display conditions.
        reward_source: ``"true"`` or ``"displayed"``, as for the single env.
        autoreset_mode: a ``gymnasium.vector.AutoresetMode`` or its string value.
            ``NEXT_STEP`` (default): the step after an episode ends resets that sub-env and
            ignores its action. ``SAME_STEP``: the sub-env resets within the ending step; the
            last observation and info are in ``infos["final_obs"]`` / ``infos["final_info"]``.
            ``DISABLED``: the caller resets ended sub-envs with
            ``reset(options={"reset_mask": mask})``; stepping an ended sub-env is an error.
        preprocess: when True, observations are agent-ready: Gymnasium's
            ``GrayscaleObservation`` -> ``ResizeObservation((image_size, image_size))`` ->
            ``FrameStackObservation(frame_stack)`` applied per sub-env, bit for bit, batched
            channels-first as ``(N, frame_stack, image_size, image_size)`` uint8. With
            ``grayscale=False`` the grayscale step is left out and frames keep their colour
            axis last: ``(N, frame_stack, image_size, image_size, 3)``. As in Gymnasium 1.4,
            a reset fills the stack with copies of the first frame (``padding_type="reset"``).
        frame_stack, image_size, grayscale: the preprocessing knobs (used only with
            ``preprocess=True``).
        render_mode: ``None`` or ``"rgb_array"`` (``render()`` returns the N RGB frames).
        copy: when True (default, as Gymnasium's vector envs), a returned observation batch
            is never changed by a later ``step``/``reset``: frames are drawn straight into a
            batch that the caller then owns; a batch is recycled (no allocation) only once
            nothing but the env refers to it any more (see :class:`OutputPool`). When False
            the same array is returned every time and overwritten by the next call.
        max_episode_steps: optional step limit per episode (Gymnasium's ``TimeLimit``).
        **env_kwargs: passed to every :class:`~scoregames.ScoreGamesEnv` (frameskip, sticky
            actions, the game's own knobs, ...).

    Sub-env ``i`` is a full :class:`~scoregames.ScoreGamesEnv` (``envs[i]``); ``reset(seed=s)``
    seeds it with ``s + i``.

    >>> import gymnasium as gym, scoregames
    >>> envs = gym.make_vec("ScoreGames/Catch-v1", num_envs=3, hud=["standard", "hidden", "moved"])
    >>> obs, infos = envs.reset(seed=0)
    >>> obs.shape, infos["hud_visible"].tolist()
    ((3, 128, 128, 3), [True, False, True])
    >>> obs, rewards, terminations, truncations, infos = envs.step(envs.action_space.sample())
    >>> rewards.dtype, terminations.shape, infos["true_score"].shape
    (dtype('float64'), (3,), (3,))
    """

    def __init__(
        self,
        game: str,
        num_envs: int = 1,
        hud: HudSpec | Sequence[HudSpec] = "standard",
        reward_source: str = "true",
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        preprocess: bool = False,
        frame_stack: int = 4,
        image_size: int = 84,
        grayscale: bool = True,
        render_mode: str | None = None,
        copy: bool = True,
        max_episode_steps: int | None = None,
        **env_kwargs: Any,
    ):
        num_envs = _count("num_envs", num_envs)
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(f"unknown render_mode {render_mode!r} for a vector env; valid: rgb_array or None")
        try:
            self.autoreset_mode = AutoresetMode(autoreset_mode)
        except ValueError:
            valid = ", ".join(mode.value for mode in AutoresetMode)
            raise ValueError(f"unknown autoreset_mode {autoreset_mode!r}; valid: {valid}") from None
        if max_episode_steps is not None:
            max_episode_steps = _count("max_episode_steps", max_episode_steps, " or None")
        huds = _per_env_huds(hud, num_envs)
        self.envs = [ScoreGamesEnv(game, hud=spec, reward_source=reward_source, **env_kwargs) for spec in huds]
        first = self.envs[0]
        self.num_envs = num_envs
        self.render_mode = render_mode
        self.copy = bool(copy)
        self.max_episode_steps = max_episode_steps
        # Our own dict: never mutate the single env's class-level metadata.
        self.metadata = {
            "render_modes": list(RENDER_MODES),
            "render_fps": first.metadata["render_fps"],
            "autoreset_mode": self.autoreset_mode,
        }
        self.single_action_space = first.action_space
        self._num_actions = first._num_actions
        self.action_space = batch_space(self.single_action_space, num_envs)

        self.preprocess = bool(preprocess)
        self._preprocessor: _Preprocessor | None = None
        if self.preprocess:
            self._preprocessor = _Preprocessor(num_envs, frame_stack, image_size, grayscale)
            self.single_observation_space = self._preprocessor.single_space
            # Raw frames are scratch space here; one spare byte lets the grayscale lookup read
            # each pixel as a 4-byte word (see _Preprocessor.grayscale_batch).
            raw = np.zeros(num_envs * FRAME_HEIGHT * FRAME_WIDTH * 3 + 1, np.uint8)
            self._frames = raw[:-1].reshape(num_envs, *FRAME_SHAPE)
            self._raw_bytes = raw
        else:
            self.single_observation_space = first.observation_space
            self._frames = np.zeros((num_envs, *FRAME_SHAPE), np.uint8)
        self.observation_space = batch_space(self.single_observation_space, num_envs)

        # copy=True batches: recycled only once the caller holds no reference (see OutputPool).
        self._outputs = OutputPool((num_envs, *FRAME_SHAPE))
        self._needs_reset = np.zeros(num_envs, np.bool_)  # ended last step (NEXT_STEP/DISABLED)
        self._elapsed = [0] * num_envs
        self._started = False

    # ------------------------------------------------------------------ Gymnasium API
    def reset(
        self, *, seed: int | Sequence[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        n = self.num_envs
        seeds = _per_env_seeds(seed, n)
        options = dict(options) if options else {}
        reset_mask = options.pop("reset_mask", None)
        if reset_mask is None:
            mask = np.ones(n, np.bool_)
        else:
            mask = _check_reset_mask(reset_mask, n)
            if not self._started and not mask.all():
                raise RuntimeError("the first reset() must reset every sub-env (no reset_mask)")
        frames = self._frames_for_output()
        infos: list[dict[str, Any] | None] = [None] * n
        for i in np.flatnonzero(mask).tolist():
            env = self.envs[i]
            flags = env.reset_state(seed=seeds[i], options=options or None)
            env.observe(frames[i])
            infos[i] = env.step_info(flags, 0.0, 0, 0)
            self._needs_reset[i] = False
            self._elapsed[i] = 0
        if reset_mask is not None and frames is not self._frames:
            # A fresh batch must still show the sub-envs that were not reset: redrawing their
            # unchanged state gives the same pixels as their last observation.
            for i in np.flatnonzero(~mask).tolist():
                self.envs[i].draw_into(frames[i])
        self._started = True
        observations = self._reset_observations(frames, mask)
        return observations, batch_infos(infos, n)

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._started:
            raise RuntimeError("call reset() before step()")
        n = self.num_envs
        _, action_list = _checked_actions(actions, n, self._num_actions, self.envs[0]._check_action)
        mode = self.autoreset_mode
        same_step = mode is AutoresetMode.SAME_STEP
        limit = self.max_episode_steps
        frames = self._frames_for_output()
        rewards = [0.0] * n
        terminations = [False] * n
        truncations = [False] * n
        # Per sub-env: the game's flags and the env's INFO_KEYS values, batched column-wise below.
        flag_dicts: list[dict[str, Any] | None] = [None] * n
        info_rows: list[tuple[Any, ...]] = [()] * n
        final_obs: dict[int, np.ndarray] = {}
        final_infos: dict[int, dict[str, Any]] = {}
        needs_reset = self._needs_reset
        elapsed = self._elapsed
        resetting = needs_reset.any()
        if resetting and mode is AutoresetMode.DISABLED:
            ended = np.flatnonzero(needs_reset).tolist()
            raise RuntimeError(
                f"sub-envs {ended} have ended; with autoreset_mode=DISABLED reset them with "
                "reset(options={'reset_mask': mask}) before stepping"
            )
        for i, env in enumerate(self.envs):
            frame = frames[i]
            if resetting and needs_reset[i]:
                # NEXT_STEP: this step only resets the sub-env; its action is ignored.
                flag_dicts[i] = env.reset_state()
                env.observe(frame)
                info_rows[i] = env.info_values(0.0, 0, 0)
                elapsed[i] = 0
                continue
            reward, terminated, truncated, flags, counts = env.advance(action_list[i])
            if limit is not None:
                elapsed[i] += 1
                if elapsed[i] >= limit:
                    truncated = True
            env.observe(frame)
            values = env.info_values(*counts)
            rewards[i] = reward
            if terminated or truncated:
                terminations[i] = terminated
                truncations[i] = truncated
                if same_step:
                    final_obs[i] = frame.copy()
                    final_infos[i] = info_dict(flags, values)
                    flags = env.reset_state()
                    env.observe(frame)
                    values = env.info_values(0.0, 0, 0)
                    elapsed[i] = 0
            flag_dicts[i] = flags
            info_rows[i] = values
        terminated_array = np.array(terminations, np.bool_)
        truncated_array = np.array(truncations, np.bool_)
        if same_step:
            restart = np.zeros(n, np.bool_)
            restart[list(final_obs)] = True
        else:
            restart = needs_reset
            self._needs_reset = terminated_array | truncated_array
        observations = self._step_observations(frames, restart, final_obs)
        batched_infos = _batch_step_infos(flag_dicts, info_rows, n)
        if final_obs:
            self._add_final(batched_infos, final_obs, final_infos)
        return (
            observations,
            np.array(rewards, np.float64),
            terminated_array,
            truncated_array,
            batched_infos,
        )

    def render(self) -> tuple[np.ndarray, ...] | None:
        """The N sub-envs' current RGB frames (``render_mode="rgb_array"``), as Gymnasium's vector envs."""
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        if not self._started:
            raise RuntimeError("call reset() before render()")
        frames = np.empty((self.num_envs, *FRAME_SHAPE), np.uint8)
        for env, frame in zip(self.envs, frames):
            env.draw_into(frame)
        return tuple(frames)

    def close_extras(self, **kwargs: Any) -> None:
        for env in self.envs:
            env.close()

    # ------------------------------------------------------------------ sub-env access
    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """Call method ``name`` of every sub-env (or read it, if not callable)."""
        results = []
        for env in self.envs:
            attribute = getattr(env, name)
            results.append(attribute(*args, **kwargs) if callable(attribute) else attribute)
        return tuple(results)

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """Attribute ``name`` of every sub-env."""
        return tuple(getattr(env, name) for env in self.envs)

    def set_attr(self, name: str, values: Any | Sequence[Any]) -> None:
        """Set attribute ``name`` on every sub-env: one value each (a list of N) or the same for all."""
        if not isinstance(values, list | tuple):
            values = [values] * self.num_envs
        if len(values) != self.num_envs:
            raise ValueError(f"values must have length {self.num_envs}, got {len(values)}")
        for env, value in zip(self.envs, values):
            setattr(env, name, value)

    # ------------------------------------------------------------------ helpers
    def _frames_for_output(self) -> np.ndarray:
        """Where this call draws: a batch the caller will own, or our reused buffer."""
        if self.copy and self._preprocessor is None:
            return self._outputs.take()
        return self._frames

    def _reset_observations(self, frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self._preprocessor is None:
            return frames
        self._preprocessor.restart(mask, self._frames, self._raw_bytes)
        return self._preprocessor.stacked(self.copy)

    def _step_observations(
        self, frames: np.ndarray, restart: np.ndarray, final_obs: dict[int, np.ndarray]
    ) -> np.ndarray:
        """This step's observations; turns raw ``final_obs`` frames into final stacks when preprocessing."""
        preprocessor = self._preprocessor
        if preprocessor is None:
            return frames
        preprocessor.push(self._frames, self._raw_bytes)
        for i, frame in final_obs.items():
            final_obs[i] = preprocessor.final_stack(i, frame)
        if restart.any():
            preprocessor.restart(restart)
        return preprocessor.stacked(self.copy)

    def _add_final(
        self,
        batched_infos: dict[str, Any],
        final_obs: dict[int, np.ndarray],
        final_infos: dict[int, dict[str, Any]],
    ) -> None:
        """Gymnasium's SAME_STEP layout: object array ``final_obs`` and batched ``final_info``."""
        n = self.num_envs
        obs_array = np.full(n, None, dtype=object)
        for i, frame in final_obs.items():
            obs_array[i] = frame
        mask = np.zeros(n, np.bool_)
        mask[list(final_obs)] = True
        batched_infos["final_obs"], batched_infos["_final_obs"] = obs_array, mask
        per_env: list[dict[str, Any] | None] = [final_infos.get(i) for i in range(n)]
        batched_infos["final_info"], batched_infos["_final_info"] = batch_infos(per_env, n), mask.copy()


class OutputPool:
    """Arrays handed to the caller, recycled only when the caller can no longer see them.

    ``copy=True`` promises that a returned batch is never changed by a later step. Allocating a
    new multi-megabyte batch every step costs page faults and cold caches (at N=256 about as
    much as drawing the frames), so the pool keeps the last few batches it handed out and
    reuses one only when CPython's reference count shows that nothing but the pool refers to
    it: no variable, no view, no container, no tensor made with ``torch.from_numpy``. The
    usual loop (``obs, ... = envs.step(a)``) drops a batch one step later, so two or three
    arrays serve a whole run. Without ``sys.getrefcount`` (other Pythons) every batch is new.
    """

    KEEP = 3

    def __init__(self, shape: tuple[int, ...], dtype: type = np.uint8):
        self.shape = shape
        self.dtype = dtype
        self._recent: list[np.ndarray] = []

    def take(self) -> np.ndarray:
        recent = self._recent
        if _CAN_COUNT_REFERENCES:
            for index in range(len(recent)):
                # Two references: the list slot and getrefcount's own argument.
                if sys.getrefcount(recent[index]) == 2:
                    array = recent.pop(index)
                    recent.append(array)
                    return array
        array = np.empty(self.shape, self.dtype)
        recent.append(array)
        if len(recent) > self.KEEP:
            recent.pop(0)  # now the caller's alone
        return array


_CAN_COUNT_REFERENCES = hasattr(sys, "getrefcount") and sys.implementation.name == "cpython"


class _Preprocessor:
    """Grayscale -> resize -> frame stack for the whole batch, equal to Gymnasium's wrappers.

    Grayscale uses a lookup table of Gymnasium's own formula over every 24-bit colour, so it is
    exact and ~15x faster than the float64 formula per frame. Resizing runs cv2 INTER_AREA
    once on the N frames stacked as one tall image when that provably uses the same weights
    as resizing each frame (checked from OpenCV's area table), else once per frame.
    """

    def __init__(self, num_envs: int, frame_stack: int, image_size: int, grayscale: bool):
        frame_stack = _count("frame_stack", frame_stack)
        image_size = _count("image_size", image_size)
        self.num_envs = num_envs
        self.frame_stack = frame_stack
        self.image_size = image_size
        self.grayscale = bool(grayscale)
        channels = () if self.grayscale else (3,)
        self.frame_shape = (image_size, image_size, *channels)
        self.single_space = gym.spaces.Box(0, 255, (frame_stack, *self.frame_shape), np.uint8)
        # ring[j] holds the whole batch's j-th most recent frame slot; head is the newest.
        self.ring = np.zeros((frame_stack, num_envs, *self.frame_shape), np.uint8)
        self.head = 0
        self.out = np.zeros((num_envs, frame_stack, *self.frame_shape), np.uint8)
        self.outputs = OutputPool(self.out.shape)
        pixels = num_envs * FRAME_HEIGHT * FRAME_WIDTH
        # intp keys: np.take casts any other index dtype to intp first, an extra pass per step.
        self._keys = np.empty(pixels, np.intp)
        self._gray = np.empty((num_envs, FRAME_HEIGHT, FRAME_WIDTH), np.uint8)
        self._tall = _tall_resize_is_exact(FRAME_HEIGHT, image_size, num_envs)

    def grayscale_batch(self, raw_bytes: np.ndarray) -> np.ndarray:
        # Each pixel read as the little-endian word (r, g, b, next byte); masking the last byte
        # gives a 24-bit colour key with no per-channel passes.
        words = np.ndarray((self._keys.size,), dtype="<u4", buffer=raw_bytes, offset=0, strides=(3,))
        np.bitwise_and(words, 0xFFFFFF, out=self._keys, casting="unsafe")
        np.take(_gray_lut(), self._keys, out=self._gray.reshape(-1))
        return self._gray

    def resize(self, images: np.ndarray, out: np.ndarray) -> None:
        size = self.image_size
        if size == FRAME_HEIGHT:
            out[...] = images  # cv2.resize to the same size is a plain copy
            return
        n = images.shape[0]
        if self._tall and n == self.num_envs:
            tall = images.reshape(n * FRAME_HEIGHT, FRAME_WIDTH, *images.shape[3:])
            target = out.reshape(n * size, size, *out.shape[3:])
            cv2.resize(tall, (size, n * size), dst=target, interpolation=cv2.INTER_AREA)
        else:
            for image, target in zip(images, out):
                target[...] = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).reshape(target.shape)

    def _preprocess_into(self, frames: np.ndarray, raw_bytes: np.ndarray, out: np.ndarray) -> None:
        images = self.grayscale_batch(raw_bytes) if self.grayscale else frames
        self.resize(images, out)

    def push(self, frames: np.ndarray, raw_bytes: np.ndarray) -> None:
        """A step: every sub-env's new frame becomes the newest of its stack."""
        self.head = (self.head + 1) % self.frame_stack
        self._preprocess_into(frames, raw_bytes, self.ring[self.head])

    def restart(self, mask: np.ndarray, frames: np.ndarray | None = None, raw_bytes: np.ndarray | None = None) -> None:
        """Sub-envs in ``mask`` start a new stack from their newest frame, as
        ``FrameStackObservation(padding_type="reset")`` does; with ``frames``, that frame is
        first preprocessed from them (a reset) instead of taken from the last push (a step)."""
        if frames is not None and raw_bytes is not None:
            newest = np.empty((self.num_envs, *self.frame_shape), np.uint8)
            self._preprocess_into(frames, raw_bytes, newest)
        else:
            newest = self.ring[self.head]
        if mask.all():
            self.ring[:] = newest
        else:
            self.ring[:, mask] = newest[mask]

    def stacked(self, copy: bool) -> np.ndarray:
        """The batch of stacks, oldest frame first (one the caller alone holds, when ``copy``)."""
        out = self.outputs.take() if copy else self.out
        k = self.frame_stack
        for j in range(k):
            out[:, j] = self.ring[(self.head + 1 + j) % k]
        return out

    def final_stack(self, index: int, frame: np.ndarray) -> np.ndarray:
        """Sub-env ``index``'s stack ending in raw ``frame``: its last stack before a same-step reset.

        Call after :meth:`push` and before :meth:`restart` of this step.
        """
        k = self.frame_stack
        stack = np.empty((k, *self.frame_shape), np.uint8)
        for j in range(k - 1):
            stack[j] = self.ring[(self.head + 1 + j) % k][index]
        if self.grayscale:
            raw = np.zeros(frame.size + 1, np.uint8)
            raw[:-1] = frame.reshape(-1)
            words = np.ndarray((frame.size // 3,), dtype="<u4", buffer=raw, offset=0, strides=(3,))
            image = np.take(_gray_lut(), words & 0xFFFFFF).reshape(FRAME_HEIGHT, FRAME_WIDTH)
        else:
            image = frame
        size = self.image_size
        stack[k - 1] = image if size == FRAME_HEIGHT else cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)
        return stack


def _checked_actions(actions: Any, num_envs: int, num_actions: int, check_action: Any) -> tuple[np.ndarray, list[Any]]:
    """A step's actions, flat, as an array and a list, every one checked before any sub-env moves,
    so a bad one changes nothing (one range check of the batch; ``check_action``'s message, the
    single env's, per action only on failure)."""
    array = np.asarray(actions).reshape(-1)
    if len(array) != num_envs:
        raise ValueError(f"expected {num_envs} actions, got {len(array)}")
    values = array.tolist()
    if array.dtype.kind not in "iu" or min(values) < 0 or max(values) >= num_actions:
        for action in values:
            check_action(action)
    return array, values


def _count(name: str, value: Any, alternative: str = "") -> int:
    """A count argument as an int: a Python or numpy integer >= 1 (not a bool), else a ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise ValueError(f"{name} must be an int >= 1{alternative}, got {value!r}")
    return int(value)


def _per_env_seeds(seed: int | Sequence[int | None] | None, num_envs: int) -> list[int | None]:
    """One seed per sub-env: ``seed + i`` for an int, ``None`` for each, or the list as given."""
    if seed is None:
        return [None] * num_envs
    if isinstance(seed, int | np.integer):
        return [int(seed) + i for i in range(num_envs)]
    if isinstance(seed, str | bytes) or not isinstance(seed, Sequence | np.ndarray):
        raise TypeError(f"seed must be an int, None or a list of {num_envs} seeds, got {seed!r}")
    seeds = [int(s) if isinstance(s, np.integer) else s for s in seed]  # numpy integers as for an int seed
    if len(seeds) != num_envs:
        raise ValueError(f"seed must be an int, None or a list of {num_envs} seeds, got length {len(seeds)}")
    return seeds


def _per_env_huds(hud: HudSpec | Sequence[HudSpec], num_envs: int) -> list[HudSpec]:
    if isinstance(hud, list | tuple):
        if len(hud) != num_envs:
            raise ValueError(f"hud as a list needs one spec per sub-env ({num_envs}), got {len(hud)}")
        return list(hud)
    return [cast(HudSpec, hud)] * num_envs


def _check_reset_mask(reset_mask: Any, num_envs: int) -> np.ndarray:
    if not isinstance(reset_mask, np.ndarray):
        raise TypeError(f"options['reset_mask'] must be a numpy array, got {type(reset_mask)}")
    if reset_mask.shape != (num_envs,):
        raise ValueError(f"options['reset_mask'] must have shape ({num_envs},), got {reset_mask.shape}")
    if reset_mask.dtype != np.bool_:
        raise TypeError(f"options['reset_mask'] must have dtype bool, got {reset_mask.dtype}")
    if not reset_mask.any():
        raise ValueError("options['reset_mask'] must reset at least one sub-env")
    return reset_mask


def batch_infos(infos: Sequence[dict[str, Any] | None], num_envs: int) -> dict[str, Any]:
    """Batch per-sub-env info dicts exactly as Gymnasium's ``VectorEnv._add_info`` does.

    Each key becomes an array over sub-envs (dtype from the first sub-env that has it: Python
    ``int``/``float``/``bool`` and numpy numbers keep their type, arrays are stacked, anything
    else goes in an object array) plus a ``_key`` mask of the sub-envs that reported it.
    ``None`` marks a sub-env with no info this call. Much faster than ``_add_info`` per env
    because every key is filled in one go.

    >>> out = batch_infos([{"lives": 3}, None], 2)
    >>> out["lives"].tolist(), out["_lives"].tolist()
    ([3, 0], [True, False])
    """
    present = [i for i, info in enumerate(infos) if info is not None]
    result: dict[str, Any] = {}
    if not present:
        return result
    first = infos[present[0]]
    assert first is not None
    size = len(first)
    if len(present) == num_envs and all(len(info) == size for info in infos):  # type: ignore[arg-type]
        # The normal case: every sub-env reported the same keys (equal sizes, and a missing
        # key below means they differ after all), so each key is one gather and one array.
        try:
            columns = {key: [info[key] for info in infos] for key in first}  # type: ignore[index]
        except KeyError:
            columns = None
        if columns is not None:
            full = np.ones(num_envs, np.bool_)
            for key, values in columns.items():
                result[key] = _batch_values(values, present, num_envs)
                result[f"_{key}"] = full.copy()
            return result
    keys = dict.fromkeys(key for i in present for key in infos[i])  # type: ignore[union-attr]
    for key in keys:
        having = [i for i in present if key in infos[i]]  # type: ignore[operator]
        values = [infos[i][key] for i in having]  # type: ignore[index]
        result[key] = _batch_values(values, having, num_envs)
        mask = np.zeros(num_envs, np.bool_)
        mask[having] = True
        result[f"_{key}"] = mask
    return result


def _batch_step_infos(flag_dicts: list[dict[str, Any] | None], rows: list[tuple[Any, ...]], n: int) -> dict[str, Any]:
    """What :func:`batch_infos` gives for the sub-envs' ``info_dict(flags, values)``, faster.

    The game's flags go through :func:`batch_infos`; the env's own keys come from the value
    tuples, transposed in one ``zip`` (hud_bbox tuples straight into an ``(n, 4)`` array), so no
    sub-env builds a dict or a bbox array.
    """
    result = batch_infos(flag_dicts, n)
    everyone = list(range(n))
    masks = np.ones((len(INFO_KEYS), n), np.bool_)  # one row (a distinct array) per key
    for index, (key, column) in enumerate(zip(INFO_KEYS, zip(*rows))):
        if key == "hud_bbox":
            result[key] = np.array(column, np.int64)
        else:
            result[key] = _batch_values(list(column), everyone, n)
        result[f"_{key}"] = masks[index]
    return result


def _batch_values(values: list[Any], indices: list[int], num_envs: int) -> Any:
    """One key's values (from sub-envs ``indices``) as Gymnasium batches them."""
    first = values[0]
    if isinstance(first, dict):
        sub: list[dict[str, Any] | None] = [None] * num_envs
        for i, value in zip(indices, values):
            sub[i] = value
        return batch_infos(sub, num_envs)
    kind = type(first)
    full = len(indices) == num_envs
    if kind in (int, float, bool) or issubclass(kind, np.number):
        if full:
            return np.array(values, dtype=kind)
        array = np.zeros(num_envs, dtype=kind)
    elif isinstance(first, np.ndarray):
        if full:
            return np.stack(values).astype(first.dtype, copy=False)
        array = np.zeros((num_envs, *first.shape), dtype=first.dtype)
    else:
        array = np.full(num_envs, None, dtype=object)
    for i, value in zip(indices, values):
        array[i] = value
    return array


@cache
def _gray_lut() -> np.ndarray:
    """Gymnasium's grayscale of every 24-bit colour, indexed by ``r | g << 8 | b << 16``."""
    lut = np.empty(1 << 24, np.uint8)
    low = np.arange(1 << 16, dtype=np.uint32)
    rg = np.stack([low & 0xFF, low >> 8], axis=-1).astype(np.uint8)
    colors = np.empty((1 << 16, 3), np.uint8)
    colors[:, :2] = rg
    for blue in range(256):
        colors[:, 2] = blue
        # The very expression GrayscaleObservation applies to each frame.
        lut[blue << 16 : (blue + 1) << 16] = np.sum(np.multiply(colors, GRAY_WEIGHTS), axis=-1).astype(np.uint8)
    return lut


def _area_table(source: int, target: int) -> list[tuple[int, int, np.float32]]:
    """OpenCV's INTER_AREA weights (``computeResizeAreaTab``): (target index, source index, weight)."""
    scale = 1.0 / (target / source)
    table = []
    for dx in range(target):
        fsx1 = dx * scale
        fsx2 = fsx1 + scale
        cell = min(scale, source - fsx1)
        sx1, sx2 = int(np.ceil(fsx1)), int(np.floor(fsx2))
        sx2 = min(sx2, source - 1)
        sx1 = min(sx1, sx2)
        if sx1 - fsx1 > 1e-3:
            table.append((dx, sx1 - 1, np.float32((sx1 - fsx1) / cell)))
        for sx in range(sx1, sx2):
            table.append((dx, sx, np.float32(1.0 / cell)))
        if fsx2 - sx2 > 1e-3:
            table.append((dx, sx2, np.float32(min(min(fsx2 - sx2, 1.0), cell) / cell)))
    return table


def _tall_resize_is_exact(source: int, target: int, count: int) -> bool:
    """Whether resizing ``count`` frames stacked vertically equals resizing each frame.

    True when OpenCV's row weights for the tall image are each frame's weights repeated, so
    no output row mixes two frames and every weight is bit-identical.
    """
    if target >= source:
        return False
    single = _area_table(source, target)
    tall = _area_table(source * count, target * count)
    expected = [(dy + k * target, sy + k * source, weight) for k in range(count) for dy, sy, weight in single]
    return tall == expected
