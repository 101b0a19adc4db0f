"""Human play: a pygame-ce window showing the agent's exact frame, scaled with sharp pixels.

``scoregames play <Game>`` (or ``python -m scoregames.play <Game>``) opens a window with the
frame the agent sees, scaled up nearest-neighbour, and a side panel with the true score, the
displayed score, lives, the HUD preset and the keys, so the player sees when the display lies.
``--record FILE`` saves the session in the format of :mod:`scoregames.recording`.

pygame is imported lazily, so the rest of the package runs without it, and only its display
module is initialised (no audio), so it runs headless with ``SDL_VIDEODRIVER=dummy``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import secrets
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import numpy as np

PLAY_EXTRA_HINT = "human play needs pygame-ce: pip install 'scoregames[play]'"
# SDL's video drivers that draw nowhere: chosen on purpose (SDL_VIDEODRIVER=dummy) they run the
# window headless; chosen by SDL itself they mean there is no display, and a window nobody sees.
HEADLESS_DRIVERS = ("offscreen", "dummy")
NO_DISPLAY_HINT = (
    "run it on a machine with a display, or set SDL_VIDEODRIVER=dummy to run without a window "
    "(e.g. scoregames play Catch --max-steps 100 --fps 0)"
)


class NoDisplayError(OSError):
    """No display to open a window on (an ``OSError``: a property of the machine, not the input)."""


# Canonical key codes of ``get_keys_to_action()`` (ALE's: w/a/s/d, space for FIRE).
KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_FIRE = (ord(c) for c in "wsad ")
# Pressing both keys of a pair means the later press wins, as on a keyboard-driven joystick.
OPPOSITE_KEYS = ((KEY_UP, KEY_DOWN), (KEY_LEFT, KEY_RIGHT))
KEY_NAMES = {"UP": "Up/W", "DOWN": "Down/S", "LEFT": "Left/A", "RIGHT": "Right/D", "FIRE": "Space"}

PANEL_WIDTH = 248
PANEL_FONT_SIZE = 20
PANEL_LINE_HEIGHT = 22
PANEL_MARGIN = 12
# Window (and replay video) pixel scale: a 128x128 frame at 16 is 2048 px, about a 4K screen's
# height; far larger asks SDL for a window it cannot allocate.
MAX_ZOOM = 16
# While paused or at game over nothing moves; redraw at this rate rather than spin a core
# (matters with --fps 0, which otherwise runs uncapped).
IDLE_FPS = 30

Color = tuple[int, int, int]
PANEL_BACKGROUND: Color = (20, 20, 28)
PANEL_RULE: Color = (70, 70, 90)
TEXT: Color = (210, 210, 210)
DIM: Color = (140, 140, 150)
TITLE: Color = (255, 255, 255)
MATCH: Color = (110, 220, 110)
LIE: Color = (255, 90, 80)
ALERT: Color = (255, 200, 60)


def import_pygame() -> Any:
    """Import pygame-ce, or fail with a message naming the extra to install."""
    try:
        import pygame
    except ImportError as error:
        raise ImportError(PLAY_EXTRA_HINT) from error
    return pygame


def init_display(pygame: Any) -> None:
    """Initialise pygame's display, or raise :class:`NoDisplayError` when there is none to show a
    window on: SDL falls back to a driver that draws nowhere by itself, which would leave a game
    running in a window nobody sees (``SDL_VIDEODRIVER=dummy``, set on purpose, is headless play)."""
    try:
        pygame.display.init()
    except pygame.error as error:  # e.g. SDL_VIDEODRIVER=x11 without an X server
        raise NoDisplayError(f"cannot open a window ({error}); {NO_DISPLAY_HINT}") from None
    driver = pygame.display.get_driver()
    if driver in HEADLESS_DRIVERS and not os.environ.get("SDL_VIDEODRIVER"):
        if not _open_windows:
            pygame.display.quit()
        raise NoDisplayError(
            f"no display to open a window on (SDL fell back to its {driver!r} video driver); {NO_DISPLAY_HINT}"
        )


def check_zoom(zoom: Any) -> None:
    """A pixel scale a window can be opened with: an integer from 1 to :data:`MAX_ZOOM`."""
    if not isinstance(zoom, int) or isinstance(zoom, bool) or not 1 <= zoom <= MAX_ZOOM:
        raise ValueError(f"zoom must be an integer from 1 to {MAX_ZOOM}, got {zoom!r}")


class PanelLine(NamedTuple):
    """One line of the side panel: a label on the left, an optional value on the right."""

    label: str
    value: str = ""
    color: Color = TEXT


# GameWindows open now. pygame has one display per process, which every window shares (the
# last one opened sets its size); it is shut down only when the last of them closes, so closing
# one env's window never breaks another's.
_open_windows = 0


class GameWindow:
    """A window that shows frames scaled up by ``zoom`` (nearest-neighbour), with an optional side panel.

    ``show(frame)`` draws a frame and keeps the window responsive; closing the window (or Esc)
    sets :attr:`closed` and takes the window down, after which ``show`` does nothing. A caller
    that handles input itself calls :meth:`poll` once per frame before ``show``.
    """

    def __init__(self, title: str = "scoregames", zoom: int = 4, fps: int = 15, panel_width: int = 0):
        check_zoom(zoom)
        if fps < 0:
            raise ValueError(f"fps must be >= 0 (0 = as fast as possible), got {fps!r}")
        self.pygame = import_pygame()
        self.zoom = zoom
        self.fps = fps
        self.panel_width = panel_width
        self.title = title
        self.screen: Any = None
        self.clock = self.pygame.time.Clock()
        self.closed = False
        self._font: Any = None
        self._polled = False

    def _open(self, frame: np.ndarray, panel: Sequence[PanelLine] | None) -> None:
        global _open_windows
        pygame = self.pygame
        init_display(pygame)
        height, width = frame.shape[:2]
        panel_height = 2 * PANEL_MARGIN + PANEL_LINE_HEIGHT * len(panel) if panel and self.panel_width else 0
        size = (width * self.zoom + self.panel_width, max(height * self.zoom, panel_height))
        self.screen = pygame.display.set_mode(size)
        _open_windows += 1
        pygame.display.set_caption(self.title)

    def poll(self) -> list[Any]:
        """All pending input events; a window-close event marks the window closed."""
        self._polled = True
        if self.screen is None:
            return []
        events = self.pygame.event.get()
        if any(event.type == self.pygame.QUIT for event in events):
            self.closed = True
        return events

    def show(self, frame: np.ndarray, panel: Sequence[PanelLine] | None = None, idle: bool = False) -> None:
        """Draw one frame (and the panel), then wait for the next frame time.

        ``idle`` (paused, game over) caps an uncapped ``fps=0`` window at a calm rate.
        """
        pygame = self.pygame
        if self.closed:
            return
        if self.screen is None:
            self._open(frame, panel)
        if not self._polled:
            # Nobody else reads input (env render_mode="human"): drain the queue so it never
            # fills, and honour window close and Esc.
            for event in self.poll():
                if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
                    self.closed = True
        self._polled = False
        if self.closed:
            self.close()
            return
        height, width = frame.shape[:2]
        surface = pygame.image.frombuffer(np.ascontiguousarray(frame, np.uint8).tobytes(), (width, height), "RGB")
        # transform.scale is nearest-neighbour (smoothscale would blur the pixels).
        self.screen.blit(pygame.transform.scale(surface, (width * self.zoom, height * self.zoom)), (0, 0))
        if panel is not None and self.panel_width:
            self._draw_panel(width * self.zoom, panel)
        pygame.display.flip()
        self.clock.tick(self.fps or (IDLE_FPS if idle else 0))

    def _draw_panel(self, x0: int, panel: Sequence[PanelLine]) -> None:
        pygame = self.pygame
        if self._font is None:
            pygame.font.init()
            self._font = pygame.font.Font(None, PANEL_FONT_SIZE)
        screen_height = self.screen.get_height()
        self.screen.fill(PANEL_BACKGROUND, (x0, 0, self.panel_width, screen_height))
        self.screen.fill(PANEL_RULE, (x0, 0, 2, screen_height))
        right = x0 + self.panel_width - PANEL_MARGIN
        y = PANEL_MARGIN
        for line in panel:
            if line.label:
                self.screen.blit(self._font.render(line.label, True, line.color), (x0 + PANEL_MARGIN, y))
            if line.value:
                value = self._font.render(line.value, True, line.color)
                self.screen.blit(value, (right - value.get_width(), y))
            y += PANEL_LINE_HEIGHT

    def pixels(self) -> np.ndarray:
        """The window's current pixels as an ``(H, W, 3)`` uint8 array (tests, screenshots)."""
        if self.screen is None:
            raise RuntimeError("the window is not open")
        return self.pygame.surfarray.array3d(self.screen).transpose(1, 0, 2).copy()

    def close(self) -> None:
        """Take the window down; pygame's display is shut only when no other window is open."""
        global _open_windows
        if self.screen is not None:
            self.screen = None
            _open_windows -= 1
            if _open_windows <= 0:
                _open_windows = 0
                self.pygame.display.quit()


