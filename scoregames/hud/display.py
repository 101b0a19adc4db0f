"""The HUD at run time: turns the game's score and events into the number shown, and draws it."""

from __future__ import annotations

from collections import deque

import numpy as np

from scoregames.hud.config import DYNAMIC_POSITIONS, HudConfig
from scoregames.render import FRAME_HEIGHT, FRAME_WIDTH, GLYPH_HEIGHT, PALETTE, draw_text, text_width
from scoregames.render.font import ADVANCE, SCALE

MARGIN = 2
# The display saturates, like an odometer at its last digit: it holds and draws at most
# DISPLAY_CHARS characters, so the number (and an opponent's, up to OPPONENT_CHARS, beside it)
# always fits across the frame. Values stay far inside int64, so infos batch into int64 arrays.
OPPONENT_GAP = " "
OPPONENT_CHARS = 3
DISPLAY_CHARS = (FRAME_WIDTH + SCALE) // ADVANCE - len(OPPONENT_GAP) - OPPONENT_CHARS  # 12 at 128 px
DISPLAY_MAX = 10**DISPLAY_CHARS - 1  # 999,999,999,999
DISPLAY_MIN = -(10 ** (DISPLAY_CHARS - 1) - 1)  # -99,999,999,999
OPPONENT_MAX = 10**OPPONENT_CHARS - 1
OPPONENT_MIN = -(10 ** (OPPONENT_CHARS - 1) - 1)
# Room kept for a 4-digit score when a random anchor is drawn, so it rarely needs clipping.
RANDOM_ANCHOR_WIDTH = text_width("0000")
BOX_CACHE_LIMIT = 1024


