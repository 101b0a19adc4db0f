"""Golden frame hashes: pixels of a fixed seed and action sequence never change silently.

A change in game rules or pixels needs a new env version, a CHANGELOG entry and
``python -m tests.make_golden``.
"""

from __future__ import annotations

import json

import pytest

from .make_golden import GOLDEN, frame_digest, golden_keys

RECORDED = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_frames_match_the_recorded_hashes(key: str) -> None:
    assert frame_digest(key) == RECORDED[key]


def test_every_version_of_every_game_and_hud_has_a_recorded_hash() -> None:
    assert set(golden_keys()) <= set(RECORDED)
