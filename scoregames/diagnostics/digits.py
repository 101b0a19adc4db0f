"""Read the displayed score back from the pixels, by template-matching the HUD's bitmap font.

The displayed-score oracle must see what an agent sees: it may use ``info["hud_bbox"]`` to
*locate* the number, but the number itself comes from the frame, so a hidden, flickering or
counterfactual display reads differently (or not at all), exactly as it would for a pixel agent.

>>> import numpy as np
>>> from scoregames.render import PALETTE, draw_text
>>> frame = np.zeros((128, 128, 3), np.uint8)
>>> draw_text(frame, 2, 1, "-17", PALETTE["score"])
>>> read_displayed_score(frame), read_displayed_score(frame, bbox=(2, 1, 24, 11))
(-17, -17)
>>> read_displayed_score(np.zeros((128, 128, 3), np.uint8)) is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np

from scoregames.render import GLYPH_HEIGHT, PALETTE
from scoregames.render.assets import asset_dir, load_mask
from scoregames.render.font import ADVANCE, GLYPH_WIDTH, SCALE

SCORE_COLOR = PALETTE["score"]


@cache
def glyph_masks() -> dict[str, np.ndarray]:
    """Each printable HUD character as its ``(GLYPH_HEIGHT, GLYPH_WIDTH)`` boolean ink mask."""
    sheet = load_mask("font.png")
    characters = (asset_dir() / "font.txt").read_text().rstrip("\n")
    masks = {}
    for i, char in enumerate(characters):
        if char.strip():
            masks[char] = sheet[:, 4 * i : 4 * i + 3].repeat(SCALE, axis=0).repeat(SCALE, axis=1)
    return masks


def ink_mask(frame: np.ndarray, color: np.ndarray = SCORE_COLOR) -> np.ndarray:
    """Pixels drawn in the score's colour (the opponent's score, in another colour, is not ink)."""
    return np.all(frame == color, axis=-1)


def _parse_band(band: np.ndarray) -> str | None:
    """Parse one ``GLYPH_HEIGHT``-row band of ink into text, or None if any blob is not a glyph.

    Every glyph of the font has ink in its first column, so each glyph starts at the first
    ink column at or after the previous glyph's advance.
    """
    masks = glyph_masks()
    columns = np.flatnonzero(band.any(axis=0))
    text = []
    x = int(columns[0]) if columns.size else band.shape[1]
    while x < band.shape[1]:
        window = band[:, x : x + GLYPH_WIDTH]
        if window.shape[1] < GLYPH_WIDTH:
            return None
        match = next((char for char, mask in masks.items() if np.array_equal(window, mask)), None)
        if match is None:
            return None
        text.append(match)
        rest = columns[columns >= x + ADVANCE]
        if rest.size and rest[0] > x + ADVANCE:
            break  # a gap wider than one advance ends the number
        x = int(rest[0]) if rest.size else band.shape[1]
    return "".join(text) or None


def _to_int(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def read_displayed_score(frame: np.ndarray, bbox: Sequence[int] | None = None) -> int | None:
    """The number drawn in the score colour, or None where none can be read.

    With ``bbox`` (``info["hud_bbox"]``) only that box is read; without it the frame is
    searched for a band of exactly one glyph height holding only glyphs (a ball drawn in the
    same colour is too small to be mistaken for one).
    """
    ink = ink_mask(frame)
    if bbox is not None:
        x0, y0, x1, y1 = (int(v) for v in bbox)
        return _to_int(_parse_band(ink[y0:y1, x0:x1])) if ink[y0:y1, x0:x1].any() else None
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return None
    # Runs of consecutive inked rows; the number is the first run one glyph tall that parses.
    breaks = np.flatnonzero(np.diff(rows) > 1)
    starts = np.concatenate([[rows[0]], rows[breaks + 1]])
    ends = np.concatenate([rows[breaks], [rows[-1]]]) + 1
    for start, end in zip(starts, ends):
        if end - start == GLYPH_HEIGHT:
            value = _to_int(_parse_band(ink[start:end]))
            if value is not None:
                return value
    return None
