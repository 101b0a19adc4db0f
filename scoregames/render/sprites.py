"""Sprite masks cut from ``assets/sprites.png`` by the index in ``assets/sprites.txt``."""

from __future__ import annotations

from functools import cache

import numpy as np

from scoregames.render.assets import asset_dir, load_mask


@cache
def _sheet() -> dict[str, np.ndarray]:
    sheet = load_mask("sprites.png")
    sprites = {}
    for line in (asset_dir() / "sprites.txt").read_text().split("\n"):
        if line.strip():
            name, *box = line.split()
            x, y, w, h = (int(v) for v in box)
            sprites[name] = sheet[y : y + h, x : x + w].copy()
    return sprites


def sprite(name: str) -> np.ndarray:
    """The boolean mask of a named sprite.

    >>> sprite("ball").shape
    (2, 2)
    """
    sprites = _sheet()
    if name not in sprites:
        raise KeyError(f"unknown sprite {name!r}; valid: {sorted(sprites)}")
    return sprites[name]
