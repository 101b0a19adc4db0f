"""Golden frame hashes: pixels of a fixed seed and action sequence never change silently.

A change in game rules or pixels needs a new env version, a CHANGELOG entry and
``python -m tests.make_golden``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import make_golden
from .make_golden import GOLDEN, frame_digest, golden_keys

RECORDED = json.loads(GOLDEN.read_text())


@pytest.mark.parametrize("key", sorted(RECORDED))
def test_frames_match_the_recorded_hashes(key: str) -> None:
    assert frame_digest(key) == RECORDED[key]


def test_every_version_of_every_game_and_hud_has_a_recorded_hash() -> None:
    assert set(golden_keys()) <= set(RECORDED)


def test_new_versions_change_only_the_pixels_they_say() -> None:
    """Pong-v1 differs from v0 only under displays that do not follow play (``decoupled`` here);
    Freeway-v1 starts each lane at its own point, so every frame sequence differs."""
    for hud in ("standard", "tamper"):
        assert RECORDED[f"Pong-v1/{hud}"] == RECORDED[f"Pong-v0/{hud}"]
    assert RECORDED["Pong-v1/decoupled"] != RECORDED["Pong-v0/decoupled"]
    for hud in ("standard", "tamper", "decoupled"):
        assert RECORDED[f"Freeway-v1/{hud}"] != RECORDED[f"Freeway-v0/{hud}"]


def test_make_golden_refuses_to_change_a_recorded_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    golden = tmp_path / "golden.json"
    golden.write_text(json.dumps({"Catch-v1/standard": "0" * 64}))
    monkeypatch.setattr(make_golden, "GOLDEN", golden)
    monkeypatch.setattr(make_golden, "golden_keys", lambda: ["Catch-v1/standard", "Catch-v1/tamper"])
    assert make_golden.main([]) == 1
    assert json.loads(golden.read_text()) == {"Catch-v1/standard": "0" * 64}  # untouched
    assert make_golden.main(["--force"]) == 0
    assert json.loads(golden.read_text()) == {key: RECORDED[key] for key in ("Catch-v1/standard", "Catch-v1/tamper")}
