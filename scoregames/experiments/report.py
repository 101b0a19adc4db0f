"""``scoregames report RESULTS_DIR``: an experiment's results as Markdown with plots.

Reads the cell records in ``RESULTS_DIR/cells/`` (the source of truth, see ``store.py``) and
writes ``RESULTS_DIR/report/report.md`` (or ``--out``; a folder that already has files is refused
unless ``--force``, which replaces only the report and its plots) with:

- a summary per game x training condition: true and displayed training return, tamper
  preference and HUD sensitivity, each as the mean over seeds with a 95% Student-t interval
  (with 3-5 seeds a bootstrap interval is too narrow; the t interval is the honest one);
- the verdict of every cell;
- plots: verdict per cell, tamper preference and HUD sensitivity by training condition (bars =
  mean over seeds, whiskers = 95% CI, dots = seeds), training returns.

Diagnosis metrics are read from each cell's ``report.json`` by name, so the report follows the
battery without code changes: *tamper preference* is the metric whose path contains ``tamper``
and ``pref`` (the battery's ``evidence.tamper_preference``); *competence* is ``competence``;
*HUD sensitivity* is a metric named ``hud_sensitivity`` if the battery gives one, else the mean of
``|1 - r|`` over the true-return ratios ``r`` of the display presets to ``standard``
(``metrics.conflict.presets.<preset>.normalised_ratio``) -- 0 when hiding, freezing or spoofing
the display leaves the agent's real score unchanged.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from scoregames.experiments.store import ResultStore, flatten

VERDICTS = ("true-score", "displayed-score", "positional", "mixed", "indeterminate")
VERDICT_COLORS = {
    "true-score": "#4c9f70",
    "displayed-score": "#d1495b",
    "positional": "#edae49",
    "mixed": "#8f6fb3",
    "indeterminate": "#9e9e9e",
}
# Last path component naming a metric's point estimate, and components marking spread/interval.
_POINT = {"value", "mean", "estimate", "point", "iqm", "median"}
_SPREAD = {"ci", "ci_low", "ci_high", "low", "high", "lo", "hi", "std", "se", "sem", "n", "count", "p", "p_value"}
# Two-sided 95% Student-t quantiles by degrees of freedom (1-30); beyond, the normal 1.96.
_T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131]
_T95 += [2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results_dir", type=Path, help="a results directory of scoregames experiment")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: RESULTS_DIR/report)")
    parser.add_argument("--no-plots", action="store_true", help="Markdown only (no matplotlib needed)")
    parser.add_argument(
        "--force", action="store_true", help="replace report.md and the plots in an output folder that has files"
    )


def mean_ci(values: list[float]) -> tuple[float, float, float]:
    """Mean and 95% Student-t interval over seeds; the interval is NaN for a single seed.

    >>> mean_ci([1.0, 2.0, 3.0])
    (2.0, -0.484, 4.484)
    """
    values = [value for value in values if value is not None and math.isfinite(value)]
    if not values:
        return (math.nan, math.nan, math.nan)
    mean = sum(values) / len(values)
    if len(values) < 2:
        return (mean, math.nan, math.nan)
    std = math.sqrt(sum((value - mean) ** 2 for value in values) / (len(values) - 1))
    dof = len(values) - 1
    half = (_T95[dof - 1] if dof <= len(_T95) else 1.96) * std / math.sqrt(len(values))
    return (mean, round(mean - half, 3), round(mean + half, 3))


def metric_points(diagnosis: dict[str, Any]) -> dict[str, float]:
    """Every numeric point estimate in a diagnosis report, by dotted path (intervals dropped). A
    null is the battery's NaN (report.json has no NaN): an estimate that is undefined, kept as NaN
    so that nothing stands in for it (a raw ratio for an undefined normalised one).

    >>> metric_points({"tamper_preference": {"value": 0.8, "ci": [0.7, 0.9]}, "n": 3, "kl": 0.1, "r": None})
    {'tamper_preference': 0.8, 'kl': 0.1, 'r': nan}
    """
    points: dict[str, float] = {}
    for key, value in flatten(diagnosis).items():
        value = math.nan if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        parts = key.split(".")
        if any(part.lower() in _SPREAD for part in parts) or parts[-1].isdigit():
            continue
        path = ".".join(parts[:-1]) if parts[-1].lower() in _POINT and len(parts) > 1 else key
        points.setdefault(path, float(value))
    return points


def tamper_preference(points: dict[str, float]) -> float | None:
    names = [name for name in points if re.search(r"tamper.*pref|pref.*tamper", name, re.IGNORECASE)]
    return points[min(names, key=len)] if names else None


def return_ratios(points: dict[str, float]) -> dict[str, float]:
    """True-return ratio to ``standard`` per HUD preset, keyed by preset name: from metrics whose
    path has a ``ratio`` component and a preset name (``...presets.hidden.normalised_ratio``),
    normalised ratios first (raw ratios break on games with negative returns)."""
    from scoregames.hud import PRESETS

    ratios: dict[str, float] = {}
    names = sorted(points, key=lambda name: (not re.search(r"normali[sz]ed", name), len(name)))
    for name in names:
        parts = name.split(".")
        if not any("ratio" in part.lower() for part in parts) or "display" in name.lower():
            continue
        presets = [part for part in parts if part in PRESETS]
        if presets and presets[-1] != "standard":
            ratios.setdefault(presets[-1], points[name])
    return ratios


def hud_sensitivity(points: dict[str, float]) -> float | None:
    """The battery's own ``hud_sensitivity`` if it reports one, else mean ``|1 - r|`` over the
    return ratios of the display presets (``tamper`` left out: it has its own metric)."""
    names = [name for name in points if re.search(r"hud.?sensitivity", name, re.IGNORECASE)]
    if names:
        return points[min(names, key=len)]
    ratios = {preset: ratio for preset, ratio in return_ratios(points).items() if preset != "tamper"}
    return sum(abs(1 - ratio) for ratio in ratios.values()) / len(ratios) if ratios else None


def competence(points: dict[str, float]) -> float | None:
    names = [name for name in points if re.search(r"(^|\.)competence$", name)]
    return points[min(names, key=len)] if names else None


def cell_metrics(record: dict[str, Any]) -> dict[str, Any]:
    train = record.get("train") or {}
    points = metric_points(record.get("diagnosis") or {})
    return {
        "true_return": train.get("episodic_return_mean_last"),
        "displayed_return": train.get("episodic_displayed_return_mean_last"),
        "tamper_preference": tamper_preference(points),
        "hud_sensitivity": hud_sensitivity(points),
        "competence": competence(points),
        "ratios": return_ratios(points),
    }


def _fmt(stats: tuple[float, float, float]) -> str:
    mean, low, high = stats
    if math.isnan(mean):
        return "–"
    return f"{mean:.2f}" if math.isnan(low) else f"{mean:.2f} [{low:.2f}, {high:.2f}]"


def summarise(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (game, condition): stats over seeds of every per-cell metric."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[(record["game"], record["condition"])].append(record)
    rows = []
    for (game, condition), members in groups.items():
        metrics = [cell_metrics(record) for record in members]
        row: dict[str, Any] = {
            "game": game,
            "condition": condition,
            "hud": members[0]["hud"],
            "reward_source": members[0]["reward_source"],
            "seeds": sorted(record["seed"] for record in members),
            "verdicts": [record.get("verdict") for record in sorted(members, key=lambda r: r["seed"])],
        }
        for name in ("true_return", "displayed_return", "competence", "tamper_preference", "hud_sensitivity"):
            values = [m[name] for m in metrics if m[name] is not None]
            row[name] = mean_ci(values)
            row[f"{name}_values"] = values
        rows.append(row)
    return rows


def _condition_order(records: list[dict[str, Any]], config_text: str) -> list[str]:
    names = list(dict.fromkeys(record["condition"] for record in records))
    declared = re.findall(r'^\s*name\s*=\s*"([^"]+)"', config_text, re.MULTILINE)
    return sorted(names, key=lambda name: declared.index(name) if name in declared else len(declared))


def render_markdown(
    experiment: dict[str, Any], rows: list[dict[str, Any]], failed: list[dict[str, Any]], plots: list[str]
) -> str:
    lines = [f"# Experiment `{experiment.get('name', '?')}`", ""]
    if experiment.get("command"):
        lines += ["Reproduce with:", "", "```bash", experiment["command"], "```", ""]
    budget = re.search(r"^\s*total_timesteps\s*=\s*([0-9_]+)", experiment.get("config", ""), re.MULTILINE)
    finished = sum(len(row["seeds"]) for row in rows)
    lines.append(
        f"{finished} finished cells"
        + (f", {len(failed)} failed" if failed else "")
        + (f"; budget {budget.group(1)} agent steps per cell" if budget else "")
        + ". Values: mean over seeds [95% Student-t interval]."
    )
    lines += ["", "## By training condition", ""]
    lines.append(
        "| game | condition | HUD | reward | seeds | true return | displayed return | competence "
        "| tamper preference | HUD sensitivity | verdicts |"
    )
    lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        counts: dict[str, int] = defaultdict(int)
        for verdict in row["verdicts"]:
            counts[verdict or "none"] += 1
        verdicts = ", ".join(f"{name} ×{count}" for name, count in counts.items())
        lines.append(
            f"| {row['game']} | {row['condition']} | {row['hud']} | {row['reward_source']} | {len(row['seeds'])} "
            f"| {_fmt(row['true_return'])} | {_fmt(row['displayed_return'])} | {_fmt(row['competence'])} "
            f"| {_fmt(row['tamper_preference'])} "
            f"| {_fmt(row['hud_sensitivity'])} | {verdicts} |"
        )
    all_seeds = sorted({seed for row in rows for seed in row["seeds"]})
    lines += [
        "",
        "## Verdict per cell",
        "",
        "| game | condition | " + " | ".join(f"seed {s}" for s in all_seeds) + " |",
    ]
    lines.append("|---|---|" + "---|" * len(all_seeds))
    for row in rows:
        by_seed = dict(zip(row["seeds"], row["verdicts"]))
        cells = " | ".join(str(by_seed.get(seed, "–")) for seed in all_seeds)
        lines.append(f"| {row['game']} | {row['condition']} | {cells} |")
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(plot).stem}]({plot})" for plot in plots]
    if failed:
        lines += ["", "## Failed cells", ""]
        lines += [f"- `{record['cell_id']}`: {record.get('error')}" for record in failed]
    lines += [
        "",
        "## Definitions",
        "",
        "- *true / displayed return*: the agent's mean episodic true score and displayed score at the end of "
        "training (`summary.json`).",
        "- *competence*: the battery's share of the reference controller's above-random return on `standard`.",
        "- *tamper preference*: the battery's tamper metric (the current battery: extra tamper-site touches per "
        "100 steps with the tamper machine live vs drawn but inert; a learned tamper *habit* — touches beyond "
        "random and scripted play whether or not the machine is drawn — shows in the verdict, not in this column; "
        "see docs/diagnostics.md).",
        "- *HUD sensitivity*: mean of |1 − r| over the true-return ratios r of each display preset to `standard` "
        "(normalised ratios where the battery gives them; `tamper` excluded). 0: the display does not change how "
        "well the agent plays.",
        "- *verdict*: the battery's call per cell (`true-score`, `displayed-score`, `positional`, `mixed`, "
        "`indeterminate`); per-cell reports are under `runs/<cell>/diagnosis/report.md`.",
        "",
    ]
    return "\n".join(lines)


def make_plots(rows: list[dict[str, Any]], conditions: list[str], out_dir: Path) -> list[str]:
    """PNG plots; returns their file names (relative to ``out_dir``)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    written = []
    games = list(dict.fromkeys(row["game"] for row in rows))
    by_key = {(row["game"], row["condition"]): row for row in rows}

    def bars(metric: str, ylabel: str, file_name: str, reference: float | None = None) -> None:
        figure, axis = plt.subplots(figsize=(1.8 + 1.6 * len(conditions), 3.6))
        width = 0.8 / max(1, len(games))
        for game_index, game in enumerate(games):
            for condition_index, condition in enumerate(conditions):
                row = by_key.get((game, condition))
                if row is None or math.isnan(row[metric][0]):
                    continue
                x = condition_index + (game_index - (len(games) - 1) / 2) * width
                mean, low, high = row[metric]
                error = None if math.isnan(low) else [[mean - low], [high - mean]]
                axis.bar(x, mean, width * 0.9, color=f"C{game_index}", label=game if condition_index == 0 else None)
                if error is not None:
                    axis.errorbar(x, mean, yerr=error, color="black", capsize=3, linewidth=1)
                values = row[f"{metric}_values"]
                axis.scatter([x] * len(values), values, color="black", s=8, zorder=3)
        if reference is not None:
            axis.axhline(reference, color="grey", linewidth=0.8, linestyle="--")
        axis.set_xticks(range(len(conditions)), conditions, rotation=15)
        axis.set_ylabel(ylabel)
        axis.set_xlabel("training condition")
        handles, labels = axis.get_legend_handles_labels()
        if labels:
            axis.legend(fontsize=8)
        figure.tight_layout()
        figure.savefig(out_dir / file_name, dpi=110)
        plt.close(figure)
        written.append(file_name)

    # Verdict per cell: rows = game x condition, columns = seeds.
    seeds = sorted({seed for row in rows for seed in row["seeds"]})
    labels = [f"{game} / {condition}" for game in games for condition in conditions if (game, condition) in by_key]
    figure, axis = plt.subplots(figsize=(2.5 + 1.1 * len(seeds), 0.9 + 0.38 * len(labels)))
    for row_index, label in enumerate(labels):
        game, condition = label.split(" / ")
        row = by_key[(game, condition)]
        for seed, verdict in zip(row["seeds"], row["verdicts"]):
            column = seeds.index(seed)
            color = VERDICT_COLORS.get(str(verdict), "white")
            axis.add_patch(plt.Rectangle((column, row_index), 1, 1, color=color, ec="white"))
            axis.text(column + 0.5, row_index + 0.5, str(verdict), ha="center", va="center", fontsize=7)
    axis.set_xlim(0, len(seeds))
    axis.set_ylim(len(labels), 0)
    axis.set_xticks([i + 0.5 for i in range(len(seeds))], [f"seed {s}" for s in seeds])
    axis.set_yticks([i + 0.5 for i in range(len(labels))], labels, fontsize=8)
    axis.set_title("verdict per cell", fontsize=10)
    figure.tight_layout()
    figure.savefig(out_dir / "verdicts.png", dpi=110)
    plt.close(figure)
    written.append("verdicts.png")

    bars("tamper_preference", "tamper preference", "tamper_preference.png")
    bars("hud_sensitivity", "HUD sensitivity (mean |1 - ratio|)", "hud_sensitivity.png", reference=0.0)
    bars("true_return", "true return (end of training)", "true_return.png")
    return written


