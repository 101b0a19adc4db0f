"""``scoregames human-scores DIR``: human reference scores from recordings, per game and HUD preset.

Every recording under the given folders (``*.npz``, searched recursively) or given as a file
is read; by default only games the game itself ended (game over or time limit) count, since
a game the player restarted or quit is not a full game. Recordings made with other env
arguments (sticky actions, game knobs) are kept in their own rows. ``--verify`` first replays
every recording and leaves out those that do not reproduce their scores.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scoregames.recording import Recording, RecordingError

FORMATS = ("text", "markdown", "json")


@dataclass
class ScoreRow:
    """Human scores of one game under one display condition."""

    game: str  # env id's name and version, e.g. Breakout-v0
    hud: str
    settings: str  # env arguments other than the HUD, "" when none
    games: int
    players: int  # distinct named players ("" counts as one anonymous player)
    recordings: int
    true_mean: float
    true_median: float
    true_std: float
    true_min: int
    true_max: int
    displayed_mean: float
    displayed_median: float


def settings_label(env_kwargs: dict[str, Any]) -> str:
    """The env arguments besides ``hud`` as ``key=value`` text, sorted.

    >>> settings_label({"hud": "tamper", "repeat_action_probability": 0.0, "spawn": "left"})
    'repeat_action_probability=0.0 spawn=left'
    """
    return " ".join(
        f"{key}={json.dumps(value) if not isinstance(value, str) else value}"
        for key, value in sorted(env_kwargs.items())
        if key != "hud"
    )


def summarise(recordings: Iterable[Recording], include_unfinished: bool = False) -> list[ScoreRow]:
    """One row per (game, HUD preset, other env arguments), sorted by game then preset."""
    groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for recording in recordings:
        key = (recording.env_id.split("/")[-1], recording.hud_preset, settings_label(recording.env_kwargs))
        group = groups.setdefault(key, {"true": [], "displayed": [], "players": set(), "recordings": 0})
        counted = [e for e in recording.episodes if include_unfinished or e.finished]
        if not counted:
            continue
        group["recordings"] += 1
        group["players"].add(recording.player)
        group["true"] += [episode.true_score for episode in counted]
        group["displayed"] += [episode.displayed_score for episode in counted]
    rows = []
    for (game, hud, settings), group in sorted(groups.items()):
        true_scores, displayed = group["true"], group["displayed"]
        if not true_scores:
            continue
        rows.append(
            ScoreRow(
                game=game,
                hud=hud,
                settings=settings,
                games=len(true_scores),
                players=len(group["players"]),
                recordings=group["recordings"],
                true_mean=statistics.fmean(true_scores),
                true_median=float(statistics.median(true_scores)),
                true_std=statistics.stdev(true_scores) if len(true_scores) > 1 else 0.0,
                true_min=min(true_scores),
                true_max=max(true_scores),
                displayed_mean=statistics.fmean(displayed),
                displayed_median=float(statistics.median(displayed)),
            )
        )
    return rows


def find_recordings(paths: Sequence[str | Path]) -> list[Path]:
    """The ``.npz`` files under each folder (recursively), plus any files named directly."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.npz") if p.is_file())
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def format_rows(rows: list[ScoreRow], style: str = "text") -> str:
    """The table as aligned text, Markdown or JSON."""
    if style == "json":
        return json.dumps([asdict(row) for row in rows], indent=2)
    header = ["game", "HUD", "settings", "n", "players", "true mean", "true median", "true sd", "min", "max",
              "displayed mean", "displayed median"]  # fmt: skip
    table = [
        [
            row.game,
            row.hud,
            row.settings or "-",
            str(row.games),
            str(row.players),
            f"{row.true_mean:.1f}",
            f"{row.true_median:g}",
            f"{row.true_std:.1f}",
            str(row.true_min),
            str(row.true_max),
            f"{row.displayed_mean:.1f}",
            f"{row.displayed_median:g}",
        ]  # fmt: skip
        for row in rows
    ]
    if style == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return "\n".join(lines + ["| " + " | ".join(cells) + " |" for cells in table])
    widths = [max(len(cells[i]) for cells in [header, *table]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
                     for cells in [header, *table])  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="DIR", help="folders of recordings (searched recursively) or files")
    parser.add_argument(
        "--all", action="store_true", help="also count games the player restarted or quit (default: finished only)"
    )
    parser.add_argument("--verify", action="store_true", help="replay each recording; leave out any not reproduced")
    parser.add_argument("--format", choices=FORMATS, default="text", help="output style (default: text)")


def run(args: argparse.Namespace) -> int:
    try:
        paths = find_recordings(args.paths)
    except OSError as error:
        print(f"scoregames human-scores: error: {error}", file=sys.stderr)
        return 2
    recordings = []
    for path in paths:
        try:
            recording = Recording.load(path, steps=args.verify)
        except RecordingError as error:
            print(f"skipped {error}", file=sys.stderr)
            continue
        if args.verify:
            from scoregames.replay import replay

            try:
                failed = [result for result in replay(recording) if result.mismatch]
            except RecordingError as error:
                print(f"skipped {path}: {error}", file=sys.stderr)
                continue
            except Exception as error:  # one file the env cannot replay must not sink the whole summary
                print(f"skipped {path}: cannot replay it: {type(error).__name__}: {error}", file=sys.stderr)
                continue
            if failed:
                print(f"left out {path}: not reproduced ({failed[0].mismatch})", file=sys.stderr)
                continue
        recordings.append(recording)
    rows = summarise(recordings, include_unfinished=args.all)
    if not rows:
        what = "games" if args.all else "finished games (--all counts restarted and quit ones too)"
        print(f"no {what} in {len(recordings)} recording(s) under {', '.join(args.paths)}", file=sys.stderr)
        return 1
    print(format_rows(rows, args.format))
    return 0
