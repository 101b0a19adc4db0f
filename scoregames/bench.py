"""``scoregames bench``: steps/s of every game, single env and vector env, beside ALE and MinAtar.

Everything is measured in the same run, interleaved repeat by repeat (so a burst of load from
other processes hits every row alike), and reported as medians. One step of every row is
one agent decision: frame skip 4 is folded into a step both for ``ALE/Breakout-v5`` and for our
games (4 game frames per step); MinAtar has no frame skip (one frame per step).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

DEFAULT_NUM_ENVS = (1, 8, 64, 256)
ALE_ID = "ALE/Breakout-v5"
# Below ~0.2 s a measurement is mostly timer and warm-up noise.
MIN_SECONDS = 0.01
ACTION_BLOCK = 4096

# A runner advances its env by some steps and returns how many env steps it took.
Runner = Callable[[], int]


@dataclass
class Row:
    """One measured configuration: ``steps_per_second`` holds one figure per repeat."""

    kind: str  # "single", "vector", "vector+preprocess", "ale-single", "ale-vector", "minatar"
    name: str
    num_envs: int
    steps_per_second: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.steps_per_second) if self.steps_per_second else float("nan")


# ---------------------------------------------------------------------- runners
def scoregames_single(game: str, seed: int = 0) -> tuple[Runner, Callable[[], None]]:
    """``gym.make`` as users get it (with Gymnasium's default wrappers), random actions."""
    import gymnasium as gym

    from scoregames.registration import env_id

    env = gym.make(env_id(game))
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, _num_actions(env.action_space), ACTION_BLOCK).tolist()
    return _single_loop(env, actions), env.close


def ale_single(seed: int = 0) -> tuple[Runner, Callable[[], None]]:
    import ale_py
    import gymnasium as gym

    gym.register_envs(ale_py)
    env = gym.make(ALE_ID)  # v5: frameskip 4, sticky actions 0.25, RGB observations
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, _num_actions(env.action_space), ACTION_BLOCK).tolist()
    return _single_loop(env, actions), env.close


def _single_loop(env: Any, actions: list[int]) -> Runner:
    chunk = 256
    position = [0]

    def run() -> int:
        step, start = env.step, position[0]
        for action in actions[start : start + chunk]:
            _, _, terminated, truncated, _ = step(action)
            if terminated or truncated:
                env.reset()
        position[0] = (start + chunk) % (len(actions) - chunk)
        return chunk

    return run


def scoregames_vector(game: str, num_envs: int, preprocess: bool, seed: int = 0) -> tuple[Runner, Callable[[], None]]:
    import gymnasium as gym

    from scoregames.registration import env_id

    envs = gym.make_vec(env_id(game), num_envs=num_envs, preprocess=preprocess)
    envs.reset(seed=seed)
    return _vector_loop(envs, num_envs, seed), envs.close


def ale_vector(num_envs: int, seed: int = 0) -> tuple[Runner, Callable[[], None]]:
    from ale_py.vector_env import AtariVectorEnv

    # Its defaults: frameskip 4, grayscale 84x84, stack 4, threads = cores (its own C++ pool).
    envs = AtariVectorEnv(game="breakout", num_envs=num_envs)
    envs.reset(seed=seed)
    return _vector_loop(envs, num_envs, seed), envs.close


def _vector_loop(envs: Any, num_envs: int, seed: int) -> Runner:
    n_actions = _num_actions(envs.single_action_space)
    blocks = np.random.default_rng(seed).integers(0, n_actions, (64, num_envs))
    position = [0]

    def run() -> int:
        envs.step(blocks[position[0] % len(blocks)])
        position[0] += 1
        return num_envs

    return run


def minatar_single(seed: int = 0) -> tuple[Runner, Callable[[], None]]:
    from minatar import Environment

    env = Environment("breakout")
    env.seed(seed)
    env.reset()
    actions = np.random.default_rng(seed).integers(0, env.num_actions(), ACTION_BLOCK).tolist()
    chunk = 256
    position = [0]

    def run() -> int:
        start = position[0]
        for action in actions[start : start + chunk]:
            _, terminal = env.act(action)
            env.state()
            if terminal:
                env.reset()
        position[0] = (start + chunk) % (len(actions) - chunk)
        return chunk

    return run, lambda: None


def _num_actions(space: Any) -> int:
    import gymnasium as gym

    assert isinstance(space, gym.spaces.Discrete), f"expected a Discrete action space, got {space}"
    return int(space.n)


