"""Train and diagnose one cell, each step in its own subprocess.

The agent script and ``scoregames diagnose`` run as child processes (not imported) so a cell is
isolated: a crash, a leaked CUDA context or a torch thread setting cannot reach the runner or
the next cell, and the same function runs unchanged inside a local pool thread or a Ray task.

Layout under the results directory::

    runs/<cell_id>/train/       the agent's run dir (summary.json, args.json, checkpoint.pt)
    runs/<cell_id>/diagnosis/   scoregames diagnose output (report.json, report.md, PNGs)
    runs/<cell_id>/train.log, diagnose.log

A cell whose training was killed is continued with the agent's ``--resume``; a diagnosis that was
killed is discarded and rerun (``scoregames diagnose`` never writes into an existing folder).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from scoregames.experiments.config import CellSpec

RESULT_SCHEMA = 1
# The agents stop on SIGTERM at the end of their current update and write a checkpoint; an
# update can take ~15 s on a busy 2-core CPU, and waiting for it saves the work done so far.
STOP_GRACE_SECONDS = 30


class CellCancelled(Exception):
    """The runner is shutting down (Ctrl-C): the cell is left unfinished, to be redone on --resume."""


class StepFailed(Exception):
    def __init__(self, step: str, message: str, log_tail: str = "") -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.log_tail = log_tail


# Children of this process, so an interrupted runner can stop exactly the processes it started.
_RUNNING: set[subprocess.Popen[bytes]] = set()
_RUNNING_LOCK = threading.Lock()
CANCELLED = threading.Event()


def stop_children() -> None:
    """Stop every child this process started (each is its own process group, so the agent's
    vector-env workers go with it)."""
    CANCELLED.set()
    with _RUNNING_LOCK:
        children = list(_RUNNING)
    for child in children:
        _kill_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(child, signal.SIGKILL)


def _kill_group(child: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        if os.getpgid(child.pid) != child.pid:  # a console step shares our group: signal it alone
            child.send_signal(sig)
            return
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _run_step(
    step: str, command: list[str], log_path: Path, env: dict[str, str], timeout: float | None, console: bool = False
) -> float:
    """Run one child process with its output in ``log_path`` (or on the console); return its wall
    seconds."""
    if CANCELLED.is_set():
        raise CellCancelled(step)
    start = time.monotonic()
    with open(log_path, "ab") as log:
        log.write(f"\n$ {shlex.join(command)}\n".encode())
        log.flush()
        # Grid cells get a new session: a terminal Ctrl-C reaches only the runner, which then
        # stops the children itself (after recording what had finished) instead of racing them.
        # A console step (quickstart) stays in the terminal's group so Ctrl-C stops it directly.
        output = None if console else log
        child = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT if output else None, env=env, start_new_session=not console
        )
        with _RUNNING_LOCK:
            _RUNNING.add(child)
        try:
            returncode = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(child, signal.SIGKILL)
            child.wait()
            raise StepFailed(step, f"timed out after {timeout:.0f} s", _tail(log_path)) from None
        except KeyboardInterrupt:  # Ctrl-C or `kill` in this thread (the quickstart): stop the child too
            stop_children()
            raise
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(child)
    if CANCELLED.is_set():
        raise CellCancelled(step)
    if returncode != 0:
        raise StepFailed(step, f"exited with status {returncode} (log: {log_path})", _tail(log_path))
    return time.monotonic() - start


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def stop_signals_interrupt() -> Iterator[None]:
    """Inside it, SIGTERM and SIGINT raise ``KeyboardInterrupt``: `kill PID` gets the same clean stop
    as Ctrl-C (the running step's child checkpoints and exits, see :func:`_run_step`), also where
    SIGINT came in ignored (a job started with `&` from a script, or nohup: Python leaves it so).
    The previous handlers come back on the way out."""
    previous = {sig: signal.signal(sig, _raise_interrupt) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _stale_run(spec: CellSpec, run_dir: Path, finished: bool) -> str:
    """How the run already in ``run_dir`` differs from what this cell would train ("" if it does
    not): another env, HUD, reward source or seed, or, once finished, another budget. The config
    check of ``--resume`` normally stops this; a run left from before a version bump, or a
    results folder that lost its config, would otherwise be continued or reused as this cell's."""
    trained = _read_json(run_dir / "args.json")
    if trained is None:
        return ""
    wanted: dict[str, Any] = {
        "env_id": spec.env_id,
        "hud": spec.hud,
        "reward_source": spec.reward_source,
        "seed": spec.seed,
    }
    if finished:
        wanted["total_timesteps"] = spec.agent.total_timesteps
    return "; ".join(
        f"{key} {trained[key]!r} there, {value!r} here"
        for key, value in wanted.items()
        if key in trained and trained[key] != value
    )


def train_command(spec: CellSpec, run_dir: Path, use_gpu: bool, resume: bool) -> list[str]:
    agent = spec.agent
    command = [agent.python, agent.script, "--env-id", spec.env_id, "--hud", spec.hud]
    command += ["--reward-source", spec.reward_source, "--seed", str(spec.seed)]
    command += ["--total-timesteps", str(agent.total_timesteps), "--num-envs", str(agent.num_envs)]
    command += ["--resume", str(run_dir)] if resume else ["--run-dir", str(run_dir)]
    command += ["--cuda" if use_gpu else "--no-cuda", *agent.extra_args]
    return command


def diagnose_command(spec: CellSpec, run_dir: Path, out_dir: Path) -> list[str]:
    diagnose = spec.diagnose
    if diagnose.script is None:
        command = [diagnose.python, "-m", "scoregames", "diagnose"]
    else:
        command = [diagnose.python, diagnose.script]
    command += [str(run_dir), "--env", spec.env_id, "--out", str(out_dir), "--seed", str(spec.seed)]
    if diagnose.quick:
        command.append("--quick")
    if diagnose.episodes is not None:
        command += ["--episodes", str(diagnose.episodes)]
    return command + list(diagnose.extra_args)


def _child_env(spec: CellSpec, use_gpu: bool) -> dict[str, str]:
    env = dict(os.environ)
    # One BLAS/torch thread pool per cell sized to its CPUs: cells running side by side would
    # otherwise each take every core and slow the whole pool down.
    threads = str(max(1, int(spec.cpus)))
    env.update(OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads)
    env.setdefault("SDL_VIDEODRIVER", "dummy")
    if not use_gpu and "CUDA_VISIBLE_DEVICES" not in env:
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


def record_header(spec: CellSpec) -> dict[str, Any]:
    """The fields every cell record starts with, finished or failed."""
    return {
        "schema": RESULT_SCHEMA,
        "cell_id": spec.cell_id,
        "game": spec.game,
        "env_id": spec.env_id,
        "condition": spec.condition,
        "hud": spec.hud,
        "reward_source": spec.reward_source,
        "seed": spec.seed,
        "spec": spec.to_dict(),
        "fingerprint": spec.fingerprint(),
    }


def run_cell(
    spec: CellSpec,
    results_dir: str | Path,
    gpu_id: str | None = None,
    cell_dir: Path | None = None,
    console: bool = False,
) -> dict[str, Any]:
    """Train then diagnose one cell; return its result record (status ``finished`` or ``failed``).

    ``gpu_id``: the GPU this cell may use (local backend), ``"ray"`` when Ray has already set
    ``CUDA_VISIBLE_DEVICES`` for the task, or None for CPU only. Raises :class:`CellCancelled`
    when the runner is stopping, so no record is written and ``--resume`` redoes the cell.
    ``cell_dir`` overrides ``RESULTS_DIR/runs/<cell_id>``; ``console`` shows the children's output
    on the terminal instead of in log files (the quickstart).
    """
    results_dir = Path(results_dir)
    cell_dir = cell_dir or results_dir / "runs" / spec.cell_id
    run_dir, diagnosis_dir = cell_dir / "train", cell_dir / "diagnosis"
    cell_dir.mkdir(parents=True, exist_ok=True)
    use_gpu = gpu_id is not None and spec.gpus > 0
    env = _child_env(spec, use_gpu)
    if use_gpu and gpu_id != "ray":
        env["CUDA_VISIBLE_DEVICES"] = str(gpu_id)
    timeout = None if spec.timeout_minutes is None else spec.timeout_minutes * 60
    started = time.time()
    record: dict[str, Any] = {
        **record_header(spec),
        "paths": {
            "run_dir": str(run_dir.relative_to(results_dir)),
            "diagnosis_dir": str(diagnosis_dir.relative_to(results_dir)),
        },
        "timing": {"host": socket.gethostname(), "gpu": use_gpu, "started": started},
    }
    try:
        summary = _read_json(run_dir / "summary.json")
        finished = summary is not None and summary.get("finished") is True
        stale = _stale_run(spec, run_dir, finished)
        if stale:
            raise StepFailed(
                "train",
                f"{run_dir} holds a run of another cell ({stale}); it is kept: move it away to train this "
                "cell again, or run this config into another --out",
                "",
            )
        if finished:
            record["timing"]["train_seconds"] = 0.0  # trained before an interruption; kept
        else:
            if run_dir.exists() and not (run_dir / "checkpoint.pt").is_file():
                # Killed before its first checkpoint: nothing to continue from.
                shutil.rmtree(run_dir)
            resume = run_dir.exists()
            if diagnosis_dir.exists():
                shutil.rmtree(diagnosis_dir)  # it diagnosed an older checkpoint than the one coming
            command = train_command(spec, run_dir, use_gpu, resume)
            record["timing"]["train_seconds"] = _run_step(
                "train", command, cell_dir / "train.log", env, timeout, console
            )
            record["timing"]["train_resumed"] = resume
            summary = _read_json(run_dir / "summary.json")
            if summary is None or summary.get("finished") is not True:
                raise StepFailed("train", f"no finished summary.json in {run_dir}", _tail(cell_dir / "train.log"))
        report = _read_json(diagnosis_dir / "report.json")
        if report is None:
            if diagnosis_dir.exists():
                shutil.rmtree(diagnosis_dir)  # a diagnosis cut short: rerun it whole
            command = diagnose_command(spec, run_dir, diagnosis_dir)
            record["timing"]["diagnose_seconds"] = _run_step(
                "diagnose", command, cell_dir / "diagnose.log", env, timeout, console
            )
            report = _read_json(diagnosis_dir / "report.json")
            if report is None:
                raise StepFailed("diagnose", f"no report.json in {diagnosis_dir}", _tail(cell_dir / "diagnose.log"))
        else:
            record["timing"]["diagnose_seconds"] = 0.0
    except StepFailed as error:
        record.update(status="failed", error=str(error), log_tail=error.log_tail)
        record["timing"]["finished"] = time.time()
        return record
    record.update(status="finished", verdict=report.get("verdict"), train=summary, diagnosis=report, error=None)
    if (diagnosis_dir / "report.md").is_file():
        record["paths"]["report_md"] = str((diagnosis_dir / "report.md").relative_to(results_dir))
    record["timing"]["finished"] = time.time()
    return record
