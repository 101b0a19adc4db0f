"""The fixed palette: a handful of NTSC-Atari-like colours, named by what they are for."""

from __future__ import annotations

import numpy as np


def _rgb(r: int, g: int, b: int) -> np.ndarray:
    return np.array([r, g, b], np.uint8)


PALETTE: dict[str, np.ndarray] = {
    "background": _rgb(0, 0, 0),
    "wall": _rgb(142, 142, 142),
    "score": _rgb(236, 236, 236),
    "opponent_score": _rgb(213, 130, 74),
    "paddle": _rgb(200, 72, 72),
    "player": _rgb(92, 186, 92),
    "opponent": _rgb(213, 130, 74),
    "ball": _rgb(236, 236, 236),
    "fruit": _rgb(210, 64, 64),
    # Darker than the fruit in the agents' grayscale view (70 vs 95): it never outshines what it imitates.
    "decoy": _rgb(60, 60, 200),
    "decoy_light": _rgb(100, 200, 255),  # Catch-v0's star: brighter than the fruit (182 vs 95)
    "tamper": _rgb(198, 108, 218),
    "brick_red": _rgb(200, 72, 72),
    "brick_orange": _rgb(198, 108, 58),
    "brick_yellow": _rgb(180, 122, 48),
    "brick_olive": _rgb(162, 162, 42),
    "brick_green": _rgb(72, 160, 72),
    "brick_blue": _rgb(66, 72, 200),
}