def measure(runner: Runner, seconds: float) -> float:
    """Env steps per second of ``runner`` over about ``seconds`` (after one warm-up call)."""
    runner()
    steps = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < seconds:
        steps += runner()
        elapsed = time.perf_counter() - start
    return steps / elapsed


# ---------------------------------------------------------------------- the run
def importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def plan_rows(
    games: Sequence[str], num_envs: Sequence[int], with_ale: bool, with_minatar: bool, preprocess: bool
) -> list[tuple[Row, Callable[[], tuple[Runner, Callable[[], None]]]]]:
    """Every configuration to measure, with the factory that builds its runner."""
    plan: list[tuple[Row, Callable[[], tuple[Runner, Callable[[], None]]]]] = []
    if with_ale:
        plan.append((Row("ale-single", ALE_ID, 1, note="rgb 210x160, sticky 0.25"), ale_single))
        for n in num_envs:
            plan.append(
                (Row("ale-vector", "ale_py AtariVectorEnv breakout", n, note="gray 84x84 x4"), _bind(ale_vector, n))
            )
    if with_minatar:
        plan.append((Row("minatar", "MinAtar breakout", 1, note="10x10x4 grid, no frame skip"), minatar_single))
    for game in games:
        plan.append((Row("single", game, 1, note="rgb 128x128"), _bind(scoregames_single, game)))
        for n in num_envs:
            plan.append((Row("vector", game, n, note="rgb 128x128"), _bind(scoregames_vector, game, n, False)))
        if preprocess:
            for n in num_envs:
                row = Row("vector+preprocess", game, n, note="gray 84x84 x4")
                plan.append((row, _bind(scoregames_vector, game, n, True)))
    return plan


