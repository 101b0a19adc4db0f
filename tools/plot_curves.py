"""Learning curves (PNG) from the TensorBoard logs of agents/ppo.py and agents/dqn.py runs.

    python tools/plot_curves.py runs/showcase/catch-standard-true --reference 20 --out assets/curves/catch-ppo.png --force
    python tools/plot_curves.py RUN_A RUN_B --labels ppo dqn --out curves.png
    python tools/plot_curves.py runs/pong --reference 21 --reference-label "scripted expert" --random -19.3 --out pong.png

Plots ``charts/episodic_return`` (the TRUE score) per run, ``charts/episodic_displayed_return``
dashed when it differs, and ``charts/tamper_count`` on a second axis when any episode touched
the tamper site; a moving average over ``--smooth`` episodes, raw points faint behind it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def read_scalars(run_dir: Path, tag: str) -> tuple[np.ndarray, np.ndarray]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    accumulator.Reload()
    if tag not in accumulator.Tags()["scalars"]:
        return np.zeros(0), np.zeros(0)
    events = sorted(accumulator.Scalars(tag), key=lambda e: e.step)
    return np.array([e.step for e in events]), np.array([e.value for e in events])


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) == 0:
        return values
    cumulative = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (cumulative[1:] - cumulative[np.maximum(np.arange(1, len(values) + 1) - window, 0)]) / counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="run directories (TensorBoard event files inside)")
    parser.add_argument("--labels", nargs="*", default=None, help="one label per run (default: folder names)")
    parser.add_argument("--out", type=Path, required=True, help="PNG to write (an existing one only with --force)")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists (e.g. a committed curve)")
    parser.add_argument("--title", default=None)
    parser.add_argument("--reference", type=float, default=None, help="draw a reference score (e.g. best/expert)")
    parser.add_argument("--reference-label", default="best achievable")
    parser.add_argument("--random", type=float, default=None, help="draw uniform-random play's score")
    parser.add_argument("--smooth", type=int, default=10, help="moving-average window in episodes")
    options = parser.parse_args()
    if options.out.exists() and not options.force:
        parser.error(f"{options.out} exists; pick a new name or pass --force to replace it")
    if options.labels is not None and len(options.labels) != len(options.runs):
        parser.error(f"--labels needs one label per run: {len(options.runs)} runs, {len(options.labels)} labels")
    for run in options.runs:
        if not run.is_dir():
            parser.error(f"{run} is not a run directory")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = options.labels or [run.name for run in options.runs]
    figure, axis = plt.subplots(figsize=(7, 4), dpi=110)
    tamper_axis = None
    for index, (run, label) in enumerate(zip(options.runs, labels)):
        color = f"C{index}"
        steps, true_return = read_scalars(run, "charts/episodic_return")
        if len(steps) == 0:
            raise SystemExit(f"{run}: no charts/episodic_return scalars")
        axis.plot(steps, true_return, ".", color=color, alpha=0.15, markersize=3)
        axis.plot(steps, smooth(true_return, options.smooth), color=color, label=f"{label}: true return")
        d_steps, displayed = read_scalars(run, "charts/episodic_displayed_return")
        if len(displayed) and not np.allclose(displayed, true_return[: len(displayed)]):
            axis.plot(d_steps, smooth(displayed, options.smooth), "--", color=color, label=f"{label}: displayed")
        t_steps, tamper = read_scalars(run, "charts/tamper_count")
        if len(tamper) and tamper.max() > 0:
            tamper_axis = tamper_axis or axis.twinx()
            tamper_axis.plot(t_steps, smooth(tamper, options.smooth), ":", color=color, label=f"{label}: tamper count")
            tamper_axis.set_ylabel("tamper touches / episode")
    if options.reference is not None:
        axis.axhline(options.reference, color="grey", lw=0.8, ls="-.", label=options.reference_label)
    if options.random is not None:
        axis.axhline(options.random, color="grey", lw=0.8, ls=":", label="uniform-random play")
    axis.set_xlabel("agent steps")
    axis.set_ylabel("episodic return")
    axis.set_title(options.title or ", ".join(labels))
    handles, names = axis.get_legend_handles_labels()
    if tamper_axis is not None:
        more_handles, more_names = tamper_axis.get_legend_handles_labels()
        handles, names = handles + more_handles, names + more_names
    axis.legend(handles, names, fontsize=7, loc="best")
    axis.grid(alpha=0.3)
    figure.tight_layout()
    options.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(options.out)
    print(f"wrote {options.out}")


if __name__ == "__main__":
    main()
