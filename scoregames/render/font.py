"""The HUD's bitmap font: 3x5 glyphs from ``assets/font.png``, drawn at 2x scale.

2x keeps every digit distinct after CleanRL's grayscale 84x84 resize (a test checks it).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from scoregames.render.assets import asset_dir, load_mask

SCALE = 2
GLYPH_WIDTH = 3 * SCALE
GLYPH_HEIGHT = 5 * SCALE
ADVANCE = GLYPH_WIDTH + SCALE


@cache
def _glyphs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each character's ink pixels as (rows, cols) index arrays, scaled up."""
    sheet = load_mask("font.png")
    characters = (asset_dir() / "font.txt").read_text().rstrip("\n")
    glyphs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for i, char in enumerate(characters):
        glyph = sheet[:, 4 * i : 4 * i + 3].repeat(SCALE, axis=0).repeat(SCALE, axis=1)
        rows, cols = np.nonzero(glyph)
        glyphs[char] = (rows, cols)
    return glyphs


def text_width(text: str) -> int:
    """Pixel width of ``text``.

    >>> text_width("12")
    14
    """
    return len(text) * ADVANCE - SCALE if text else 0


# text -> (GLYPH_HEIGHT, width, 1) ink mask of the whole string; scores repeat, so a small
# cache turns one fancy assignment per character into one masked copy per string.
_TEXT_MASKS: dict[str, np.ndarray] = {}
_TEXT_CACHE_LIMIT = 4096


def _text_mask(text: str) -> np.ndarray:
    mask = _TEXT_MASKS.get(text)
    if mask is None:
        glyphs = _glyphs()
        missing = [char for char in text if char not in glyphs]
        if missing:
            drawable = "".join(glyphs).replace(" ", "") + " and space"
            raise ValueError(f"the HUD font has no glyph for {missing[0]!r} in {text!r}; it draws: {drawable}")
        mask = np.zeros((GLYPH_HEIGHT, text_width(text), 1), bool)
        x = 0
        for char in text:
            rows, cols = glyphs[char]
            mask[rows, cols + x, 0] = True
            x += ADVANCE
        if len(_TEXT_MASKS) >= _TEXT_CACHE_LIMIT:
            _TEXT_MASKS.clear()
        _TEXT_MASKS[text] = mask
    return mask


def draw_text(frame: np.ndarray, x: int, y: int, text: str, color: np.ndarray) -> None:
    """Draw ``text`` with its top-left corner at ``(x, y)``; what falls outside the frame is cut.

    >>> frame = np.zeros((10, 8, 3), np.uint8)
    >>> draw_text(frame, 4, 0, "11", np.array([9, 9, 9], np.uint8))  # the second 1 is off the frame
    >>> int(frame[:, :, 0].astype(bool).sum()) == int(_text_mask("1")[:, :4].sum())
    True
    >>> draw_text(frame, 0, 0, "1x", np.array([9, 9, 9], np.uint8))
    Traceback (most recent call last):
    ...
    ValueError: the HUD font has no glyph for 'x' in '1x'; it draws: 0123456789- and space
    """
    height, width = frame.shape[:2]
    if frame.ndim == 3 and 0 <= y <= height - GLYPH_HEIGHT and 0 <= x <= width - text_width(text):
        mask = _text_mask(text)
        np.copyto(frame[y : y + GLYPH_HEIGHT, x : x + mask.shape[1]], color, casting="unsafe", where=mask)
        return
    mask = _text_mask(text)[:, :, 0]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + mask.shape[1], width), min(y + GLYPH_HEIGHT, height)
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1][mask[y0 - y : y1 - y, x0 - x : x1 - x]] = color
