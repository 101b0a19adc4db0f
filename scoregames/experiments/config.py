"""The experiment config (TOML) and the grid of cells it expands to.

The schema is documented in ``docs/experiments.md``. A config names the games, the training
conditions (HUD preset + reward source), the seeds, the agent command and its budget, and the
diagnosis settings; :func:`load_config` validates it with errors that name the bad key, and
:meth:`ExperimentConfig.cells` expands it to one :class:`CellSpec` per game x condition x seed.

A ``CellSpec`` is plain data (JSON-serialisable) because it travels to other processes and to Ray
workers, and because a finished cell stores it: ``--resume`` compares the stored spec with the
config's so a changed budget is never silently mixed into an old table.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib; tomli is the same parser (needs `tomli; python_version < "3.11"`)
    import tomli as tomllib

# Real commands are the defaults; tests point these at stub scripts in tests/stubs/.
DEFAULT_AGENT_SCRIPT = "agents/ppo.py"
REWARD_SOURCES = ("true", "displayed")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class ConfigError(ValueError):
    """A config that cannot be run; the message names the key and what is valid."""


@dataclass(frozen=True)
class Condition:
    """One training condition: what the agent sees (HUD preset) and what it is rewarded on."""

    name: str
    hud: str
    reward_source: str = "true"


@dataclass(frozen=True)
class AgentSpec:
    """How to train one cell: ``python SCRIPT --env-id ... --run-dir DIR`` plus the budget."""

    script: str  # absolute path after loading
    total_timesteps: int
    num_envs: int = 8
    extra_args: tuple[str, ...] = ()
    python: str = sys.executable


@dataclass(frozen=True)
class DiagnoseSpec:
    """How to diagnose one cell. ``script=None`` runs the real ``scoregames diagnose``."""

    script: str | None = None
    quick: bool = True
    episodes: int | None = None
    extra_args: tuple[str, ...] = ()
    python: str = sys.executable


@dataclass(frozen=True)
class CellSpec:
    """Everything one worker needs to train and diagnose one cell, as plain data."""

    cell_id: str
    game: str
    env_id: str
    condition: str
    hud: str
    reward_source: str
    seed: int
    agent: AgentSpec
    diagnose: DiagnoseSpec
    cpus: float = 1.0
    gpus: float = 0.0
    timeout_minutes: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CellSpec:
        agent = dict(data["agent"], extra_args=tuple(data["agent"].get("extra_args", ())))
        diagnose = dict(data["diagnose"], extra_args=tuple(data["diagnose"].get("extra_args", ())))
        return cls(**{**data, "agent": AgentSpec(**agent), "diagnose": DiagnoseSpec(**diagnose)})

    def fingerprint(self) -> str:
        """Hash of what determines the cell's result (not which python or how many CPUs run it),
        so a resumed experiment can tell whether a finished cell still matches the config."""
        data = self.to_dict()
        for volatile in ("cpus", "gpus", "timeout_minutes"):
            data.pop(volatile)
        data["agent"].pop("python")
        data["diagnose"].pop("python")
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ExperimentConfig:
    name: str
    games: tuple[str, ...]
    conditions: tuple[Condition, ...]
    seeds: tuple[int, ...]
    agent: AgentSpec
    diagnose: DiagnoseSpec
    cpus_per_cell: float = 1.0
    gpus_per_cell: float | str = "auto"  # "auto": one GPU per cell when the machine has one
    timeout_minutes: float | None = None
    source: str = ""  # the TOML text, kept beside the results
    path: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def cells(self, gpus: float = 0.0) -> list[CellSpec]:
        """The grid, in a stable order (game, condition, seed): the same config always gives the
        same cell ids, which is what makes ``--resume`` and the backend comparison possible."""
        from scoregames.registration import env_id

        return [
            CellSpec(
                cell_id=cell_id(game, condition.name, seed),
                game=game,
                env_id=env_id(game),
                condition=condition.name,
                hud=condition.hud,
                reward_source=condition.reward_source,
                seed=seed,
                agent=self.agent,
                diagnose=self.diagnose,
                cpus=self.cpus_per_cell,
                gpus=gpus,
                timeout_minutes=self.timeout_minutes,
            )
            for game in self.games
            for condition in self.conditions
            for seed in self.seeds
        ]


def cell_id(game: str, condition: str, seed: int) -> str:
    """``Catch__tamper-displayed__s1``: readable, sortable and safe as a file name."""
    return f"{game}__{condition}__s{seed}"


def _resolve_script(value: str, key: str, config_dir: Path) -> str:
    """A relative script path is looked up from the working directory, then from the config's
    folder and its parents, so ``examples/headline.toml`` finds ``agents/ppo.py`` from anywhere
    inside the repository."""
    path = Path(value).expanduser()
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [Path.cwd() / path] + [base / path for base in (config_dir, *config_dir.parents)]
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate.resolve())
    raise ConfigError(f"{key} = {value!r}: no such file (looked in the working directory and above the config)")


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table")
    return value


def _check_keys(section: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(section) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(allowed))}")


def _str_list(value: Any, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{key} must be a list of strings")
    return tuple(value)


def parse_config(text: str, path: str | Path = "<config>") -> ExperimentConfig:
    """Validate a TOML experiment config; every error names the key and what is valid."""
    from scoregames.games import GAMES
    from scoregames.hud import PRESETS

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    config_dir = Path(path).resolve().parent if str(path) != "<config>" else Path.cwd()
    _check_keys(data, {"experiment", "agent", "conditions", "diagnose", "resources"}, "top level")

    experiment = _table(data, "experiment")
    _check_keys(experiment, {"name", "games", "seeds", "description"}, "[experiment]")
    name = experiment.get("name", Path(path).stem)
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"[experiment] name = {name!r}: use letters, digits, '-', '_' or '.'")
    games = _str_list(experiment.get("games"), "[experiment] games")
    for game in games:
        if game not in GAMES:
            raise ConfigError(f"[experiment] games: unknown game {game!r}; valid: {', '.join(GAMES)}")
    seeds = experiment.get("seeds")
    if (
        not isinstance(seeds, list)
        or not seeds
        or not all(isinstance(s, int) and not isinstance(s, bool) for s in seeds)
    ):
        raise ConfigError("[experiment] seeds must be a non-empty list of integers")
    if not games:
        raise ConfigError("[experiment] games must not be empty")

    raw_conditions = data.get("conditions")
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise ConfigError("[[conditions]]: give at least one condition (name, hud, reward_source)")
    conditions = []
    for index, raw in enumerate(raw_conditions):
        where = f"[[conditions]] #{index + 1}"
        _check_keys(raw, {"name", "hud", "reward_source"}, where)
        hud = raw.get("hud")
        if hud not in PRESETS:
            raise ConfigError(f"{where}: hud = {hud!r}; valid presets: {', '.join(PRESETS)}")
        reward_source = raw.get("reward_source", "true")
        if reward_source not in REWARD_SOURCES:
            raise ConfigError(f"{where}: reward_source = {reward_source!r}; valid: {', '.join(REWARD_SOURCES)}")
        condition_name = raw.get("name", f"{hud}-{reward_source}")
        if not isinstance(condition_name, str) or not _NAME.match(condition_name) or "__" in condition_name:
            raise ConfigError(f"{where}: name = {condition_name!r}: use letters, digits, '-', '_' (no '__')")
        conditions.append(Condition(condition_name, hud, reward_source))
    names = [c.name for c in conditions]
    if len(set(names)) != len(names):
        raise ConfigError(f"[[conditions]]: names must be unique, got {names}")

    agent = _table(data, "agent")
    _check_keys(agent, {"script", "total_timesteps", "num_envs", "extra_args", "python"}, "[agent]")
    total_timesteps = agent.get("total_timesteps")
    if not isinstance(total_timesteps, int) or total_timesteps <= 0:
        raise ConfigError("[agent] total_timesteps must be a positive integer (the budget per cell)")
    num_envs = agent.get("num_envs", 8)
    if not isinstance(num_envs, int) or num_envs <= 0:
        raise ConfigError("[agent] num_envs must be a positive integer")
    agent_spec = AgentSpec(
        script=_resolve_script(agent.get("script", DEFAULT_AGENT_SCRIPT), "[agent] script", config_dir),
        total_timesteps=total_timesteps,
        num_envs=num_envs,
        extra_args=_str_list(agent.get("extra_args", []), "[agent] extra_args"),
        python=str(agent.get("python", sys.executable)),
    )

    diagnose = _table(data, "diagnose")
    _check_keys(diagnose, {"script", "quick", "episodes", "extra_args", "python"}, "[diagnose]")
    episodes = diagnose.get("episodes")
    if episodes is not None and (not isinstance(episodes, int) or episodes <= 0):
        raise ConfigError("[diagnose] episodes must be a positive integer")
    quick = diagnose.get("quick", True)
    if not isinstance(quick, bool):
        raise ConfigError("[diagnose] quick must be true or false")
    script = diagnose.get("script")
    diagnose_spec = DiagnoseSpec(
        script=None if script is None else _resolve_script(script, "[diagnose] script", config_dir),
        quick=quick,
        episodes=episodes,
        extra_args=_str_list(diagnose.get("extra_args", []), "[diagnose] extra_args"),
        python=str(diagnose.get("python", sys.executable)),
    )

    resources = _table(data, "resources")
    _check_keys(resources, {"cpus_per_cell", "gpus_per_cell", "timeout_minutes"}, "[resources]")
    cpus = resources.get("cpus_per_cell", 1)
    if not isinstance(cpus, (int, float)) or cpus <= 0:
        raise ConfigError("[resources] cpus_per_cell must be a positive number")
    gpus = resources.get("gpus_per_cell", "auto")
    if gpus != "auto" and (not isinstance(gpus, (int, float)) or gpus < 0):
        raise ConfigError('[resources] gpus_per_cell must be "auto", 0, a fraction or 1')
    timeout = resources.get("timeout_minutes")
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ConfigError("[resources] timeout_minutes must be a positive number")

    return ExperimentConfig(
        name=name,
        games=games,
        conditions=tuple(conditions),
        seeds=tuple(seeds),
        agent=agent_spec,
        diagnose=diagnose_spec,
        cpus_per_cell=float(cpus),
        gpus_per_cell=gpus if gpus == "auto" else float(gpus),
        timeout_minutes=None if timeout is None else float(timeout),
        source=text,
        path=str(Path(path).resolve()) if str(path) != "<config>" else "",
    )


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    return parse_config(path.read_text(), path)