def _bind(function: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: function(*args)


def run_benchmark(
    plan: list[tuple[Row, Callable[[], tuple[Runner, Callable[[], None]]]]],
    repeats: int,
    seconds: float,
    progress: Callable[[str], None] | None = None,
) -> list[Row]:
    """Measure every row ``repeats`` times, interleaved: repeat 1 of all rows, then repeat 2..."""
    built = []
    for row, factory in plan:
        runner, close = factory()
        built.append((row, runner, close))
    try:
        for repeat in range(repeats):
            for row, runner, _ in built:
                row.steps_per_second.append(measure(runner, seconds))
                if progress is not None:
                    progress(
                        f"repeat {repeat + 1}/{repeats} {row.kind} {row.name} N={row.num_envs}: "
                        f"{row.steps_per_second[-1]:,.0f} steps/s"
                    )
    finally:
        for _, _, close in built:
            close()
    return [row for row, _, _ in built]


def summarise(rows: list[Row]) -> dict[str, Any]:
    """Ratios against ALE: each game's single env vs ALE single; best-N vector vs ALE vector's best N."""
    ale_single_rows = [r for r in rows if r.kind == "ale-single"]
    ale_vector_rows = [r for r in rows if r.kind == "ale-vector"]
    ale_single_sps = ale_single_rows[0].median if ale_single_rows else None
    ale_vector_best = max(ale_vector_rows, key=lambda r: r.median) if ale_vector_rows else None
    games: dict[str, Any] = {}
    for row in rows:
        if row.kind not in ("single", "vector", "vector+preprocess"):
            continue
        entry = games.setdefault(row.name, {})
        if row.kind == "single":
            entry["single"] = row.median
            if ale_single_sps:
                entry["single_vs_ale_single"] = row.median / ale_single_sps
        else:
            key = "vector_best" if row.kind == "vector" else "vector_preprocess_best"
            if row.median > entry.get(key, {}).get("steps_per_second", -1.0):
                entry[key] = {"num_envs": row.num_envs, "steps_per_second": row.median}
                if ale_vector_best is not None:
                    entry[key]["vs_ale_vector_best"] = row.median / ale_vector_best.median
    summary: dict[str, Any] = {"games": games}
    if ale_single_sps:
        summary["ale_single"] = ale_single_sps
    if ale_vector_best is not None:
        summary["ale_vector_best"] = {"num_envs": ale_vector_best.num_envs, "steps_per_second": ale_vector_best.median}
    return summary


def machine() -> dict[str, Any]:
    """Hardware, load and library versions, stated beside every table."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for module in ("numpy", "gymnasium", "cv2", "ale_py", "minatar", "scoregames"):
        try:
            versions[module] = getattr(__import__(module), "__version__", "installed")
        except ImportError:
            continue
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1_5_15": [round(v, 2) for v in load] if load else None,
        "versions": versions,
    }


def format_table(rows: list[Row], summary: dict[str, Any]) -> str:
    ale_single = summary.get("ale_single")
    ale_vector = summary.get("ale_vector_best", {}).get("steps_per_second")
    lines = [
        "| env | N | steps/s (median) | range | vs ALE | observation |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        reference = ale_single if row.kind in ("single", "minatar", "ale-single") else ale_vector
        ratio = f"{row.median / reference:.1f}x" if reference else "-"
        label = {
            "single": f"{row.name} single",
            "vector": f"{row.name} vector",
            "vector+preprocess": f"{row.name} vector, preprocessed",
            "ale-single": f"{row.name} single",
            "ale-vector": row.name,
            "minatar": row.name,
        }[row.kind]
        low, high = min(row.steps_per_second), max(row.steps_per_second)
        lines.append(
            f"| {label} | {row.num_envs} | {row.median:,.0f} | {low:,.0f}-{high:,.0f} | {ratio} | {row.note} |"
        )
    return "\n".join(lines)


def format_summary_table(summary: dict[str, Any]) -> str:
    """One row per game: single env, and the vector env at its best N (raw and preprocessed)."""
    ale_single = summary.get("ale_single")
    ale_vector = summary.get("ale_vector_best")
    lines = [
        "| game | single steps/s | vs ALE single | vector steps/s (best N) | vs ALE vector | "
        "preprocessed vector steps/s (best N) | vs ALE vector |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]

    def ratio(value: float | None, reference: float | None) -> str:
        return f"{value / reference:.1f}x" if value and reference else "-"

    if ale_single and ale_vector:
        lines.append(
            f"| *ALE Breakout-v5* | {ale_single:,.0f} | 1.0x | {ale_vector['steps_per_second']:,.0f} "
            f"({ale_vector['num_envs']}) | 1.0x | (ALE's vector env always preprocesses) | |"
        )
    vector_reference = ale_vector["steps_per_second"] if ale_vector else None
    for game, entry in summary["games"].items():
        single = entry.get("single")
        vector = entry.get("vector_best", {})
        pre = entry.get("vector_preprocess_best", {})
        cells = [
            game,
            f"{single:,.0f}" if single else "-",
            ratio(single, ale_single),
            f"{vector['steps_per_second']:,.0f} ({vector['num_envs']})" if vector else "-",
            ratio(vector.get("steps_per_second"), vector_reference),
            f"{pre['steps_per_second']:,.0f} ({pre['num_envs']})" if pre else "-",
            ratio(pre.get("steps_per_second"), vector_reference),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def format_verdict(summary: dict[str, Any]) -> str:
    lines = []
    ale_single = summary.get("ale_single")
    ale_vector = summary.get("ale_vector_best")
    if ale_vector:
        lines.append(
            f"ALE single: {ale_single:,.0f} steps/s; ALE vector best: "
            f"{ale_vector['steps_per_second']:,.0f} steps/s at N={ale_vector['num_envs']}"
        )
    for game, entry in summary["games"].items():
        parts = [f"{game}:"]
        if "single_vs_ale_single" in entry:
            ratio = entry["single_vs_ale_single"]
            parts.append(f"single {ratio:.1f}x ALE single ({'meets' if ratio >= 10 else 'misses'} 10x)")
        for key, label in (("vector_best", "vector"), ("vector_preprocess_best", "vector+preprocess")):
            best = entry.get(key)
            if best and "vs_ale_vector_best" in best:
                ratio = best["vs_ale_vector_best"]
                parts.append(
                    f"{label} best N={best['num_envs']} {ratio:.1f}x ALE vector best"
                    + (f" ({'meets' if ratio >= 30 else 'misses'} 30x)" if key == "vector_best" else "")
                )
        if len(parts) > 1:  # without ALE rows (--no-ale, ale-py missing) there is nothing to compare
            lines.append(parts[0] + " " + "; ".join(parts[1:]))
    return "\n".join(lines)


# ---------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--games", nargs="+", default=None, help="games to measure (default: every game)")
    parser.add_argument(
        "--num-envs", nargs="+", type=int, default=list(DEFAULT_NUM_ENVS), help="vector sizes N (default: 1 8 64 256)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="measurements per row; the table shows the median")
    parser.add_argument("--seconds", type=float, default=1.0, help="length of one measurement")
    parser.add_argument("--json", type=str, default=None, metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--no-ale", action="store_true", help="skip the ALE and MinAtar rows")
    parser.add_argument(
        "--no-preprocess", action="store_true", help="skip the vector env rows with built-in agent preprocessing"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")


def run(args: argparse.Namespace) -> int:
    from scoregames.games import GAMES

    by_lower = {name.lower(): name for name in GAMES}
    games = list(GAMES) if not args.games else [by_lower.get(g.lower(), g) for g in args.games]
    unknown = [g for g in games if g not in GAMES]
    if unknown:
        print(
            f"scoregames bench: unknown game(s) {', '.join(map(repr, unknown))}; valid: {', '.join(GAMES)} (any case)",
            file=sys.stderr,
        )
        return 2
    games = list(dict.fromkeys(games))  # `--games Catch catch` measures Catch once
    problems = []
    if args.repeats < 1:
        problems.append(f"--repeats must be an integer >= 1, got {args.repeats}")
    if not math.isfinite(args.seconds) or args.seconds < MIN_SECONDS:
        problems.append(
            f"--seconds must be a finite number >= {MIN_SECONDS} (length of one measurement), got {args.seconds}"
        )
    bad_sizes = [n for n in args.num_envs if n < 1]
    if bad_sizes:
        problems.append(f"--num-envs sizes must be integers >= 1, got {', '.join(map(str, bad_sizes))}")
    if problems:
        print("scoregames bench: " + "; ".join(problems), file=sys.stderr)
        return 2
    if args.json:  # checked before the measurements, not after them
        problem = json_path_problem(args.json)
        if problem:
            print(f"scoregames bench: {problem}", file=sys.stderr)
            return 2
    with_ale = not args.no_ale and importable("ale_py")
    with_minatar = not args.no_ale and importable("minatar")
    skipped = []
    if not args.no_ale and not with_ale:
        skipped.append("ALE rows skipped: ale-py not installed (pip install 'scoregames[bench]')")
    if not args.no_ale and not with_minatar:
        skipped.append("MinAtar row skipped: minatar not installed (pip install 'scoregames[bench]')")
    plan = plan_rows(games, args.num_envs, with_ale, with_minatar, not args.no_preprocess)
    progress = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    rows = run_benchmark(plan, args.repeats, args.seconds, progress)
    summary = summarise(rows)
    host = machine()
    host["load_average_after"] = host.pop("load_average_1_5_15")
    print(f"scoregames bench, {started}: median of {args.repeats} x {args.seconds:g} s per row, interleaved")
    print(
        f"machine: {host['cpu']}, {host['cores']} cores, {host['platform']}; load average after run: "
        f"{host['load_average_after']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in host["versions"].items()))
    print(
        "one step = one agent decision; frame skip 4 folded into a step for ALE v5 and scoregames; "
        "MinAtar: 1 frame per step"
    )
    for line in skipped:
        print(line)
    print()
    print(format_table(rows, summary))
    print()
    print(format_summary_table(summary))
    print()
    print(format_verdict(summary))
    if args.json:
        payload = {
            "started": started,
            "repeats": args.repeats,
            "seconds": args.seconds,
            "machine": host,
            "rows": [asdict(row) | {"median": row.median} for row in rows],
            "summary": summary,
        }
        try:
            save_json_new(args.json, payload)
        except OSError as error:
            print(
                f"scoregames bench: cannot write {args.json}: {error} (the table above has the results)",
                file=sys.stderr,
            )
            return 1
    return 0


def json_path_problem(path: str) -> str | None:
    """Why the results cannot be written to ``path`` (checked before measuring), or None."""
    if os.path.exists(path):
        return f"--json {path} exists; scoregames never overwrites a file: choose another name"
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        return f"--json {path}: folder {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"--json {path}: folder {parent} is not writable"
    return None


def save_json_new(path: str | os.PathLike[str], payload: Any) -> str:
    """:func:`write_json_new`, saying on stderr where the results went if a file took ``path``
    while the measurements ran (the tools check ``path`` before they start)."""
    written = write_json_new(str(path), payload)
    if written != str(path):
        print(f"{path} appeared during the run; wrote the results to {written} instead", file=sys.stderr)
    return written


def write_json_new(path: str, payload: Any) -> str:
    """Write ``payload`` to ``path`` as a new file, never over one: a file that appeared there
    since the start is kept and the results go to ``<stem>-1.json``, ``-2``, ... beside it.
    Exclusive creation (mode ``"x"``) makes the check and the create one step."""
    text = json.dumps(payload, indent=2)
    stem, suffix = os.path.splitext(path)
    candidate, number = path, 0
    while True:
        try:
            handle = open(candidate, "x")  # noqa: SIM115 (closed below, after a failed write too)
        except FileExistsError:
            number += 1
            candidate = f"{stem}-{number}{suffix}"
            continue
        try:
            with handle:
                handle.write(text)
        except BaseException:
            os.unlink(candidate)  # our own partial file, never someone else's
            raise
        return candidate
