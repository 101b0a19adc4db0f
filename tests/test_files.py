"""scoregames.files: what run arguments and experiment configs are written with."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from scoregames.files import write_new_text


def test_write_new_text_writes_whole_and_never_over_a_file(tmp_path: Path) -> None:
    path = tmp_path / "args.json"
    assert write_new_text(path, "first") and path.read_text() == "first"
    assert not write_new_text(path, "second") and path.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["args.json"]  # no temp file left


def test_without_hard_links_it_creates_exclusively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_links(source: str, target: object) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(os, "link", no_links)
    path = tmp_path / "config.toml"
    assert write_new_text(path, "grid") and path.read_text() == "grid"
    assert not write_new_text(path, "other") and path.read_text() == "grid"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