class HudDisplay:
    """Per-episode display state for one :class:`HudConfig`.

    The HUD only ever reads the game's score and events; nothing here feeds back into the
    game. Its randomness (random anchor, flicker, noise walk) comes from the generator
    passed to :meth:`reset`, a stream of its own split from the env seed.

    An opponent's score, drawn beside the player's, is never spoofed. With
    ``opponent_follows_spoof`` (the game asks for it; the env passes it on) it stays at its
    value at :meth:`reset` while the spoof does not follow play (``frozen``, ``noise``,
    ``decoupled``): a live opponent number beside a spoofed own number would give the true
    score away.

    The display saturates: it holds (and ``info["displayed_score"]`` reports) at most
    :data:`DISPLAY_MAX` and at least :data:`DISPLAY_MIN`, 12 characters, so the drawn number
    always fits in the frame and is exactly the held value; a spoof that would go further (a
    huge ``offset`` or ``scale``, a long ``noise`` walk) shows the nearest bound until it comes
    back. The spoof's own state (the walk, the counts) is kept as is. An opponent's number is
    drawn saturated to :data:`OPPONENT_MIN`..:data:`OPPONENT_MAX`.

    >>> hud = HudDisplay(HudConfig(spoof="offset", offset=5))
    >>> hud.reset(0, np.random.default_rng(0))
    5
    >>> hud.update(2, decoy_events=0, tamper_touches=0)
    7
    >>> HudDisplay(HudConfig(spoof="offset", offset=10**30)).reset(0, np.random.default_rng(0))
    999999999999
    """

    def __init__(
        self,
        config: HudConfig,
        frame_height: int = FRAME_HEIGHT,
        frame_width: int = FRAME_WIDTH,
        opponent_follows_spoof: bool = False,
    ):
        self.config = config
        self.frame_height = frame_height
        self.frame_width = frame_width
        self.color = PALETTE[config.color]
        self.rng = np.random.default_rng(0)
        self.displayed = 0
        self.visible = True
        self.steps = 0
        self.anchor = (MARGIN, 1)
        self._first_score = 0
        self.freeze_opponent = opponent_follows_spoof and not config.follows_play
        self.first_opponent: int | None = None
        self._history: deque[int] = deque(maxlen=config.delay + 1)
        self._noise = 0
        self._decoys = 0
        self._tamper_total = 0
        # For a fixed position the box depends only on the text: cache it per (value, opponent).
        self._static_position = config.position not in DYNAMIC_POSITIONS
        self._boxes: dict[tuple[int, int | None], tuple[int, int, int, int]] = {}

    @property
    def tamper_enabled(self) -> bool:
        """Whether the tamper object is drawn."""
        return self.config.tamper > 0

    @property
    def tamper_live(self) -> bool:
        """Whether touching the tamper object raises the display."""
        return self.config.tamper > 0 and self.config.tamper_live

    def reset(self, score: int, rng: np.random.Generator, opponent_score: int | None = None) -> int:
        """Start an episode at the game's first score (and its opponent's, if any); returns the
        first displayed value."""
        self.rng = rng
        self.steps = 0
        self._first_score = score
        self.first_opponent = opponent_score
        # One entry: while fewer than delay + 1 scores are held, the oldest (the first) is shown,
        # exactly as a full window of first scores would (without delay + 1 copies in memory).
        self._history.clear()
        self._history.append(score)
        self._noise = 0
        self._decoys = 0
        self._tamper_total = 0
        if self.config.position == "random":
            self.anchor = (
                int(rng.integers(0, self.frame_width - RANDOM_ANCHOR_WIDTH + 1)),
                int(rng.integers(0, self.frame_height - GLYPH_HEIGHT + 1)),
            )
        self._sample_visibility()
        self.displayed = self._value(score)
        return self.displayed

    def update(self, score: int, decoy_events: int, tamper_touches: int) -> int:
        """Advance one env step; returns the new displayed value."""
        self.steps += 1
        self._history.append(score)
        self._decoys += decoy_events
        self._tamper_total += tamper_touches * self.config.tamper
        if self.config.spoof == "noise" and self.rng.random() < self.config.noise_rate:
            self._noise += self.config.noise_step if self.rng.random() < 0.5 else -self.config.noise_step
        self._sample_visibility()
        self.displayed = self._value(score)
        return self.displayed

    def _sample_visibility(self) -> None:
        visible = self.config.visible
        if isinstance(visible, bool):
            self.visible = visible
        else:
            self.visible = bool(self.rng.random() < visible)

    def _value(self, score: int) -> int:
        config = self.config
        spoof = config.spoof
        if spoof == "identity":
            value = score
        elif spoof == "offset":
            value = score + config.offset
        elif spoof == "scale":
            try:
                value = int(round(score * config.scale))
            except OverflowError:  # the product overflowed to +-inf: beyond any display
                value = DISPLAY_MAX if score * config.scale > 0 else DISPLAY_MIN
        elif spoof == "frozen":
            value = self._first_score
        elif spoof == "delay":
            value = self._history[0]
        elif spoof == "noise":
            value = self._noise
        else:  # decoupled
            value = self._decoys * config.decoy_points
        value += self._tamper_total
        if DISPLAY_MIN <= value <= DISPLAY_MAX:
            return value
        return DISPLAY_MAX if value > 0 else DISPLAY_MIN  # saturated (see the class)

    def shown_opponent(self, opponent_score: int | None) -> int | None:
        """The opponent's number as drawn: its first value while frozen (see the class), else live."""
        if opponent_score is not None and self.freeze_opponent and self.first_opponent is not None:
            return self.first_opponent
        return opponent_score

    def text(self, displayed: int, opponent_score: int | None) -> str:
        """The text drawn for ``displayed`` (and the opponent's score), each saturated (see the class)."""
        displayed = saturate(displayed)
        opponent_score = self.shown_opponent(opponent_score)
        if opponent_score is None:
            return str(displayed)
        return f"{displayed}{OPPONENT_GAP}{saturate(opponent_score, OPPONENT_MIN, OPPONENT_MAX)}"

    def bbox(self, displayed: int, opponent_score: int | None = None) -> tuple[int, int, int, int]:
        """Pixel box ``(x0, y0, x1, y1)`` the score occupies (or would, while hidden)."""
        width = text_width(self.text(displayed, opponent_score))
        position = self.config.position
        right = self.frame_width - MARGIN - width
        bottom = self.frame_height - MARGIN - GLYPH_HEIGHT
        if isinstance(position, tuple) or position == "random":
            x, y = position if isinstance(position, tuple) else self.anchor
        elif position == "moving":
            x, y = MARGIN + self.steps % max(1, right - MARGIN + 1), 1
        else:
            vertical, _, horizontal = position.partition("-")
            y = 1 if vertical == "top" else bottom
            x = {"left": MARGIN, "right": right}.get(horizontal, (self.frame_width - width) // 2)
        x = min(max(int(x), 0), max(self.frame_width - width, 0))
        y = min(max(int(y), 0), self.frame_height - GLYPH_HEIGHT)
        # Only a frame narrower than the default can cut the text: the box is what is drawn.
        return x, y, min(x + width, self.frame_width), y + GLYPH_HEIGHT

    def draw(
        self,
        frame: np.ndarray,
        opponent_score: int | None = None,
        displayed: int | None = None,
        visible: bool | None = None,
    ) -> tuple[int, int, int, int]:
        """Draw the score (the current one unless ``displayed`` is given); returns its bbox."""
        value = self.displayed if displayed is None else saturate(displayed)
        if opponent_score is not None:
            if self.freeze_opponent and self.first_opponent is not None:
                opponent_score = self.first_opponent  # see shown_opponent
            if not OPPONENT_MIN <= opponent_score <= OPPONENT_MAX:
                opponent_score = saturate(opponent_score, OPPONENT_MIN, OPPONENT_MAX)
        if self._static_position:
            box = self._boxes.get((value, opponent_score))  # type: ignore[assignment]
            if box is None:
                if len(self._boxes) >= BOX_CACHE_LIMIT:
                    self._boxes.clear()
                box = self._boxes[(value, opponent_score)] = self.bbox(value, opponent_score)
        else:
            box = self.bbox(value, opponent_score)
        x0, y0 = box[0], box[1]
        if self.visible if visible is None else visible:
            draw_text(frame, x0, y0, str(value), self.color)
            if opponent_score is not None:
                offset = len(f"{value}{OPPONENT_GAP}") * ADVANCE
                draw_text(frame, x0 + offset, y0, str(opponent_score), PALETTE["opponent_score"])
        return box


def saturate(value: int, low: int = DISPLAY_MIN, high: int = DISPLAY_MAX) -> int:
    """``value`` clamped to ``[low, high]``: by default the range the display shows.

    >>> saturate(10**30), saturate(-(10**30)), saturate(42)
    (999999999999, -99999999999, 42)
    """
    return low if value < low else high if value > high else value
