"""Where cells run: ``local`` (a pool on this machine) or ``ray`` (a Ray cluster, or a local Ray).

Both backends call the same :func:`~scoregames.experiments.cell.run_cell` and hand every record to
the same ``on_result`` callback, which writes it to the store the moment the cell finishes; so the
results of a grid do not depend on the backend, and a cell that finished is on disk even if the
runner dies a second later.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scoregames.experiments import cell
from scoregames.experiments.cell import CellCancelled, run_cell, stop_children
from scoregames.experiments.config import CellSpec

OnResult = Callable[[dict[str, Any]], None]
BACKENDS = ("local", "ray")


def local_gpus() -> list[str]:
    """GPU ids this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else what ``nvidia-smi``
    lists. Asking nvidia-smi instead of torch keeps the runner free of a multi-second torch import."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return [gpu.strip() for gpu in visible.split(",") if gpu.strip() and gpu.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [str(index) for index, line in enumerate(listing.stdout.splitlines()) if line.startswith("GPU ")]


def gpu_slots(gpus: Sequence[str], gpus_per_cell: float) -> list[str]:
    """One entry per cell that may run at once: each GPU ``floor(1 / gpus_per_cell)`` times
    (``gpus_per_cell = 0.25``: four cells share a GPU, as with Ray's fractional ``num_gpus``).

    >>> gpu_slots(["0", "1"], 0.5)
    ['0', '0', '1', '1']
    """
    per_gpu = max(1, int(1 / gpus_per_cell + 1e-9)) if gpus_per_cell > 0 else 0
    return [gpu for gpu in gpus for _ in range(per_gpu)]


def local_workers(cells: Sequence[CellSpec], gpus: Sequence[str], requested: int | None = None) -> int:
    """Cells at a time: the cores divided by each cell's CPUs, and no more than the GPU slots
    when cells use GPUs (one cell per GPU unless ``gpus_per_cell`` is a fraction)."""
    if requested is not None:
        return max(1, requested)
    if not cells:
        return 1
    cpus_per_cell = max(1.0, cells[0].cpus)
    workers = max(1, int((os.cpu_count() or 1) // cpus_per_cell))
    if cells[0].gpus > 0 and gpus:
        workers = min(workers, len(gpu_slots(gpus, cells[0].gpus)))
    return max(1, min(workers, len(cells)))


def failed_record(spec: CellSpec, error: BaseException) -> dict[str, Any]:
    """A record for a cell whose worker itself broke (not the train/diagnose commands)."""
    return {
        **cell.record_header(spec),
        "status": "failed",
        "error": f"worker error: {type(error).__name__}: {error}",
        "timing": {"finished": time.time()},
    }


def run_local(
    cells: Sequence[CellSpec], results_dir: Path, on_result: OnResult, workers: int, gpus: Sequence[str] = ()
) -> None:
    """Run cells ``workers`` at a time on this machine.

    Each cell's train and diagnose steps are child processes (see ``cell.py``); the pool's
    threads only start them and wait, so the pool is a pool of cell processes without a second
    layer of Python workers, and Ctrl-C lands in this process, which stops the children cleanly.
    GPUs are handed out from a queue of slots (see :func:`gpu_slots`).
    """
    cell.CANCELLED.clear()  # a previous run in this process may have been interrupted
    free_gpus: queue.Queue[str] = queue.Queue()
    use_gpus = bool(gpus) and bool(cells) and cells[0].gpus > 0
    for gpu in gpu_slots(gpus, cells[0].gpus) if use_gpus else []:
        free_gpus.put(gpu)
    result_lock = threading.Lock()

    def work(spec: CellSpec) -> None:
        gpu = free_gpus.get() if use_gpus else None
        try:
            record = run_cell(spec, results_dir, gpu)
        except CellCancelled:
            return
        except Exception as error:  # a bug in the worker must not take the other cells down
            record = failed_record(spec, error)
        finally:
            if gpu is not None:
                free_gpus.put(gpu)
        with result_lock:  # written from the worker thread: on disk before anything else can fail
            on_result(record)

    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cell")
    futures = [pool.submit(work, spec) for spec in cells]
    try:
        for future in futures:
            future.result()
    except BaseException:
        for future in futures:
            future.cancel()
        stop_children()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _check_reachable(address: str | None, timeout: float = 10.0) -> None:
    """Raise ConnectionError when nothing answers at a ``host:port`` address: ``ray.init`` would
    retry it for minutes without a word. ``auto``, ``local`` and what Ray parses itself pass."""
    if not address or address in ("auto", "local"):
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConnectionError(f"nothing answers at {host}:{port} ({error.strerror or error})") from None


def _ray_init(address: str | None, **kwargs: Any) -> None:
    """``ray.init`` that keeps this process's SIGTERM and SIGINT handlers: Ray replaces SIGTERM's
    with one that calls ``sys.exit``, which would turn the runner's clean stop on ``kill`` (stop
    the children, write the table, exit 130) into an abrupt exit."""
    _check_reachable(address)
    import ray

    main_thread = threading.current_thread() is threading.main_thread()
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)} if main_thread else {}
    ray.init(address=address, **kwargs)
    for sig, handler in handlers.items():
        if handler is not None:
            signal.signal(sig, handler)


def _ray_cell(spec_data: dict[str, Any], results_dir: str) -> dict[str, Any]:
    """The Ray task: one cell. Ray has already set CUDA_VISIBLE_DEVICES from ``num_gpus``."""
    cell.CANCELLED.clear()  # Ray reuses worker processes; a cancel of an earlier task must not stick
    spec = CellSpec.from_dict(spec_data)
    try:
        return run_cell(spec, results_dir, "ray" if spec.gpus > 0 else None)
    except BaseException:
        # ray.cancel() raises KeyboardInterrupt here: stop the cell's own children with it.
        stop_children()
        raise


def run_ray(
    cells: Sequence[CellSpec],
    results_dir: Path,
    on_result: OnResult,
    address: str | None = None,
    init_kwargs: dict[str, Any] | None = None,
) -> None:
    """One Ray task per cell with declared ``num_cpus``/``num_gpus``; records are gathered here,
    as each task finishes, and written to the same store as the local backend's.

    Uses the Ray instance this process is already connected to, else ``ray.init(address)``
    (``None``: start a local one; ``"auto"``: the cluster this machine belongs to). On a cluster,
    every node needs the package, the agent script and the results path (a shared filesystem)
    at the same location; the records come back through Ray either way.
    """
    import ray

    if not ray.is_initialized():
        _ray_init(address, **(init_kwargs or {}))
    remote_cell = ray.remote(_ray_cell)
    root = str(results_dir.resolve())
    tasks = {
        remote_cell.options(num_cpus=spec.cpus, num_gpus=spec.gpus, max_retries=1, name=spec.cell_id).remote(
            spec.to_dict(), root
        ): spec
        for spec in cells
    }
    pending = list(tasks)
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                try:
                    record = ray.get(ref)
                except Exception as error:  # the task died (worker crash, node lost)
                    record = failed_record(tasks[ref], error)
                on_result(record)
    except BaseException:
        for ref in pending:
            ray.cancel(ref)  # not force: the task's KeyboardInterrupt stops its children first
        raise


def ray_gpus(address: str | None) -> float:
    """GPUs in the Ray cluster (connecting first if needed), to resolve ``gpus_per_cell = "auto"``."""
    import ray

    if not ray.is_initialized():
        _ray_init(address)
    return float(ray.cluster_resources().get("GPU", 0.0))