class EnvWindow(GameWindow):
    """The window of an env made with ``render_mode="human"``: its frame and the score panel.

    :class:`~scoregames.env.ScoreGamesEnv` imports this lazily, only in human mode, so the env
    layer never imports pygame and the package runs without it.
    """

    def __init__(self, title: str, fps: int):
        super().__init__(title=title, fps=fps, panel_width=PANEL_WIDTH)

    def show_scores(self, frame: np.ndarray, true_score: int, displayed_score: int, faithful: int) -> None:
        """Draw ``frame`` with the panel of true and displayed scores."""
        scores = {"true_score": true_score, "displayed_score": displayed_score}
        self.show(frame, score_lines(scores, faithful))


class KeyMapper:
    """Turns the keys held down into an action, from an env's ``get_keys_to_action()``.

    ``aliases`` maps other keys onto the mapping's keys (the arrows onto w/a/s/d). When the
    held keys are not a combination the game has, the largest sub-combination it has is used,
    preferring the keys pressed last: holding FIRE while moving in a game without a
    RIGHTFIRE action still moves.

    >>> mapper = KeyMapper({(): 0, (ord(" "),): 1, (ord("d"),): 2, (ord("a"),): 3}, {1073741903: ord("d")})
    >>> mapper.press(1073741903), mapper.action  # right arrow
    (True, 2)
    >>> mapper.press(ord(" ")), mapper.action  # no RIGHTFIRE: the later key wins
    (True, 1)
    >>> mapper.press(ord("a")), mapper.action  # LEFT and RIGHT held: the later press wins
    (True, 3)
    """

    def __init__(self, keys_to_action: Mapping[tuple[int, ...], int], aliases: Mapping[int, int] | None = None):
        self.keys_to_action = {tuple(sorted(keys)): int(action) for keys, action in keys_to_action.items()}
        self.aliases = dict(aliases or {})
        self.noop = self.keys_to_action.get((), 0)
        self._known = {key for keys in self.keys_to_action for key in keys}
        self._held: list[int] = []  # canonical keys, in the order they were pressed
        self._sources: dict[int, set[int]] = {}  # canonical key -> physical keys holding it

    def press(self, key: int) -> bool:
        """Note a key going down; False if the game has no use for it."""
        canonical = self.aliases.get(key, key)
        if canonical not in self._known:
            return False
        sources = self._sources.setdefault(canonical, set())
        if not sources:
            self._held.append(canonical)
        sources.add(key)
        return True

    def release(self, key: int) -> None:
        canonical = self.aliases.get(key, key)
        sources = self._sources.get(canonical)
        if sources and key in sources:
            sources.discard(key)
            # Holding D and the right arrow, then letting go of one, still means RIGHT.
            if not sources:
                self._held.remove(canonical)

    def clear(self) -> None:
        """Forget every held key (the window lost focus: the key-up events go elsewhere)."""
        self._held.clear()
        self._sources.clear()

    @property
    def held(self) -> tuple[int, ...]:
        return tuple(self._held)

    @property
    def action(self) -> int:
        held = list(self._held)
        for first, second in OPPOSITE_KEYS:
            if first in held and second in held:
                held.remove(first if held.index(first) < held.index(second) else second)
        for size in range(len(held), 0, -1):
            best: tuple[int, int] | None = None
            for combo in itertools.combinations(held, size):
                action = self.keys_to_action.get(tuple(sorted(combo)))
                if action is not None:
                    recency = sum(held.index(key) for key in combo)
                    if best is None or recency > best[0]:
                        best = (recency, action)
            if best is not None:
                return best[1]
        return self.noop


