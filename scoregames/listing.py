"""``scoregames list``: every env id, HUD preset and game rule."""

from __future__ import annotations

import argparse

from scoregames.games import GAMES
from scoregames.hud import PRESET_DESCRIPTIONS
from scoregames.registration import env_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``list`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    print("Games (gym.make id, actions, rule):")
    for name, game in GAMES.items():
        print(f"  {env_id(name):<28} {len(game.action_meanings)} actions  {game.rule}")
        for version, knobs in sorted(game.earlier_versions.items()):
            rebuilt = ", ".join(f"{knob}={value!r}" for knob, value in knobs.items())
            print(f"    also {env_id(name, version)} (earlier version: {rebuilt})")
    print("\nHUD presets (hud=...):")
    for preset, description in PRESET_DESCRIPTIONS.items():
        print(f"  {preset:<16} {description}")
    print("\nreward_source: 'true' (default) or 'displayed' (change of the displayed score)")
    return 0
