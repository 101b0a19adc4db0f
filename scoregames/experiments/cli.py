"""``scoregames experiment CONFIG.toml``: run a grid of games x training conditions x seeds.

Every cell trains an agent and diagnoses it; its record lands in ``RESULTS_DIR/cells/`` the moment
it finishes; at the end (and on Ctrl-C) the table ``RESULTS_DIR/results.csv`` is rebuilt from the
records. ``--resume`` skips finished cells and redoes the rest; an existing results directory is
never reused without it. The schema of the config is in ``docs/experiments.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from scoregames.experiments.backends import BACKENDS, local_gpus, local_workers, ray_gpus, run_local, run_ray
from scoregames.experiments.cell import diagnose_command, stop_signals_interrupt, train_command
from scoregames.experiments.config import CellSpec, ConfigError, ExperimentConfig, compare_configs, load_config
from scoregames.experiments.store import ResultStore, write_json_atomic
from scoregames.files import write_new_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", type=Path, help="experiment config (TOML), e.g. examples/headline.toml")
    parser.add_argument("--out", type=Path, default=None, help="results directory (default: results/<name>)")
    parser.add_argument("--resume", action="store_true", help="continue an existing results directory")
    parser.add_argument("--backend", choices=BACKENDS, default="local", help="where cells run (default: local)")
    parser.add_argument("--address", default=None, help='Ray address (e.g. "auto" or ray://HOST:10001)')
    parser.add_argument("--workers", type=int, default=None, help="local backend: cells at a time (default: cores)")
    parser.add_argument("--dry-run", action="store_true", help="print the cells and their commands, run nothing")


def _gpus_per_cell(config: ExperimentConfig, backend: str, address: str | None) -> tuple[float, list[str]]:
    """Resolve ``gpus_per_cell = "auto"``: one GPU per cell where the machine/cluster has GPUs."""
    gpus = local_gpus() if backend == "local" else []
    if config.gpus_per_cell != "auto":
        return float(config.gpus_per_cell), gpus
    if backend == "ray":
        return (1.0 if ray_gpus(address) > 0 else 0.0), gpus
    return (1.0 if gpus else 0.0), gpus


def _print_dry_run(cells: list[CellSpec], results_dir: Path) -> None:
    for spec in cells:
        run_dir = results_dir / "runs" / spec.cell_id / "train"
        print(f"{spec.cell_id}  (cpus={spec.cpus:g}, gpus={spec.gpus:g})")
        print("  train:    " + shlex.join(train_command(spec, run_dir, spec.gpus > 0, resume=False)))
        diagnosis_dir = results_dir / "runs" / spec.cell_id / "diagnosis"
        print("  diagnose: " + shlex.join(diagnose_command(spec, run_dir, diagnosis_dir)))


def _command(args: argparse.Namespace, results_dir: Path) -> str:
    """The command that reproduces (or, with --resume, continues) this run."""
    words = ["scoregames", "experiment", str(args.config), "--out", str(results_dir)]
    if args.backend != "local":
        words += ["--backend", args.backend] + (["--address", args.address] if args.address else [])
    return shlex.join(words)


def _lock(results_dir: Path) -> int | None:
    """Take the results folder for this process: an exclusive ``flock`` on the folder itself (no
    file is added to it), which the kernel drops when the process ends, killed or not. Returns
    the descriptor to keep open, or None when another process holds the folder. Where the
    filesystem has no such locks (some network mounts) the run goes on without one."""
    descriptor = os.open(results_dir, os.O_RDONLY)
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return descriptor
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            os.close(descriptor)
            return None
    return descriptor


def _read_experiment(results_dir: Path) -> dict[str, Any]:
    try:
        data = json.loads((results_dir / "experiment.json").read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _stored_config(results_dir: Path, experiment: dict[str, Any]) -> tuple[str, Path] | None:
    """The config text a results directory was started with, and the file that names it."""
    stored = results_dir / "config.toml"
    if stored.is_file() and stored.stat().st_size:  # (an empty one, from a crash of an older version: see below)
        return stored.read_bytes().decode("utf-8", errors="replace"), stored
    if isinstance(experiment.get("config"), str):
        return experiment["config"], results_dir / "experiment.json"
    return None


def _check_resume(
    config: ExperimentConfig, config_file: Path, results_dir: Path, experiment: dict[str, Any]
) -> tuple[str | None, bool]:
    """``(why not, grows)``: why ``config`` may not continue ``results_dir`` (None if it may), and
    whether it grows the grid (keeps every stored game, seed and condition and adds more). A
    difference in how cells run (resources, interpreter) is allowed, with a note."""
    if not any(results_dir.iterdir()):
        return None, False
    stored = _stored_config(results_dir, experiment)
    if stored is None:
        if (results_dir / "cells").is_dir():
            return None, False  # results without a stored config: the per-cell fingerprints are checked below
        return (
            f"{results_dir} holds files but no experiment (no config.toml, experiment.json or cells/); "
            "--resume continues a results directory of scoregames experiment: choose another --out"
        ), False
    text, where = stored
    origin = experiment.get("config_path") or where
    name = experiment.get("name") if isinstance(experiment.get("name"), str) else None
    try:
        differences, run_differences, growth = compare_configs(text, origin, config, name)
    except ConfigError as error:
        return (
            f"{where}, the config {results_dir} was started with, cannot be read ({error}), so this config "
            "cannot be checked against it: restore it, or choose another --out"
        ), False
    if differences:
        return (
            f"{results_dir} was started with another config ({where}); {config_file} differs in: "
            + "; ".join(differences)
            + ". --resume continues a run with the config it was started with, or one that only adds games, "
            "seeds or conditions: resume with such a config, or choose another --out for this one"
        ), False
    if run_differences:
        print(
            f"note: running with this config's {'; '.join(run_differences)}; "
            f"{where} keeps the config the run was started with",
            file=sys.stderr,
        )
    if growth:
        print(f"note: the grid grows: {'; '.join(growth)}", file=sys.stderr)
    return None, bool(growth)


def _grow_stored_config(results_dir: Path, config: ExperimentConfig) -> None:
    """The grid grew: the config it grew from is kept as ``config-before-N.toml``, and config.toml
    becomes the larger one (so a later resume with the smaller config is refused, not shrinking)."""
    stored = results_dir / "config.toml"
    if stored.is_file():
        number = 1
        while (kept := results_dir / f"config-before-{number}.toml").exists():
            number += 1
        stored.rename(kept)
    write_new_text(stored, config.source)


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        print(f"scoregames experiment: {error}", file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print(
            f"scoregames experiment: --workers {args.workers}: give a positive number of cells at a time "
            "(default: as many as the cores allow)",
            file=sys.stderr,
        )
        return 2
    results_dir: Path = args.out or Path("results") / config.name
    if results_dir.exists() and not results_dir.is_dir():
        print(
            f"scoregames experiment: --out {results_dir} is a file, not a folder; choose a results folder "
            "(new, or one of this experiment with --resume)",
            file=sys.stderr,
        )
        return 2
    if args.dry_run:
        return _run(args, config, results_dir)
    # One runner per results folder: two would train the same cells into the same run folders,
    # each deleting the other's partial runs and diagnoses. The folder is taken before anything
    # in it is read, so what this run finds there stays true until it ends.
    created = not results_dir.exists()
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"scoregames experiment: cannot create --out {results_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    lock = _lock(results_dir)
    if lock is None:
        print(
            f"scoregames experiment: another scoregames experiment is running in {results_dir}; wait for it to "
            "end (or stop it), then continue it with --resume, or choose another --out",
            file=sys.stderr,
        )
        return 2
    try:
        return _run(args, config, results_dir)
    finally:
        os.close(lock)
        if created:
            with contextlib.suppress(OSError):  # refused before writing anything: leave no empty folder
                results_dir.rmdir()


def _run(args: argparse.Namespace, config: ExperimentConfig, results_dir: Path) -> int:
    """The run, once ``results_dir`` is this process's (see :func:`_lock`); with ``--dry-run``, only
    the listing."""
    if not args.dry_run and any(results_dir.iterdir()) and not args.resume:
        print(
            f"scoregames experiment: {results_dir} already holds results; pass --resume to continue it, "
            "or choose another --out",
            file=sys.stderr,
        )
        return 2
    experiment = _read_experiment(results_dir) if results_dir.is_dir() else {}
    stored = _stored_config(results_dir, experiment) if results_dir.is_dir() else None
    grows = False
    if not args.dry_run and args.resume and results_dir.is_dir():
        refusal, grows = _check_resume(config, args.config, results_dir, experiment)
        if refusal:
            print(f"scoregames experiment: {refusal}", file=sys.stderr)
            return 2
    if args.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            print('scoregames experiment: --backend ray needs Ray: pip install "scoregames[ray]"', file=sys.stderr)
            return 2
    try:
        gpus_per_cell, gpus = _gpus_per_cell(config, args.backend, args.address)
    except ConnectionError as error:  # ray.init could not reach --address
        print(f"scoregames experiment: cannot connect to Ray at {args.address}: {error}", file=sys.stderr)
        return 2
    cells = config.cells(gpus=gpus_per_cell)
    if args.dry_run:
        _print_dry_run(cells, results_dir)
        return 0

    store = ResultStore(results_dir)
    todo: list[CellSpec] = []
    for spec in cells:
        record = store.read_cell(spec.cell_id)
        if record is None or record.get("status") != "finished":
            todo.append(spec)  # never run, failed, or cut short: (re)run it
        elif record.get("fingerprint") != spec.fingerprint():
            print(
                f"scoregames experiment: finished cell {spec.cell_id} in {results_dir} was run with other "
                "settings (env version, agent, budget or diagnosis) than this config; use a new --out for new settings",
                file=sys.stderr,
            )
            return 2
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        print(f"scoregames experiment: cannot create --out {results_dir}: {error.strerror or error}", file=sys.stderr)
        return 2
    # A resumed run keeps the config it was started with (checked equal above, but for how cells
    # run): config.toml is written once and only ever replaced by a grown grid, the old one kept.
    if grows:
        _grow_stored_config(results_dir, config)
    started_with = stored[0] if stored is not None and not grows else config.source
    write_json_atomic(
        results_dir / "experiment.json",
        {
            "name": config.name,
            "config_path": experiment.get("config_path", config.path)
            if stored is not None and not grows
            else config.path,
            "config": started_with,
            "command": _command(args, results_dir),
            "backend": args.backend,
            "cells": [spec.cell_id for spec in cells],
            "updated": time.time(),
        },
    )
    write_new_text(results_dir / "config.toml", started_with)  # kept if there (written whole, never torn)

    workers = local_workers(todo, gpus, args.workers) if args.backend == "local" else None
    where = f"{workers} at a time" if workers else f"Ray at {args.address or 'a local instance'}"
    print(
        f"{config.name}: {len(cells)} cells, {len(cells) - len(todo)} already finished, {len(todo)} to run "
        f"({where}, gpus per cell {gpus_per_cell:g}) -> {results_dir}",
        flush=True,
    )
    counts = {"finished": 0, "failed": 0}

    def on_result(record: dict[str, Any]) -> None:
        store.write_cell(record)
        counts[record["status"]] = counts.get(record["status"], 0) + 1
        timing = record.get("timing", {})
        done = counts["finished"] + counts["failed"]
        if record["status"] == "finished":
            detail = (
                f"verdict {record.get('verdict')} (train {timing.get('train_seconds', 0):.0f} s, "
                f"diagnose {timing.get('diagnose_seconds', 0):.0f} s)"
            )
        else:
            detail = f"FAILED: {record.get('error')}"
        print(f"[{done}/{len(todo)}] {record['cell_id']}: {detail}", flush=True)

    interrupted = False
    try:
        with stop_signals_interrupt():  # Ctrl-C, `kill` or `kill -INT`: stop the grid cleanly
            if args.backend == "local":
                run_local(todo, results_dir, on_result, workers or 1, gpus if gpus_per_cell > 0 else ())
            else:
                try:
                    run_ray(todo, results_dir, on_result, args.address)
                except ConnectionError as error:
                    print(f"scoregames experiment: cannot connect to Ray at {args.address}: {error}", file=sys.stderr)
                    return 2
    except KeyboardInterrupt:
        interrupted = True
    finally:
        records = store.records(spec.cell_id for spec in cells)
        written = store.write_table(records)

    finished = sum(record.get("status") == "finished" for record in records)
    print(f"table: {', '.join(str(path) for path in written)} ({finished}/{len(cells)} cells finished)")
    if interrupted:
        print(
            f"interrupted: finished cells are kept; continue with: {_command(args, results_dir)} --resume",
            file=sys.stderr,
        )
        return 130
    if finished < len(cells):
        print(f"{len(cells) - finished} cell(s) failed; see their logs, then rerun with --resume", file=sys.stderr)
        return 1
    print(f"report: scoregames report {results_dir}")
    return 0