def key_help(action_meanings: Sequence[str]) -> list[tuple[str, str]]:
    """(keys, action) pairs for the panel, from the ALE action names.

    >>> key_help(["NOOP", "FIRE", "RIGHT", "UPLEFTFIRE"])
    [('Space', 'FIRE'), ('Right/D', 'RIGHT'), ('Up/W+Left/A+Space', 'UPLEFTFIRE')]
    """
    pairs = []
    for meaning in action_meanings:
        parts = re.findall("UP|DOWN|LEFT|RIGHT|FIRE", meaning)
        if parts:
            pairs.append(("+".join(KEY_NAMES[part] for part in parts), meaning))
    return pairs


def resolve_game(name: str) -> str:
    """The game's registered name (case-insensitive), or an error listing the games there are."""
    from scoregames.games import GAMES

    if name in GAMES:
        return name
    for game in GAMES:
        if game.lower() == name.lower():
            return game
    raise ValueError(f"unknown game {name!r}; valid: {', '.join(GAMES)}")


def faithful_score(env: Any) -> int:
    """What a faithful display would show now: the player's own points (in Pong these differ
    from the true score, which sums +1 and -1 per point), so the panel flags only real lies."""
    unwrapped = env.unwrapped
    return int(unwrapped.game.shown_score(unwrapped.game_state))


