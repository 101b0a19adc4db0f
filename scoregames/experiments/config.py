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
import math
import re
import sys
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeGuard

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 has no tomllib; tomli is the same parser (needs `tomli; python_version < "3.11"`)
    import tomli as tomllib

# Real commands are the defaults; tests point these at stub scripts in tests/stubs/.
DEFAULT_AGENT_SCRIPT = "agents/ppo.py"
REWARD_SOURCES = ("true", "displayed")
# Seeds reach np.random.seed, which takes 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1
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


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite int or float (TOML also has booleans, inf and nan, none of which is a budget)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _no_duplicates(values: tuple[Any, ...], key: str, what: str) -> None:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            raise ConfigError(f"{key}: {value!r} is listed twice; list each {what} once (each one is a cell)")
        seen.add(value)


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
    _no_duplicates(games, "[experiment] games", "game")
    seeds = experiment.get("seeds")
    if not isinstance(seeds, list) or not seeds or not all(_is_int(s) for s in seeds):
        raise ConfigError("[experiment] seeds must be a non-empty list of integers")
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            raise ConfigError(f"[experiment] seeds: {seed} is out of range; valid seeds: 0 to {MAX_SEED}")
    _no_duplicates(tuple(seeds), "[experiment] seeds", "seed")
    if not games:
        raise ConfigError("[experiment] games must not be empty")

    raw_conditions = data.get("conditions")
    if not isinstance(raw_conditions, list) or not raw_conditions:
        raise ConfigError("[[conditions]]: give at least one condition (name, hud, reward_source)")
    conditions = []
    for index, raw in enumerate(raw_conditions):
        where = f"[[conditions]] #{index + 1}"
        if not isinstance(raw, dict):
            raise ConfigError(
                f"{where}: {raw!r} is not a table; write each condition as a [[conditions]] table "
                "with name, hud and reward_source"
            )
        _check_keys(raw, {"name", "hud", "reward_source"}, where)
        hud = raw.get("hud")
        if not isinstance(hud, str) or hud not in PRESETS:
            raise ConfigError(f"{where}: hud = {hud!r}; valid presets: {', '.join(PRESETS)}")
        reward_source = raw.get("reward_source", "true")
        if not isinstance(reward_source, str) or reward_source not in REWARD_SOURCES:
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
    if not _is_int(total_timesteps) or total_timesteps <= 0:
        raise ConfigError("[agent] total_timesteps must be a positive integer (the budget per cell)")
    num_envs = agent.get("num_envs", 8)
    if not _is_int(num_envs) or num_envs <= 0:
        raise ConfigError("[agent] num_envs must be a positive integer")
    agent_spec = AgentSpec(
        script=_resolve_script(
            _script(agent.get("script", DEFAULT_AGENT_SCRIPT), "[agent]"), "[agent] script", config_dir
        ),
        total_timesteps=total_timesteps,
        num_envs=num_envs,
        extra_args=_str_list(agent.get("extra_args", []), "[agent] extra_args"),
        python=_python(agent.get("python", sys.executable), "[agent]"),
    )

    diagnose = _table(data, "diagnose")
    _check_keys(diagnose, {"script", "quick", "episodes", "extra_args", "python"}, "[diagnose]")
    episodes = diagnose.get("episodes")
    if episodes is not None and (not _is_int(episodes) or episodes <= 0):
        raise ConfigError("[diagnose] episodes must be a positive integer")
    quick = diagnose.get("quick", True)
    if not isinstance(quick, bool):
        raise ConfigError("[diagnose] quick must be true or false")
    script = diagnose.get("script")
    diagnose_spec = DiagnoseSpec(
        script=None
        if script is None
        else _resolve_script(_script(script, "[diagnose]"), "[diagnose] script", config_dir),
        quick=quick,
        episodes=episodes,
        extra_args=_str_list(diagnose.get("extra_args", []), "[diagnose] extra_args"),
        python=_python(diagnose.get("python", sys.executable), "[diagnose]"),
    )

    resources = _table(data, "resources")
    _check_keys(resources, {"cpus_per_cell", "gpus_per_cell", "timeout_minutes"}, "[resources]")
    cpus = resources.get("cpus_per_cell", 1)
    if not _is_number(cpus) or cpus <= 0:
        raise ConfigError("[resources] cpus_per_cell must be a positive number")
    gpus = resources.get("gpus_per_cell", "auto")
    if gpus != "auto" and (not _is_number(gpus) or gpus < 0):
        raise ConfigError('[resources] gpus_per_cell must be "auto", 0, a fraction or 1')
    timeout = resources.get("timeout_minutes")
    if timeout is not None and (not _is_number(timeout) or timeout <= 0):
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


