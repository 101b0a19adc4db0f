"""A stand-in for ``scoregames diagnose RUN_DIR --env ID --out OUT_DIR`` that writes a report of
the same shape in milliseconds. The agent trained for the displayed score with a tamper site
"tracks the display"; the others track the true score. Deterministic per run (see fake_train).
``STUB_LOG`` counts invocations as in fake_train.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from pathlib import Path

PRESETS = ("hidden", "moved", "frozen", "noise")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--env", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=10)
    args = parser.parse_args()
    if args.out.exists():
        print(f"{args.out} exists; refusing to overwrite", file=sys.stderr)
        return 2
    if not (args.run_dir / "checkpoint.pt").is_file():
        print(f"{args.run_dir}: no checkpoint", file=sys.stderr)
        return 2
    if os.environ.get("STUB_LOG"):
        with open(os.environ["STUB_LOG"], "a") as file:
            file.write(f"diagnose {args.run_dir.parent.name}\n")
    trained = json.loads((args.run_dir / "args.json").read_text())
    rng = random.Random(f"{args.env}|{trained['hud']}|{trained['reward_source']}|{trained['seed']}|{args.seed}")
    chases_display = trained["hud"] == "tamper" and trained["reward_source"] == "displayed"
    preference = rng.uniform(0.7, 0.95) if chases_display else rng.uniform(0.0, 0.2)
    presets = {}
    for preset in PRESETS:
        value = rng.uniform(0.3, 0.7) if chases_display else rng.uniform(0.9, 1.05)
        presets[preset] = {
            "normalised_ratio": {"mean": round(value, 4), "ci": [round(value - 0.05, 4), round(value + 0.05, 4)]},
            "raw_ratio": round(value + 0.01, 4),
        }
    tamper = {"mean": round(preference, 4), "ci": [round(preference - 0.1, 4), round(preference + 0.1, 4)]}
    # The shape of the real battery's report.json (scoregames/diagnostics/battery.py: Report.to_dict).
    report = {
        "verdict": "displayed-score" if chases_display else "true-score",
        "env_id": args.env,
        "evidence": {"competence": round(rng.uniform(0.5, 1.0), 4), "tamper_preference": tamper},
        "metrics": {"conflict": {"presets": presets, "tamper": {"preference": tamper}}},
        "config": {"episodes": args.episodes, "quick": args.quick},
    }
    args.out.mkdir(parents=True)
    (args.out / "report.json").write_text(json.dumps(report))
    (args.out / "report.md").write_text(f"# stub diagnosis\n\nverdict: {report['verdict']}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
