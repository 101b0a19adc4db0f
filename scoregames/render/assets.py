"""Find the asset folder: inside the wheel (``scoregames/assets``) or the source checkout."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np

_PACKAGE_ASSETS = Path(__file__).resolve().parents[1] / "assets"
_CHECKOUT_ASSETS = Path(__file__).resolve().parents[2] / "assets"


@cache
def asset_dir() -> Path:
    for candidate in (_PACKAGE_ASSETS, _CHECKOUT_ASSETS):
        if (candidate / "font.png").is_file():
            return candidate
    raise FileNotFoundError(
        f"scoregames assets not found in {_PACKAGE_ASSETS} or {_CHECKOUT_ASSETS}; reinstall the package"
    )


def load_mask(name: str) -> np.ndarray:
    """Read a grayscale PNG from the asset folder as a boolean ink mask."""
    path = asset_dir() / name
    image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise FileNotFoundError(f"could not read asset {path}")
    return image > 127
