"""Write a :class:`~scoregames.diagnostics.battery.Report` to disk: JSON, Markdown and PNG plots."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from scoregames.diagnostics.battery import Report


def unique_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` itself if it does not exist, else ``path-2``, ``path-3``, ...: never overwrite."""
    path = Path(path)
    if not path.exists():
        return path
    n = 2
    while Path(f"{path}-{n}").exists():
        n += 1
    return Path(f"{path}-{n}")


def write_report(report: Report, out_dir: str | os.PathLike[str]) -> Path:
    """Create ``out_dir`` (which must not exist yet) with ``report.json``, ``report.md`` and plots."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=False)
    maps = report.metrics.get("saliency", {}).get("_maps")
    data = report.to_dict()
    plots = _plots(data, maps, out)
    (out / "report.md").write_text(render_markdown(data, plots))
    # report.json last, whole or not at all: it marks a finished diagnosis (the experiment runner
    # keeps a diagnosis that has one and reruns any other), so a kill during the plots leaves none.
    temp = out / ".report.json.tmp"
    temp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temp, out / "report.json")
    return out


def _fmt(entry: Any, digits: int = 2) -> str:
    """``mean [low, high]`` for a CI dict, a plain number otherwise."""
    if isinstance(entry, dict) and "mean" in entry:
        mean, (low, high) = entry["mean"], entry.get("ci", [None, None])
        if mean is None:
            return "n/a"
        if low is None or high is None:
            return f"{mean:.{digits}f}"
        return f"{mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
    if isinstance(entry, float):
        return f"{entry:.{digits}f}"
    return "n/a" if entry is None else str(entry)


PROBE_TARGETS = ("true_score", "displayed_score", "true_score_beyond_displayed", "displayed_score_beyond_true")


def _yes_no(passed: bool | None) -> str:
    return "n/a (no finite correlation)" if passed is None else "yes" if passed else "no"


def render_markdown(data: dict[str, Any], plots: list[str] | None = None) -> str:
    """The human-readable report: verdict and the evidence it rests on, then every table."""
    m = data["metrics"]
    evidence = data["evidence"]
    lines = [
        f"# Diagnostics: {data['policy']} on {data['env_id']}",
        "",
        f"**Verdict: `{data['verdict']}`** (labels supported: {', '.join(evidence.get('labels_supported', [])) or 'none'})",
        "",
        "| check | result |",
        "|---|---|",
    ]
    for name, value in evidence.get("checks", {}).items():
        lines.append(f"| {name.replace('_', ' ')} | {'yes' if value else 'no'} |")
    lines += ["", "Evidence (estimate [95% bootstrap CI]):", ""]
    competence = {"mean": evidence.get("competence"), "ci": evidence.get("competence_ci") or [None, None]}
    lines.append(f"- competence: {_fmt(competence)}")
    for key in (
        "worst_content_ratio",
        "tamper_preference",
        "tamper_habit",
        "display_action_effect",
        "display_value_effect",
        "positional_old_minus_true",
        "positional_beyond_random",
    ):
        lines.append(f"- {key.replace('_', ' ')}: {_fmt(evidence.get(key))}")
    conflict = m.get("conflict")
    if conflict:
        lines += [
            "",
            "## Behaviour under conflict",
            "",
            "Normalised ratio = (R_preset - R_random) / (R_standard - R_random), paired by seed.",
            "",
            "| preset | true return | true return IQM | displayed gain | normalised ratio | raw ratio | tamper touches |",
            "|---|---|---|---|---|---|---|",
        ]
        for preset, row in conflict["presets"].items():
            lines.append(
                f"| {preset} | {_fmt(row['true_return'], 1)} | {_fmt(row.get('true_return_iqm'), 1)} | {_fmt(row['displayed_gain'], 1)} | "
                f"{_fmt(row['normalised_ratio'])} | {_fmt(row['raw_ratio'])} | {_fmt(row['tamper_count'], 1)} |"
            )
        base = conflict["baselines"]
        lines.append("")
        lines.append(
            f"Random policy: {_fmt(base['random_true_return'], 1)}; reference (true-score oracle): {_fmt(base.get('reference_true_return'), 1)}."
        )
        if "tamper" in conflict:
            t = conflict["tamper"]
            lines += [
                "",
                f"Tamper preference (extra tamper-site touches per 100 steps when the site raises the display): {_fmt(t['preference'])}; "
                f"tamper habit (touches per 100 steps beyond the random and true-score baselines' {t['baseline_touches_per_100_steps']:.2f}): {_fmt(t['habit'])}; "
                f"share of the displayed gain from tampering: {_fmt(t['display_share_from_tamper'])}.",
            ]
    positional = m.get("positional")
    if positional:
        lines += ["", "## Positional shift", ""]
        if positional.get("applicable"):
            lines += [
                f"Knob `{positional['knob']}`: trained `{positional['train']}`, tested `{positional['test']}` (per {positional['unit']}).",
                "",
                f"- P(true goal): {_fmt(positional['p_true_goal'])}",
                f"- P(old location): {_fmt(positional['p_old_location'])}",
                f"- P(neither): {_fmt(positional['p_neither'])}",
            ]
            if "old_minus_true_beyond_random" in positional:
                lines.append(
                    f"- P(old) − P(true goal), the random policy's: {_fmt(positional['random_old_minus_true'])}; "
                    f"beyond it: {_fmt(positional['old_minus_true_beyond_random'])}"
                )
        else:
            lines.append(f"Not applicable: {positional.get('note', '')}")
    interventions = m.get("interventions")
    if interventions:
        lines += ["", "## Interventions", ""]
        if interventions.get("applicable"):
            lines += [
                f"{interventions['samples']} states; value SD {interventions['value_sd']:.3g}. "
                "Display effect on actions = the edits' minus the placebo's (as many pixels changed, beside the score in "
                "the display band); on value = how far it follows the number (half the +k / -k gap).",
                "",
                f"- display effect on actions (TV): {_fmt(interventions.get('display_action_effect'), 3)}",
                f"- value follows the display (SDs): {_fmt(interventions.get('display_value_effect'), 3)}; "
                f"moves either way beyond the placebo: {_fmt(interventions.get('display_value_sensitivity'), 3)}",
                "",
                "| variant | KL | TV | flip rate | change of value |",
                "|---|---|---|---|---|",
            ]
            for name, row in interventions["variants"].items():
                lines.append(
                    f"| {name} | {_fmt(row.get('kl'), 3)} | {_fmt(row.get('tv'), 3)} | {_fmt(row.get('flip'), 3)} | {_fmt(row.get('dvalue'), 3)} |"
                )
        else:
            lines.append(f"Not applicable: {interventions.get('note', '')}")
    probes = m.get("probes")
    if probes:
        lines += ["", "## Linear probes (held-out R², `noise` display: the display walks independently of play)", ""]
        if probes.get("applicable"):
            lines += [
                f"{probes['samples']} samples; correlation of the two labels in them: {_fmt(probes.get('label_correlation'))}.",
                "",
                "| target | policy | random-init | shuffled labels |",
                "|---|---|---|---|",
            ]
            for target in [t for t in PROBE_TARGETS if t in probes]:
                row = probes[target]
                lines.append(
                    f"| {target} | {_fmt(row.get('policy'), 3)} | {_fmt(row.get('random-init'), 3)} | {_fmt(row.get('shuffled-labels'), 3)} |"
                )
        else:
            lines.append(f"Not applicable: {probes.get('note', '')}")
    saliency = m.get("saliency")
    if saliency:
        lines += ["", "## Saliency (secondary)", ""]
        if saliency.get("applicable"):
            lines.append(
                f"HUD mass ratio (1 = no preference): {_fmt(saliency['hud_mass_ratio'])}; random-init network: "
                f"{_fmt(saliency.get('random_init_hud_mass_ratio'))}; rank correlation with it "
                f"{_fmt(saliency.get('randomisation_rank_correlation'))} (check passed: {_yes_no(saliency.get('randomisation_check_passed'))})."
            )
        else:
            lines.append(f"Not applicable: {saliency.get('note', '')}")
    if data.get("notes"):
        lines += ["", "## Notes", ""] + [f"- {note}" for note in data["notes"]]
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    lines += ["", f"Runtime {data['runtime_s']:.0f} s. Config: `{json.dumps(data['config'])}`", ""]
    return "\n".join(lines)


def _plots(data: dict[str, Any], maps: list[Any] | None, out: Path) -> list[str]:
    """PNG plots; matplotlib is imported here only (Agg backend, no display needed)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return []
    written: list[str] = []
    m = data["metrics"]

    def bars(ax: Any, labels: list[str], entries: list[dict[str, Any]], title: str) -> None:
        means = np.array([np.nan if e["mean"] is None else e["mean"] for e in entries], float)
        low = np.array([np.nan if e["ci"][0] is None else e["ci"][0] for e in entries], float)
        high = np.array([np.nan if e["ci"][1] is None else e["ci"][1] for e in entries], float)
        err = np.nan_to_num(np.vstack([means - low, high - means]))
        ax.bar(range(len(labels)), np.nan_to_num(means), yerr=err, capsize=3, color="#4c72b0")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_title(title)
        ax.axhline(0, color="black", lw=0.5)

    conflict = m.get("conflict")
    if conflict:
        presets = list(conflict["presets"])
        fig, axes = plt.subplots(1, 3, figsize=(14, 4))
        bars(axes[0], presets, [conflict["presets"][p]["true_return"] for p in presets], "true return")
        bars(axes[1], presets, [conflict["presets"][p]["displayed_gain"] for p in presets], "displayed gain")
        bars(
            axes[2],
            presets,
            [conflict["presets"][p]["normalised_ratio"] for p in presets],
            "normalised ratio to standard",
        )
        axes[2].axhline(1, color="grey", ls="--", lw=0.8)
        fig.suptitle(f"{data['policy']} on {data['env_id']}: verdict {data['verdict']}")
        fig.tight_layout()
        fig.savefig(out / "conflict.png", dpi=80)
        plt.close(fig)
        written.append("conflict.png")
    interventions = m.get("interventions", {})
    if interventions.get("applicable") and interventions.get("dose_response"):
        doses = sorted(interventions["dose_response"], key=int)
        response = interventions["dose_response"]
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for key, label, style in (("tv_plus", "+k", "-o"), ("tv_minus", "-k", "-s"), ("tv_placebo", "placebo", "--x")):
            if key in response[doses[0]]:
                axes[0].plot([int(d) for d in doses], [response[d][key] for d in doses], style, label=label)
        axes[0].set(xscale="log", xlabel="display change k", ylabel="TV of action distribution", title="actions")
        axes[0].legend()
        for key, label, style in (
            ("dvalue_plus", "+k", "-o"),
            ("dvalue_minus", "-k", "-s"),
            ("dvalue_placebo", "placebo", "--x"),
        ):
            if key in response[doses[0]]:
                axes[1].plot([int(d) for d in doses], [response[d][key] for d in doses], style, label=label)
        axes[1].set(xscale="log", xlabel="display change k", ylabel="mean change of value", title="value")
        if "dvalue_plus" in response[doses[0]]:
            axes[1].legend()
        else:
            axes[1].text(0.5, 0.5, "the policy has no value", ha="center", transform=axes[1].transAxes)
        fig.tight_layout()
        fig.savefig(out / "interventions.png", dpi=80)
        plt.close(fig)
        written.append("interventions.png")
    probes = m.get("probes", {})
    if probes.get("applicable"):
        fig, ax = plt.subplots(figsize=(7, 4))
        controls = ["policy", "random-init", "shuffled-labels"]
        for i, target in enumerate(("true_score", "displayed_score")):
            values = [probes[target].get(c) for c in controls]
            values = [np.nan if v is None else max(v, -1.0) for v in values]
            ax.bar(np.arange(3) + 0.38 * i, np.nan_to_num(values), width=0.38, label=target)
        ax.set_xticks(np.arange(3) + 0.19, controls)
        ax.set(ylabel="held-out R² (clipped at -1)", title="linear probes")
        ax.axhline(0, color="black", lw=0.5)
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "probes.png", dpi=80)
        plt.close(fig)
        written.append("probes.png")
    positional = m.get("positional", {})
    if positional.get("applicable"):
        fig, ax = plt.subplots(figsize=(5, 4))
        keys = ["p_true_goal", "p_old_location", "p_neither"]
        bars(ax, ["true goal", "old location", "neither"], [positional[k] for k in keys], "positional shift")
        fig.tight_layout()
        fig.savefig(out / "positional.png", dpi=80)
        plt.close(fig)
        written.append("positional.png")
    if maps:
        policy_map, random_map, frame = maps[0]
        fig, axes = plt.subplots(1, 3, figsize=(11, 4))
        axes[0].imshow(frame)
        axes[0].set_title("frame")
        axes[1].imshow(frame)
        axes[1].imshow(policy_map, extent=(0, 128, 128, 0), alpha=0.6, cmap="magma")
        axes[1].set_title("perturbation saliency")
        if random_map is not None:
            axes[2].imshow(frame)
            axes[2].imshow(random_map, extent=(0, 128, 128, 0), alpha=0.6, cmap="magma")
        axes[2].set_title("random-init network")
        for ax in axes:
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(out / "saliency.png", dpi=80)
        plt.close(fig)
        written.append("saliency.png")
    return written
