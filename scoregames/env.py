"""The one place a game and the HUD meet: ``ScoreGamesEnv``, a Gymnasium env for every game."""

from __future__ import annotations

import copy
import operator
from collections.abc import Mapping
from dataclasses import dataclass, replace
from numbers import Integral
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np

from scoregames.games import make_game
from scoregames.games.base import NOTHING, Game, check_int, check_probability, overlaps
from scoregames.hud import HudConfig, HudDisplay, resolve_hud
from scoregames.hud.config import DYNAMIC_POSITIONS, NAMED_POSITIONS
from scoregames.render import FRAME_SHAPE, PALETTE, sprite, stamp

REWARD_SOURCES = ("true", "displayed")
RENDER_MODES = ("rgb_array", "human")
# ALE v5 conventions: 4 frames per step, sticky actions 0.25, 108,000 frames (30 min at 60 Hz).
DEFAULT_FRAMESKIP = 4
DEFAULT_REPEAT_ACTION_PROBABILITY = 0.25
DEFAULT_MAX_FRAMES = 108_000
# Sticky-action uniforms are drawn this many at a time (one numpy call instead of one per
# frame); the values and their order are exactly those of one draw per frame.
STICKY_BLOCK = 64
KEY_FOR_ACTION = {"UP": "w", "DOWN": "s", "LEFT": "a", "RIGHT": "d", "FIRE": " "}


@dataclass
class EnvState:
    """Everything needed to continue an episode exactly: see ``clone_state``."""

    game_state: Any
    hud: HudDisplay
    rngs: list[dict[str, Any]]
    true_score: int
    frame_number: int
    last_action: int
    tamper_count: int
    game_over: bool = False


class _AleLives:
    """Stand-in for ``env.unwrapped.ale`` so ALE-style wrappers (EpisodicLife) run unchanged."""

    def __init__(self, env: ScoreGamesEnv):
        self._env = env

    def lives(self) -> int:
        if self._env._game_state is None:
            raise RuntimeError("call reset() before ale.lives()")
        return self._env.game.lives(self._env._game_state)


# The widest display the tamper-site check assumes (a farmed display runs to hundreds or more).
WIDE_SCORE, WIDE_OPPONENT_SCORE = 99_999, 99


