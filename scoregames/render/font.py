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
    glyphs = {}
    for i, char in enumerate(characters):
        glyph = sheet[:, 4 * i : 4 * i + 3].repeat(SCALE, axis=0).repeat(SCALE, axis=1)
        glyphs[char] = np.nonzero(glyph)
    return glyphs


def text_width(text: str) -> int:
    """Pixel width of ``text``.

    >>> text_width("12")
    14
    """
    return len(text) * ADVANCE - SCALE if text else 0


def draw_text(frame: np.ndarray, x: int, y: int, text: str, color: np.ndarray) -> None:
    """Draw ``text`` with its top-left corner at ``(x, y)``; the caller keeps it inside the frame."""
    glyphs = _glyphs()
    for char in text:
        rows, cols = glyphs[char]
        frame[rows + y, cols + x] = color
        x += ADVANCE