def _script(value: Any, section: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{section} script = {value!r}: give the path of a script, as a string")
    return value


def _python(value: Any, section: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{section} python = {value!r}: give the path of a Python interpreter, as a string")
    return value


def load_config(path: str | Path) -> ExperimentConfig:
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give an experiment config file (.toml), e.g. examples/tiny.toml")
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the config: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(
            f"{path}: not a UTF-8 text file (byte {data[error.start]:#04x} at offset {error.start}); "
            "a config is TOML, which must be saved as UTF-8"
        ) from None
    return parse_config(text, path)


# ---- comparing a config with the one a results directory was started with (--resume)

# Settings that say how a cell runs, not what it computes (the fingerprint leaves them out too):
# a resumed run may change them, e.g. a longer timeout for cells that timed out.
RUN_SETTINGS = (
    "[agent] python",
    "[diagnose] python",
    "[resources] cpus_per_cell",
    "[resources] gpus_per_cell",
    "[resources] timeout_minutes",
)


def settings(config: ExperimentConfig) -> dict[str, Any]:
    """The config's meaning, by key (defaults filled in, scripts resolved): what a comparison
    of two configs compares, so comments, layout and spelled-out defaults do not count."""
    return {
        "[experiment] name": config.name,
        "[experiment] games": list(config.games),
        "[experiment] seeds": list(config.seeds),
        "[[conditions]]": [{"name": c.name, "hud": c.hud, "reward_source": c.reward_source} for c in config.conditions],
        "[agent] script": config.agent.script,
        "[agent] total_timesteps": config.agent.total_timesteps,
        "[agent] num_envs": config.agent.num_envs,
        "[agent] extra_args": list(config.agent.extra_args),
        "[agent] python": config.agent.python,
        "[diagnose] script": config.diagnose.script,
        "[diagnose] quick": config.diagnose.quick,
        "[diagnose] episodes": config.diagnose.episodes,
        "[diagnose] extra_args": list(config.diagnose.extra_args),
        "[diagnose] python": config.diagnose.python,
        "[resources] cpus_per_cell": config.cpus_per_cell,
        "[resources] gpus_per_cell": config.gpus_per_cell,
        "[resources] timeout_minutes": config.timeout_minutes,
    }


def _keeps(before: list[Any], after: list[Any]) -> bool:
    """Whether ``after`` holds every entry of ``before`` (a grid axis that only grew)."""
    return all(entry in after for entry in before)


def _raw_settings(text: str) -> dict[str, Any]:
    """The TOML's keys as written (the fallback when a stored config no longer loads)."""
    flat: dict[str, Any] = {}
    for section, table in tomllib.loads(text).items():
        if isinstance(table, dict):
            flat.update({f"[{section}] {key}": value for key, value in table.items()})
        else:
            flat[f"[[{section}]]" if section == "conditions" else section] = table
    return flat


def _shown(value: Any) -> str:
    return "not set" if value is None else repr(value)


# The grid's axes: a config that keeps every stored entry and adds more grows the grid.
GRID_AXES = ("[experiment] games", "[experiment] seeds", "[[conditions]]")


def compare_configs(
    stored_text: str, stored_path: str | Path, config: ExperimentConfig, stored_name: str | None = None
) -> tuple[list[str], list[str], list[str]]:
    """How ``config`` differs from the config a results directory was started with.

    Returns ``(differences, run_differences, growth)``, each a list of ``"KEY (STORED there, NEW
    here)"``; ``differences`` change what the cells compute, ``run_differences`` only how they run
    (:data:`RUN_SETTINGS`), ``growth`` adds games, seeds or conditions and keeps every stored one
    (:data:`GRID_AXES`: the stored cells stay as they are). ``stored_path`` is where the stored
    config was first loaded from (its relative scripts are found from there); ``stored_name`` the
    experiment's recorded name. Raises :class:`ConfigError` when the stored text is not TOML at all.
    """
    try:
        stored = parse_config(stored_text, stored_path)
        if stored_name:
            stored = replace(stored, name=stored_name)
        old, new = settings(stored), settings(config)
    except ConfigError:
        # It no longer loads here (a script moved, stricter checks): compare the keys as written.
        try:
            old = _raw_settings(stored_text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"not valid TOML: {error}") from None
        new = _raw_settings(config.source)
    differences: list[str] = []
    run_differences: list[str] = []
    growth: list[str] = []
    for key in dict.fromkeys([*old, *new]):
        before, after = old.get(key), new.get(key)
        if before != after:
            line = f"{key} ({_shown(before)} there, {_shown(after)} here)"
            if key in GRID_AXES and isinstance(before, list) and isinstance(after, list) and _keeps(before, after):
                # Only reordered: the same cells, listed in another order (not growth).
                (run_differences if _keeps(after, before) else growth).append(line)
            else:
                (run_differences if key in RUN_SETTINGS else differences).append(line)
    return differences, run_differences, growth
