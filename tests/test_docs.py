"""Every game's docstring is its documentation page, with the same sections in the same order."""

from __future__ import annotations

import inspect
import re

import pytest

from scoregames.games import GAMES
from scoregames.registration import env_id

SECTIONS = [
    "Description",
    "Action Space",
    "Observation Space",
    "Rewards",
    "Score Display",
    "Positional Cues",
    "Starting State",
    "Episode End",
    "Arguments",
    "Version History",
    "Example",
]


@pytest.mark.parametrize("name", list(GAMES))
def test_game_docstring_sections(name: str) -> None:
    doc = inspect.getdoc(GAMES[name]) or ""
    assert re.findall(r"^## (.+)$", doc, flags=re.MULTILINE) == SECTIONS
    assert f'gym.make("{env_id(name)}"' in doc, "the example must build the env by its id"
    assert ">>>" in doc.split("## Example", 1)[1]
    assert "- v0:" in doc and f"- v{GAMES[name].version}:" in doc, "every version has a history line"


@pytest.mark.parametrize("name", list(GAMES))
def test_game_metadata_is_filled_in(name: str) -> None:
    game = GAMES[name]
    assert game.rule and game.tamper_site and game.decoy_event
    assert game.action_meanings[0] == "NOOP"
    assert all(isinstance(default, (int, float, bool)) for default in game.flags.values())


def test_scoregames_list_shows_every_id_preset_and_rule(capsys: pytest.CaptureFixture[str]) -> None:
    from scoregames.cli import main
    from scoregames.hud import PRESETS

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, game in GAMES.items():
        assert env_id(name) in out and game.rule in out
    for preset in PRESETS:
        assert preset in out


def test_readme_lists_every_oracle() -> None:
    """The README's `--list-oracles` comment names what the command prints, in its order."""
    from pathlib import Path

    from scoregames.diagnostics.oracles import ORACLES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    match = re.search(r"scoregames diagnose --list-oracles +# (.+)$", readme, flags=re.MULTILINE)
    assert match, "README: the --list-oracles example line is missing"
    assert [name.strip() for name in match.group(1).split(",")] == list(ORACLES)