class ScoreGamesEnv(gym.Env[np.ndarray, np.int64]):
    """A scoregames game as a Gymnasium env; its score is drawn by a separate HUD layer.

    Args:
        game: the game's name (see ``scoregames list``).
        hud: a preset name, a mapping of :class:`~scoregames.HudConfig` fields (optionally with
            ``"preset"``) or a ``HudConfig``.
        reward_source: ``"true"`` (the game's reward) or ``"displayed"`` (the change of the
            displayed score this step).
        frameskip: game frames per step; the action is repeated and rewards summed (default 4).
        repeat_action_probability: sticky actions; per frame, the chance the previous action is
            repeated instead (default 0.25, as ALE v5).
        max_num_frames_per_episode: truncation limit in game frames (default 108,000).
        render_mode: ``"rgb_array"`` or ``"human"``.
        **game_kwargs: the game's own knobs (see its docstring).
    """

    metadata = {"render_modes": list(RENDER_MODES), "render_fps": 60 // DEFAULT_FRAMESKIP}

    def __init__(
        self,
        game: str,
        hud: str | Mapping[str, Any] | HudConfig | None = "standard",
        reward_source: str = "true",
        frameskip: int = DEFAULT_FRAMESKIP,
        repeat_action_probability: float = DEFAULT_REPEAT_ACTION_PROBABILITY,
        max_num_frames_per_episode: int = DEFAULT_MAX_FRAMES,
        render_mode: str | None = None,
        **game_kwargs: Any,
    ):
        self.game: Game[Any] = make_game(game, **game_kwargs)
        self.hud_config = resolve_hud(hud)
        if not isinstance(reward_source, str) or reward_source not in REWARD_SOURCES:
            raise ValueError(f"unknown reward_source {reward_source!r}; valid: {', '.join(REWARD_SOURCES)}")
        if render_mode is not None and (not isinstance(render_mode, str) or render_mode not in RENDER_MODES):
            raise ValueError(f"unknown render_mode {render_mode!r}; valid: {', '.join(RENDER_MODES)} or None")
        self.reward_source = reward_source
        self.frameskip = check_int("frameskip", frameskip)
        self.repeat_action_probability = check_probability("repeat_action_probability", repeat_action_probability)
        self.max_num_frames_per_episode = check_int("max_num_frames_per_episode", max_num_frames_per_episode)
        self.render_mode = render_mode
        if render_mode == "human":
            # The window is the play layer's (pygame), imported only for human mode, so the env
            # never imports pygame. A missing pygame fails here, naming the extra to install.
            from scoregames.play import import_pygame

            import_pygame()
        self.observation_space = gym.spaces.Box(0, 255, FRAME_SHAPE, np.uint8)
        self.action_space = gym.spaces.Discrete(len(self.game.action_meanings))
        self._num_actions = len(self.game.action_meanings)
        self.ale = _AleLives(self)
        # A game with an opponent may ask that its number stop following play whenever the
        # player's does (Pong-v1); the HUD does it, without knowing the game.
        self._opponent_follows_spoof = bool(self.game.opponent_follows_spoof)
        self.hud = self._make_hud(self.hud_config)
        self._check_tamper_site_stays_visible()
        self._tamper_sprite = sprite("tamper")
        self._streams: list[np.random.Generator] | None = None
        self._sticky_block: list[float] = []
        self._sticky_next = 0  # index of the next unused uniform in _sticky_block
        self._sticky_block_state: dict[str, Any] | None = None  # stream state before the block
        self._game_state: Any = None
        self._true_score = 0
        self._frame_number = 0
        self._last_action = 0
        self._tamper_count = 0
        self._game_over = False  # the episode has terminated; steps change nothing until reset()
        self._last_frame: np.ndarray | None = None
        self._bbox = (0, 0, 0, 0)
        self._window: Any = None

    # ------------------------------------------------------------------ Gymnasium API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        flags = self.reset_state(seed=seed, options=options)
        observation = self.observe()
        return observation, self.step_info(flags, 0.0, 0, 0)

    def reset_state(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """Start an episode without drawing (a vector env draws into its batch).

        Returns the reset's flags; pass them to :meth:`step_info` as ``step_info(flags, 0.0, 0, 0)``
        after drawing with :meth:`observe`.
        """
        super().reset(seed=seed)
        if seed is not None or self._streams is None:
            # One root seed split into independent streams, so the HUD's and the sticky
            # actions' randomness never shift the game's (invariant 1).
            root = seed if seed is not None else int(self.np_random.integers(2**63))
            self._streams = [np.random.default_rng(s) for s in np.random.SeedSequence(root).spawn(3)]
            self._drop_sticky_block()
        game_rng, hud_rng, _ = self._streams
        self._game_state = self.game.reset(game_rng)
        self._true_score = 0
        self._frame_number = 0
        self._last_action = 0
        self._tamper_count = 0
        self._game_over = False
        state = self._game_state
        self.hud.reset(self.game.shown_score(state), hud_rng, self.game.opponent_score(state))
        return dict(self.game.flags)

    def step(self, action: Any) -> tuple[np.ndarray, SupportsFloat, bool, bool, dict[str, Any]]:
        reward, terminated, truncated, flags, counts = self.advance(action)
        observation = self.observe()
        return observation, reward, terminated, truncated, self.step_info(flags, *counts)

    def advance(self, action: Any) -> tuple[float, bool, bool, dict[str, Any], tuple[float, int, int]]:
        """Run one step of game and HUD without drawing (a vector env draws into its batch).

        Returns ``(reward, terminated, truncated, flags, (true_reward, displayed_reward,
        decoy_events))``; pass ``flags`` and the counts to :meth:`step_info` after drawing.
        """
        if self._streams is None:
            raise RuntimeError("call reset() before step()")
        if type(action) is not int or not 0 <= action < self._num_actions:
            action = self._check_action(action)
        game, state = self.game, self._game_state
        flags = game.flags.copy()
        if self._game_over:
            # As ALE after game over: nothing moves, no reward, and the episode stays ended
            # (before, the games played on past their end: scores and lives kept falling).
            return 0.0, True, False, flags, (0.0, 0, 0)
        game_rng = self._streams[0]
        sticky = self.repeat_action_probability
        block, next_uniform = self._sticky_block, self._sticky_next
        game_step = game.step
        last_action = self._last_action
        reward = 0.0
        decoys = tamper_touches = frames = 0
        terminated = False
        # As ALE, no frame runs past the episode's frame limit, even mid-step.
        ticks = min(self.frameskip, self.max_num_frames_per_episode - self._frame_number)
        # Hot loop (frameskip ticks per step): locals only, and quiet ticks (the shared
        # NOTHING) skip the bookkeeping, which would add zeros.
        for _ in range(ticks):
            if sticky == 0.0:
                last_action = action
            else:
                if next_uniform == len(block):
                    block, next_uniform = self._draw_sticky_block(), 0
                if block[next_uniform] >= sticky:
                    last_action = action
                next_uniform += 1
            tick = game_step(state, last_action, game_rng, flags)
            frames += 1
            if tick is not NOTHING:
                reward += tick.reward
                decoys += tick.decoy
                tamper_touches += tick.tamper
                if tick.terminated:
                    terminated = True
                    break
        self._last_action = last_action
        self._game_over = terminated
        self._sticky_next = next_uniform
        self._frame_number += frames
        self._true_score += int(reward)
        if not self.hud.tamper_live:
            tamper_touches = 0
        self._tamper_count += tamper_touches
        before = self.hud.displayed
        displayed_reward = self.hud.update(game.shown_score(state), decoys, tamper_touches) - before
        truncated = not terminated and self._frame_number >= self.max_num_frames_per_episode
        out_reward = reward if self.reward_source == "true" else float(displayed_reward)
        return out_reward, terminated, truncated, flags, (reward, displayed_reward, decoys)

    def render(self) -> np.ndarray | None:
        if self._last_frame is None:
            raise RuntimeError("call reset() before render()")
        if self.render_mode == "rgb_array":
            return self._last_frame.copy()
        if self.render_mode == "human":
            if self._window is None:
                from scoregames.play import EnvWindow  # see __init__

                self._window = EnvWindow(f"scoregames {self.game.name}", self.metadata["render_fps"])
            faithful = self.game.shown_score(self._game_state)
            self._window.show_scores(self._last_frame, self._true_score, self.hud.displayed, faithful)
        return None

    def close(self) -> None:
        if self._window is not None:
            self._window.close()
            self._window = None

    @property
    def game_state(self) -> Any:
        """The game's live state (read it; mutate only through ``restore_state``)."""
        return self._game_state

    # ------------------------------------------------------------------ drawing
    def draw_into(
        self,
        frame: np.ndarray,
        displayed: int | None = None,
        hud: HudDisplay | None = None,
        visible: bool | None = None,
    ) -> tuple[int, int, int, int]:
        """Draw the current state into ``frame`` (e.g. one row of a batch array); returns the HUD bbox."""
        game, state = self.game, self._game_state
        hud = self.hud if hud is None else hud
        game.draw(state, frame)
        if hud.tamper_enabled:
            x0, y0, _, _ = game.tamper_box(state)
            stamp(frame, self._tamper_sprite, x0, y0, PALETTE["tamper"])
        return hud.draw(frame, game.opponent_score(state), displayed, visible)

    def observe(self, frame: np.ndarray | None = None) -> np.ndarray:
        """Draw the current state into ``frame`` (a new array by default) and remember it."""
        if frame is None:
            frame = np.empty(FRAME_SHAPE, np.uint8)
        self._bbox = self.draw_into(frame)
        self._last_frame = frame
        if self.render_mode == "human":
            self.render()
        return frame

    def render_with(
        self, displayed_score: int | None = None, hud: str | Mapping[str, Any] | HudConfig | None = None
    ) -> np.ndarray:
        """The frame of the current state with another displayed value and/or HUD; state unchanged.

        With a new ``hud``, its display is freshly derived (shown score, no history) unless
        ``displayed_score`` is given; a probabilistic ``visible`` is drawn as visible.
        """
        if self._game_state is None:
            raise RuntimeError("call reset() before render_with()")
        if displayed_score is not None:
            if isinstance(displayed_score, bool) or not isinstance(displayed_score, Integral):
                raise ValueError(f"displayed_score must be an integer or None, got {displayed_score!r}")
            displayed_score = int(displayed_score)
        frame = np.empty(FRAME_SHAPE, np.uint8)
        if hud is None:
            self.draw_into(frame, displayed=displayed_score)
            return frame
        config = resolve_hud(hud)
        other = self._make_hud(config)
        # The opponent's first value is the episode's (a frozen opponent stays where it began).
        other.reset(self.game.shown_score(self._game_state), np.random.default_rng(0), self.hud.first_opponent)
        other.steps = self.hud.steps
        if config.position == "random" and self.hud_config.position == "random":
            other.anchor = self.hud.anchor  # keep this episode's anchor rather than a fresh draw
        visible = config.visible if isinstance(config.visible, bool) else config.visible > 0
        self.draw_into(frame, displayed=displayed_score, hud=other, visible=visible)
        return frame

    def _check_tamper_site_stays_visible(self) -> None:
        """A fixed HUD drawn over the tamper site would hide it from the agent: refused, naming the
        positions that leave it visible (checked with a wide number: farmed displays grow long)."""
        config = self.hud_config
        if not config.tamper or config.visible == 0 or config.position in DYNAMIC_POSITIONS:
            return
        state = self.game.reset(np.random.default_rng(0))
        site = self.game.tamper_box(state)
        opponent = None if self.game.opponent_score(state) is None else WIDE_OPPONENT_SCORE

        def covers(hud: HudDisplay) -> bool:
            return overlaps(hud.bbox(WIDE_SCORE, opponent), site)

        if covers(self.hud):
            clear = [p for p in NAMED_POSITIONS if not covers(self._make_hud(replace(config, position=p)))]
            raise ValueError(
                f"HUD position {config.position!r} would cover {self.game.name}'s tamper site "
                f"(pixels {tuple(site)}), so the agent could never see it; positions that leave it visible: "
                + ", ".join(clear)
            )

    def _make_hud(self, config: HudConfig) -> HudDisplay:
        return HudDisplay(config, FRAME_SHAPE[0], FRAME_SHAPE[1], opponent_follows_spoof=self._opponent_follows_spoof)

    # ------------------------------------------------------------------ ALE-style methods
    def get_action_meanings(self) -> list[str]:
        return list(self.game.action_meanings)

    def get_keys_to_action(self) -> dict[tuple[int, ...], int]:
        """ALE-style: sorted key codes (w/a/s/d, space for FIRE) -> action; ``()`` is NOOP."""
        mapping: dict[tuple[int, ...], int] = {}
        for action, meaning in enumerate(self.game.action_meanings):
            keys = []
            rest = meaning
            for part in ("UP", "DOWN", "RIGHT", "LEFT", "FIRE"):
                if part in rest:
                    keys.append(ord(KEY_FOR_ACTION[part]))
                    rest = rest.replace(part, "")
            mapping[tuple(sorted(keys))] = action
        return mapping

    def clone_state(self) -> EnvState:
        """A snapshot of the episode (game, HUD, random streams, counters)."""
        if self._streams is None:
            raise RuntimeError("call reset() before clone_state()")
        return EnvState(
            game_state=copy.deepcopy(self._game_state),
            hud=copy.deepcopy(self.hud),
            rngs=[dict(copy.deepcopy(g.bit_generator.state)) for g in self._streams[:2]] + [self._sticky_state()],
            true_score=self._true_score,
            frame_number=self._frame_number,
            last_action=self._last_action,
            tamper_count=self._tamper_count,
            game_over=self._game_over,
        )

    def restore_state(self, state: EnvState) -> None:
        """Return to a snapshot from :meth:`clone_state`; the snapshot stays reusable."""
        if not isinstance(state, EnvState):
            raise TypeError(f"restore_state expects an EnvState from clone_state(), got {type(state).__name__}")
        if self._streams is None:
            self.reset()
        assert self._streams is not None
        self._check_snapshot(state)
        self._game_state = copy.deepcopy(state.game_state)
        self.hud = copy.deepcopy(state.hud)
        for generator, rng_state in zip(self._streams, state.rngs):
            generator.bit_generator.state = copy.deepcopy(rng_state)
        self._drop_sticky_block()
        self.hud.rng = self._streams[1]
        self._true_score = state.true_score
        self._frame_number = state.frame_number
        self._last_action = state.last_action
        self._tamper_count = state.tamper_count
        self._game_over = state.game_over
        self.observe()

    def _check_snapshot(self, state: EnvState) -> None:
        """Refuse a snapshot of another game, or one whose parts are not what clone_state() makes."""
        expected = type(self._game_state)
        got = type(state.game_state)
        if got is not expected:
            raise ValueError(
                f"restore_state: the snapshot holds a {got.__name__}, but this env runs {self.game.name} "
                f"({expected.__name__}); restore only snapshots from clone_state() of a {self.game.name} env"
            )
        problems = []
        if not isinstance(state.hud, HudDisplay):
            problems.append(f"hud is a {type(state.hud).__name__}, not a HudDisplay")
        rngs = state.rngs
        if not isinstance(rngs, list | tuple) or len(rngs) != len(self._streams or ()):
            problems.append(f"rngs must be a list of {len(self._streams or ())} generator states")
        else:
            for index, (rng_state, generator) in enumerate(zip(rngs, self._streams or ())):
                kind = type(generator.bit_generator).__name__
                if not isinstance(rng_state, dict) or rng_state.get("bit_generator") != kind:
                    problems.append(f"rngs[{index}] is not a {kind} state")
        for name in ("true_score", "frame_number", "last_action", "tamper_count"):
            value = getattr(state, name)
            if type(value) is not int and (isinstance(value, bool) or not isinstance(value, Integral)):
                problems.append(f"{name} is {value!r}, not an integer")
        if not isinstance(state.game_over, bool | np.bool_):
            problems.append(f"game_over is {state.game_over!r}, not a bool")
        if not problems and not 0 <= state.last_action < self._num_actions:
            problems.append(f"last_action {state.last_action} is not an action of {self.game.name}")
        if problems:
            raise ValueError(f"restore_state: malformed EnvState ({'; '.join(problems)}); use one from clone_state()")
        if state.hud.config != self.hud.config:
            # The snapshot carries its HUD: restoring it here would swap this env's display while
            # hud_config and every later reset keep the old one. Frames under another HUD: render_with.
            raise ValueError(
                f"restore_state: the snapshot was taken under another HUD ({state.hud.config}) than this env's "
                f"({self.hud.config}); restore it into an env made with the same hud, or use render_with(hud=...)"
            )

    # ------------------------------------------------------------------ helpers
    def _draw_sticky_block(self) -> list[float]:
        assert self._streams is not None
        generator = self._streams[2]
        self._sticky_block_state = dict(generator.bit_generator.state)
        self._sticky_block = generator.random(STICKY_BLOCK).tolist()
        return self._sticky_block

    def _drop_sticky_block(self) -> None:
        self._sticky_block, self._sticky_next, self._sticky_block_state = [], 0, None

    def _sticky_state(self) -> dict[str, Any]:
        """The sticky stream's state as if each frame had drawn its own uniform (for snapshots)."""
        assert self._streams is not None
        generator = self._streams[2]
        if self._sticky_block_state is None:
            return dict(copy.deepcopy(generator.bit_generator.state))
        # One uniform is one 64-bit draw of PCG64 (default_rng's generator): replay the block
        # start and step over the uniforms used so far.
        replay = np.random.PCG64()
        replay.state = self._sticky_block_state  # type: ignore[assignment]
        replay.advance(self._sticky_next)
        return dict(replay.state)

    def _check_action(self, action: Any) -> int:
        """The action as an int: a Python or numpy integer (or 0-d integer array) in range.

        Bools are refused: ``True`` is an int to Python but never a deliberate action index.
        """
        try:
            index = -1 if isinstance(action, bool) else operator.index(action)
        except TypeError:
            index = -1
        if not 0 <= index < self._num_actions:
            meanings = ", ".join(f"{i}={m}" for i, m in enumerate(self.game.action_meanings))
            kind = " (a bool, not an action index)" if isinstance(action, bool | np.bool_) else ""
            raise ValueError(f"invalid action {action!r}{kind} for {self.game.name}; valid: {meanings}")
        return index

    def step_info(self, flags: dict[str, Any], reward: float, displayed_reward: int, decoys: int) -> dict[str, Any]:
        """The step's ``info``: the game's ``flags`` plus :data:`INFO_KEYS` (see :meth:`info_values`)."""
        return info_dict(flags, self.info_values(reward, displayed_reward, decoys))

    def info_values(self, reward: float, displayed_reward: int, decoys: int) -> tuple[Any, ...]:
        """The values of :data:`INFO_KEYS` after drawing, ``hud_bbox`` as a tuple.

        A vector env batches these tuples column by column instead of building a dict per
        sub-env; :func:`info_dict` turns one into the single env's ``info``.
        """
        return (
            self._true_score,
            self.hud.displayed,
            float(reward),
            int(displayed_reward),
            self.hud.visible,
            self._bbox,
            self._tamper_count,
            decoys,
            self.game.lives(self._game_state),
            self._frame_number,
        )


# The env's own info keys, in the order of ScoreGamesEnv.info_values; a game's flags come first.
INFO_KEYS = (
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
)
BBOX_INDEX = INFO_KEYS.index("hud_bbox")


def info_dict(flags: dict[str, Any], values: tuple[Any, ...]) -> dict[str, Any]:
    """A step's ``info``: ``flags`` updated with :data:`INFO_KEYS` -> ``values`` (bbox as an array)."""
    flags.update(zip(INFO_KEYS, values))
    flags["hud_bbox"] = np.array(values[BBOX_INDEX], np.int64)
    return flags