def check_out_dir(out_dir: Path, force: bool = False) -> None:
    """Refuse an output folder that is a file, or that has files in it unless ``force``: a report
    (and anything else the user keeps there) is never replaced without being asked to."""
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f"--out {out_dir} is a file, not a folder; choose a folder for the report")
    if force or not out_dir.is_dir():
        return
    names = sorted(path.name for path in out_dir.iterdir())
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise FileExistsError(
            f"{out_dir} already has files ({shown}); pass --force to replace the report there "
            "(report.md and its plots; other files are left alone), or choose another --out"
        )


def build_report(results_dir: Path, out_dir: Path | None = None, plots: bool = True, force: bool = False) -> Path:
    """Write the report and return the path of its Markdown file; an output folder with files in
    it is refused (FileExistsError) unless ``force``."""
    store = ResultStore(results_dir)
    try:
        experiment = json.loads((results_dir / "experiment.json").read_text())
    except (OSError, ValueError):
        experiment = {"name": results_dir.name}
    cell_ids = experiment.get("cells")
    records = store.records(cell_ids)
    if not records:
        raise FileNotFoundError(f"{results_dir}: no cell results in {store.cells_dir}")
    finished = [record for record in records if record.get("status") == "finished"]
    failed = [record for record in records if record.get("status") != "finished"]
    conditions = _condition_order(finished, experiment.get("config", ""))
    games = list(dict.fromkeys(record["game"] for record in records))
    rows = sorted(summarise(finished), key=lambda row: (games.index(row["game"]), conditions.index(row["condition"])))
    out_dir = out_dir or results_dir / "report"
    check_out_dir(out_dir, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_files = make_plots(rows, conditions, out_dir) if plots and rows else []
    path = out_dir / "report.md"
    path.write_text(render_markdown(experiment, rows, failed, plot_files))
    return path


def run(args: argparse.Namespace) -> int:
    if args.results_dir.exists() and not args.results_dir.is_dir():
        print(
            f"scoregames report: {args.results_dir} is a file; give the results directory of scoregames experiment",
            file=sys.stderr,
        )
        return 2
    if not args.results_dir.is_dir():
        print(f"scoregames report: {args.results_dir}: no such results directory", file=sys.stderr)
        return 2
    plots = not args.no_plots
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("scoregames report: matplotlib not installed; writing Markdown without plots", file=sys.stderr)
            plots = False
    try:
        path = build_report(args.results_dir, args.out, plots=plots, force=args.force)
    except (FileNotFoundError, FileExistsError) as error:
        print(f"scoregames report: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # e.g. a parent of --out is a file, or no permission to write there
        print(f"scoregames report: cannot write the report: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0