def score_lines(info: Mapping[str, Any], faithful: int) -> list[PanelLine]:
    """The panel's score lines: the displayed score turns red when it is not what a faithful
    display would show.

    >>> [line.value for line in score_lines({"true_score": 3, "displayed_score": 53}, 3)]
    ['3', '53', '']
    >>> score_lines({"true_score": 3, "displayed_score": 53}, 3)[2].label
    'display lies by +50'
    """
    true_score, displayed = int(info["true_score"]), int(info["displayed_score"])
    lie = displayed - faithful
    if lie:
        verdict = PanelLine(f"display lies by {lie:+d}", "", LIE)
    elif faithful != true_score:
        verdict = PanelLine("display matches", "your points", DIM)
    else:
        # Not "faithful": a spoofed display can agree with the truth for a while (both 0).
        verdict = PanelLine("display matches", "", DIM)
    return [
        PanelLine("TRUE SCORE", str(true_score), MATCH),
        PanelLine("DISPLAYED", str(displayed), LIE if lie else MATCH),
        verdict,
    ]


def hud_label(hud: str | Mapping[str, Any]) -> str:
    """The preset name of a HUD spec, or ``custom``."""
    return hud if isinstance(hud, str) else "custom"


class PlaySession:
    """One play session: an env, a window, the keyboard, and optionally a recorder.

    Episode ``k`` is reset with seed ``seed + k``, so every episode of a recording replays on
    its own. Call :meth:`run`, or :meth:`tick` once per frame (tests drive it this way).
    """

    def __init__(
        self,
        game: str,
        *,
        hud: str | Mapping[str, Any] = "standard",
        seed: int | None = None,
        zoom: int = 4,
        fps: int | None = None,
        record: str | Path | None = None,
        record_frames: bool = False,
        player: str = "",
        max_steps: int | None = None,
        env_kwargs: Mapping[str, Any] | None = None,
        out: TextIO | None = None,
    ):
        import gymnasium as gym

        from scoregames.hud import resolve_hud
        from scoregames.recording import Recorder
        from scoregames.registration import env_id

        pygame = import_pygame()
        self.game = resolve_game(game)
        check_zoom(zoom)
        resolve_hud(hud)  # an unknown preset fails here, naming the valid ones
        if seed is not None and seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        if max_steps is not None and max_steps < 0:
            raise ValueError(f"max_steps must be >= 0, got {max_steps}")
        self.record_path = Path(record) if record is not None else None
        if self.record_path is not None:
            check_record_path(self.record_path)
        self.hud = hud
        self.env_id = env_id(self.game)
        self.env_kwargs: dict[str, Any] = {"hud": hud, **(env_kwargs or {})}
        self.env = gym.make(self.env_id, disable_env_checker=True, **self.env_kwargs)
        unwrapped: Any = self.env.unwrapped
        self.action_meanings: list[str] = unwrapped.get_action_meanings()
        arrows = {pygame.K_UP: KEY_UP, pygame.K_DOWN: KEY_DOWN, pygame.K_LEFT: KEY_LEFT, pygame.K_RIGHT: KEY_RIGHT}
        self.keys = KeyMapper(unwrapped.get_keys_to_action(), arrows)
        self.key_help = key_help(self.action_meanings)
        self.base_seed = int(seed) if seed is not None else secrets.randbelow(2**31)
        self.fps = int(self.env.metadata.get("render_fps", 15)) if fps is None else int(fps)
        self.max_steps = max_steps
        self.out = out if out is not None else sys.stdout
        self.window = GameWindow(
            title=f"scoregames: {self.game} (HUD {hud_label(hud)})", zoom=zoom, fps=self.fps, panel_width=PANEL_WIDTH
        )
        self.recorder = (
            Recorder(
                self.env_id,
                self.env_kwargs,
                self.action_meanings,
                self.base_seed,
                hud_preset=hud_label(hud),
                player=player,
                frames=record_frames,
            )
            if self.record_path is not None
            else None
        )
        self.pygame = pygame
        self.episode = -1
        self.steps = 0  # steps this episode
        self.total_steps = 0
        self.paused = False
        self.game_over = False
        self.running = True
        self.last_action = self.keys.noop
        self.game_results: list[tuple[int, int, str]] = []  # (true, displayed, how it ended) per game
        self.saved_to: Path | None = None
        self.observation: np.ndarray
        self.info: dict[str, Any]
        self._closed = False
        self.new_episode()
        # Open the window on the first frame now: input can arrive before the first step.
        self.window.show(self.observation, self.panel(), idle=True)

    @property
    def seed(self) -> int:
        """The current episode's seed."""
        return self.base_seed + self.episode

    def new_episode(self) -> None:
        """Start the next game (R, or after game over); an unfinished game is recorded as ``restart``."""
        if self.episode >= 0 and not self.game_over and self.steps:
            self.game_results.append((self.info["true_score"], self.info["displayed_score"], "restart"))
        self.episode += 1
        self.observation, self.info = self.env.reset(seed=self.seed)
        self.has_lives = int(self.info.get("lives", 0)) > 0
        self.steps = 0
        self.game_over = False
        self.paused = False
        if self.recorder is not None:
            self.recorder.start_episode(self.seed, self.info, self.observation)

    def handle(self, event: Any) -> None:
        pygame = self.pygame
        if event.type == pygame.QUIT:
            self.running = False
        elif event.type == pygame.KEYDOWN:
            if event.key == pygame.K_ESCAPE:
                self.running = False
            elif event.key == pygame.K_p:
                self.paused = not self.paused and not self.game_over
            elif event.key == pygame.K_r:
                self.new_episode()
            else:
                self.keys.press(event.key)
        elif event.type == pygame.KEYUP:
            self.keys.release(event.key)
        elif event.type == pygame.WINDOWFOCUSLOST:
            # Key-up events now go to another window; without this a key would stay held.
            self.keys.clear()

    def step(self) -> None:
        """Advance the game one step with the action the held keys give."""
        action = self.keys.action
        observation, _, terminated, truncated, info = self.env.step(action)
        self.observation, self.info = observation, info
        self.last_action = action
        self.steps += 1
        self.total_steps += 1
        if self.recorder is not None:
            self.recorder.record_step(action, info, observation)
        if terminated or truncated:
            end = "terminated" if terminated else "truncated"
            self.game_results.append((info["true_score"], info["displayed_score"], end))
            if self.recorder is not None:
                self.recorder.end_episode(end)
            self.game_over = True
            if self.max_steps is not None:
                # A scripted run (--max-steps) plays its N steps across games, no keys needed.
                self.new_episode()

    def tick(self) -> bool:
        """One frame: read input, step unless paused or over, draw. False once the session is over."""
        for event in self.window.poll():
            self.handle(event)
        if self.window.closed:
            self.running = False
        if self.running and self.max_steps is not None and self.total_steps >= self.max_steps:
            self.running = False
        if not self.running:
            return False
        if not (self.paused or self.game_over):
            self.step()
        self.window.show(self.observation, self.panel(), idle=self.paused or self.game_over)
        return True

    def run(self) -> int:
        """Play until Esc, window close or ``max_steps``; saves the recording even on Ctrl+C."""
        try:
            while self.tick():
                pass
        finally:
            self.close()
        return 0

    def panel(self) -> list[PanelLine]:
        """The side panel: both scores (red when the display lies), lives, game, seed, keys."""
        info = self.info
        lines = [
            PanelLine(self.game, f"HUD {hud_label(self.hud)}", TITLE),
            PanelLine(""),
            *score_lines(info, faithful_score(self.env)),
            PanelLine("HUD drawn", "yes" if info["hud_visible"] else "no", DIM),
            PanelLine("LIVES", str(info.get("lives", 0)) if self.has_lives else "-"),
            PanelLine(f"game {self.episode + 1}", f"step {self.steps}", DIM),
            PanelLine("seed", str(self.seed), DIM),
            PanelLine(f"REC {self.record_path.name}", "", LIE) if self.record_path else PanelLine(""),
            PanelLine("PAUSED", "P: resume", ALERT)
            if self.paused
            else PanelLine("GAME OVER", "R: new game", ALERT)
            if self.game_over
            else PanelLine(""),
            PanelLine(""),
            PanelLine("KEYS", "", TITLE),
        ]
        lines += [PanelLine(keys, meaning, DIM) for keys, meaning in self.key_help]
        lines += [PanelLine("P pause  R restart", "Esc quit", DIM)]
        return lines

    def close(self) -> None:
        """End the session: record the open game as ``quit``, save, print the scores, close."""
        if self._closed:
            return
        self._closed = True
        if not self.game_over and self.steps:
            self.game_results.append((self.info["true_score"], self.info["displayed_score"], "quit"))
        self.window.close()
        self.env.close()
        for number, (true_score, displayed, end) in enumerate(self.game_results, 1):
            print(f"game {number}: true score {true_score}, displayed {displayed} ({end})", file=self.out)
        if self.recorder is None or self.record_path is None:
            return
        self.recorder.end_episode("quit")
        recording = self.recorder.recording
        if not recording.episodes:
            print(f"nothing was played: no recording written to {self.record_path}", file=self.out)
            return
        from scoregames.recording import free_path

        target = free_path(self.record_path)
        if target != self.record_path:
            print(f"{self.record_path} appeared while you played; saving to {target} instead", file=self.out)
        self.saved_to = recording.save(target)
        steps = sum(episode.steps for episode in recording.episodes)
        print(
            f"recorded {len(recording.episodes)} game(s), {steps} steps to {self.saved_to}; "
            f"check it with: scoregames replay {self.saved_to}",
            file=self.out,
        )


