"""benchmarks/vector_glue.py runs as a user runs it, writes its rows, and never overwrites a result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_glue(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "benchmarks" / "vector_glue.py"), "--game", "Catch", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_vector_glue_measures_each_layout_and_keeps_an_existing_result(tmp_path: Path) -> None:
    out = tmp_path / "glue.json"
    done = run_glue("--num-envs", "3", "--workers", "0", "2", "--steps", "30", "--repeats", "2", "--json", str(out))
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())
    assert [(row["workers"], row["num_envs"]) for row in rows] == [(0, 3), (2, 3)]
    for row in rows:
        assert len(row["samples_us"]) == 2 and all(sample > 0 for sample in row["samples_us"])
        assert min(row["samples_us"]) <= row["learner_cpu_us_per_step"] <= max(row["samples_us"])
    assert "2 workers: learner CPU" in done.stdout

    before = out.read_text()
    again = run_glue("--workers", "0", "--steps", "5", "--repeats", "1", "--json", str(out))
    assert again.returncode == 2 and "exists" in again.stderr
    assert out.read_text() == before
