"""Author the bitmap font and sprite sheet PNGs under ``assets/``.

The PNGs are the source of truth at run time (the package loads them with OpenCV);
this script is how they were drawn, kept so a glyph or sprite can be edited as text
and re-exported. Run: ``python tools/make_assets.py`` (overwrites ``assets/font.png``,
``font.txt``, ``sprites.png`` and ``sprites.txt``; ``--out DIR`` writes elsewhere).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

ASSETS = Path(__file__).resolve().parents[1] / "assets"

# 3x5 glyphs: digits, minus and space. '#' is ink.
GLYPHS = {
    "0": ["###", "#.#", "#.#", "#.#", "###"],
    "1": [".#.", "##.", ".#.", ".#.", "###"],
    "2": ["###", "..#", "###", "#..", "###"],
    "3": ["###", "..#", ".##", "..#", "###"],
    "4": ["#.#", "#.#", "###", "..#", "..#"],
    "5": ["###", "#..", "###", "..#", "###"],
    "6": ["###", "#..", "###", "#.#", "###"],
    "7": ["###", "..#", ".#.", ".#.", ".#."],
    "8": ["###", "#.#", "###", "#.#", "###"],
    "9": ["###", "#.#", "###", "..#", "###"],
    "-": ["...", "...", "###", "...", "..."],
    " ": ["...", "...", "...", "...", "..."],
}

# Sprites as masks; the palette colours them at draw time.
SPRITES = {
    "fruit": ["..##..", ".####.", "######", "######", ".####.", "..##.."],
    "star": ["..#...", "..#...", "######", ".####.", ".#..#.", "#....#"],
    "ball": ["##", "##"],
    "tamper": [
        "##########",
        "#........#",
        "#.######.#",
        "#.#....#.#",
        "#.######.#",
        "#........#",
        "#.##..##.#",
        "##########",
    ],
    # Added for the second batch of games (appended: earlier sprites keep their place).
    "runner": [".####.", ".#.##.", ".####.", "..##..", "######", ".####.", ".#..#.", "##..##"],
    "coin": [".####.", "##..##", "#.##.#", "#.##.#", "##..##", ".####."],
    "plant": [".#.#.#.", "..###..", ".#.#.#.", "...#...", "..###..", ".#####.", ".#####."],
    "gardener": ["..##..", "..##..", ".####.", "#.##.#", "..##..", ".#..#.", ".#..#."],
    "chicken": ["...##.", "...###", "#.###.", "#####.", ".###..", "..#.#."],
    "car": ["..####..", ".######.", "########", "########", ".#....#."],
    "bomb": ["....#.", "...#..", ".####.", "######", "######", ".####."],
}


def _mask(rows: list[str]) -> np.ndarray:
    return np.array([[255 if c == "#" else 0 for c in row] for row in rows], np.uint8)


def font_sheet() -> np.ndarray:
    """One row of 3x5 glyphs, 4 px apart, in the order of ``font.txt``."""
    sheet = np.zeros((5, 4 * len(GLYPHS)), np.uint8)
    for i, rows in enumerate(GLYPHS.values()):
        sheet[:, 4 * i : 4 * i + 3] = _mask(rows)
    return sheet


def sprite_sheet() -> tuple[np.ndarray, list[str]]:
    """Sprites side by side with a 1 px gap; the index lists ``name x y w h``."""
    width = sum(len(r[0]) + 1 for r in SPRITES.values())
    height = max(len(r) for r in SPRITES.values())
    sheet = np.zeros((height, width), np.uint8)
    index, x = [], 0
    for name, rows in SPRITES.items():
        mask = _mask(rows)
        sheet[: mask.shape[0], x : x + mask.shape[1]] = mask
        index.append(f"{name} {x} 0 {mask.shape[1]} {mask.shape[0]}")
        x += mask.shape[1] + 1
    return sheet, index


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--out", type=Path, default=ASSETS, metavar="DIR", help="where to write the four files (default: assets)"
    )
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(out / "font.png"), font_sheet())
    (out / "font.txt").write_text("".join(GLYPHS) + "\n")
    sheet, index = sprite_sheet()
    cv2.imwrite(str(out / "sprites.png"), sheet)
    (out / "sprites.txt").write_text("\n".join(index) + "\n")
    for name in ("font.png", "font.txt", "sprites.png", "sprites.txt"):
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