def check_record_path(path: Path) -> None:
    """Refuse a recording path that would overwrite a file or cannot be written."""
    if os.path.lexists(path):  # a dangling link too: saving through it would fail at the end
        raise FileExistsError(f"{path} already exists; scoregames never overwrites a file: choose another name")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot record to {path}: folder {path.parent} does not exist")


def parse_game_args(pairs: Sequence[str]) -> dict[str, Any]:
    """``KEY=VALUE`` game arguments; values are JSON when they parse (numbers, true), else text.

    >>> parse_game_args(["spawn=left", "drops=10"])
    {'spawn': 'left', 'drops': 10}
    """
    kwargs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"game argument {pair!r} must look like KEY=VALUE (e.g. spawn=left)")
        try:
            kwargs[key] = json.loads(value)
        except ValueError:
            kwargs[key] = value
    return kwargs


# Env arguments `play` sets itself: --game-arg refuses them and names what to use instead.
RESERVED_GAME_ARGS = {
    "hud": "the HUD is set with --hud (--hud {value})",
    "repeat_action_probability": "sticky actions are set with --sticky (--sticky {value})",
    "render_mode": "play shows the game in its own window; the render mode cannot be set",
    "game": "the game is the GAME argument (scoregames play GAME)",
}
_TYPE_WORDS = {"int": "an integer", "float": "a number", "str": "text", "bool": "true or false"}


