"""Render primitives shared by the games and the HUD: frame size, palette, sprites, font.

Everything draws with numpy slices into a caller-owned ``(H, W, 3)`` uint8 array, so a
single env and a vector env (which hands each game a row of one batch array) share one
drawing path.
"""

from scoregames.render.canvas import FRAME_HEIGHT, FRAME_SHAPE, FRAME_WIDTH, fill_rect, stamp
from scoregames.render.font import GLYPH_HEIGHT, draw_text, text_width
from scoregames.render.palette import PALETTE
from scoregames.render.sprites import sprite

__all__ = [
    "FRAME_HEIGHT",
    "FRAME_SHAPE",
    "FRAME_WIDTH",
    "GLYPH_HEIGHT",
    "PALETTE",
    "draw_text",
    "fill_rect",
    "sprite",
    "stamp",
    "text_width",
]