def _fits(value: Any, type_name: str) -> bool:
    if type_name == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    types: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "str": str}
    return isinstance(value, types[type_name])


def check_game_args(game: str, pairs: Sequence[str]) -> dict[str, Any]:
    """``--game-arg KEY=VALUE`` pairs as env keyword arguments, each checked against the type of
    the game's (or the env's) argument, so a bad value names the argument and the type it takes.
    Text arguments keep the text as typed (``star=1`` is the string ``"1"``). Unknown keys are
    left for the game, which names the valid ones.

    >>> check_game_args("Catch", ["drops=10", "spawn=left"])
    {'drops': 10, 'spawn': 'left'}
    """
    import inspect

    from scoregames.env import ScoreGamesEnv
    from scoregames.games import GAMES

    name = resolve_game(game)
    kwargs = parse_game_args(pairs)
    raw = {key: value for key, _, value in (pair.partition("=") for pair in pairs)}
    game_parameters = inspect.signature(GAMES[name].__init__).parameters
    parameters = {**inspect.signature(ScoreGamesEnv.__init__).parameters, **game_parameters}
    for key, value in kwargs.items():
        if key in RESERVED_GAME_ARGS:
            raise ValueError(f"--game-arg {key}={raw[key]}: " + RESERVED_GAME_ARGS[key].format(value=raw[key]))
        parameter = parameters.get(key)
        if parameter is None:
            continue
        annotation = parameter.annotation
        annotation = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        types = [part.strip() for part in annotation.split("|")]
        if not all(part in _TYPE_WORDS for part in types) or any(_fits(value, part) for part in types):
            continue
        if "str" in types:
            kwargs[key] = raw[key]  # `star=1`: the text "1", not the number
            continue
        default = "" if parameter.default is inspect.Parameter.empty else f" (default {parameter.default!r})"
        owner = f"{name}'s" if key in game_parameters else "the env's"
        raise ValueError(
            f"--game-arg {key}={raw[key]}: {owner} {key} takes {' or '.join(_TYPE_WORDS[part] for part in types)}"
            + default
        )
    return kwargs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("game", help="the game's name (see `scoregames list`), e.g. Breakout")
    parser.add_argument("--hud", default="standard", metavar="PRESET", help="HUD preset (default: standard)")
    parser.add_argument(
        "--seed", type=int, default=None, metavar="N", help="seed of game 1 (game k uses N+k-1; default: random)"
    )
    parser.add_argument("--zoom", type=int, default=4, help=f"pixel scale of the window, 1 to {MAX_ZOOM} (default: 4)")
    parser.add_argument(
        "--fps", type=int, default=None, help="steps per second (default: the env's, 15 = real time; 0 = uncapped)"
    )
    parser.add_argument(
        "--record", metavar="FILE", default=None, help="save the session to FILE (.npz); never overwrites"
    )
    parser.add_argument("--record-frames", action="store_true", help="also store every frame in the recording")
    parser.add_argument("--player", default="", help="player name stored in the recording")
    parser.add_argument(
        "--max-steps", type=int, default=None, metavar="N", help="stop after N steps (headless scripts and tests)"
    )
    parser.add_argument(
        "--sticky",
        type=float,
        default=None,
        metavar="P",
        help="sticky-action probability (default: the env's, 0.25 as ALE v5; 0 for exact control)",
    )
    parser.add_argument(
        "--game-arg", action="append", default=[], metavar="KEY=VALUE", help="a game argument, e.g. spawn=left"
    )


def run(args: argparse.Namespace) -> int:
    try:
        env_kwargs = check_game_args(args.game, args.game_arg)
        if args.sticky is not None:
            env_kwargs["repeat_action_probability"] = args.sticky
        session = PlaySession(
            args.game,
            hud=args.hud,
            seed=args.seed,
            zoom=args.zoom,
            fps=args.fps,
            record=args.record,
            record_frames=args.record_frames,
            player=args.player,
            max_steps=args.max_steps,
            env_kwargs=env_kwargs,
        )
    except (ImportError, ValueError, TypeError, OSError) as error:
        print(f"scoregames play: error: {error}", file=sys.stderr)
        return 2
    try:
        return session.run()
    except KeyboardInterrupt:
        return 130  # the recording was saved by run()'s cleanup


if __name__ == "__main__":
    from scoregames.cli import main

    sys.exit(main(["play", *sys.argv[1:]]))
