"""benchmarks/vector_glue.py and train_sps.py run as a user runs them, write their rows, and never overwrite a result."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_train_sps_times_the_loop_and_the_ceiling_and_keeps_an_existing_result(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("tensorboard")
    out = tmp_path / "sps.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "train_sps.py"), "--skip-ale", "--threads", "1"]
    tiny = ["--updates", "3", "--warmup", "1", "--repeats", "1", "--num-envs", "2", "--num-minibatches", "2"]
    done = subprocess.run([*command, *tiny, "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    ours = result["ours"]
    assert result["ale"] is None and result["layout"]["num_envs"] == 2 and result["torch_deterministic"] is True
    assert ours["env_id"] == "ScoreGames/Breakout-v0" and ours["updates_timed"] == 2 and ours["steady_sps"] > 0
    # in-process envs step inside step_wait, which is part of the time outside the network
    assert 0 < ours["step_wait_fraction"] < ours["outside_network_fraction"] < 1
    assert result["ceiling"]["ceiling_sps"] > 0
    assert "| ppo on ScoreGames/Breakout-v0 |" in done.stdout

    before = out.read_text()
    again = subprocess.run([*command, "--json", str(out)], capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "exists" in again.stderr
    assert out.read_text() == before


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "/nonexistent/glue.json"], "folder /nonexistent does not exist"),
        (["--steps", "0"], "--steps must be >= 1"),
        (["--repeats", "0"], "--repeats must be >= 1"),
    ],
)
def test_vector_glue_refuses_bad_options_before_measuring(options: list[str], message: str) -> None:
    refused = run_glue(*options)
    assert refused.returncode == 2 and message in refused.stderr


def test_train_sps_shows_the_agents_own_message_when_it_refuses_a_layout(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    command = [sys.executable, str(ROOT / "benchmarks" / "train_sps.py"), "--skip-ale", "--env-groups", "3"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1 and "--env-groups must divide --num-envs (8), got 3" in refused.stderr
    assert "Traceback" not in refused.stderr and "CalledProcessError" not in refused.stderr
    missing = subprocess.run(
        [*command[:2], "--json", str(tmp_path / "no" / "sps.json")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_train_sps_refuses_cuda_without_a_gpu_before_training() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    command = [sys.executable, str(ROOT / "benchmarks" / "train_sps.py"), "--cuda", "--skip-ale"]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "--cuda needs a CUDA GPU" in refused.stderr and "Traceback" not in refused.stderr


def test_train_sps_keeps_a_result_file_that_appeared_during_its_runs(tmp_path: Path, monkeypatch) -> None:
    """--json is checked before minutes of training; a file that appears there meanwhile (another
    run's results) is kept, and this run's go beside it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_sps", ROOT / "benchmarks" / "train_sps.py")
    train_sps = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train_sps)
    out = tmp_path / "sps.json"
    row = {"env_id": "ScoreGames/Breakout-v0", "steady_sps": 1.0, "outside_network_fraction": 0.5,
           "step_wait_fraction": 0.1, "updates_timed": 1}  # fmt: skip

    def train(env_id, layout, options, workdir):
        out.write_text('{"theirs": true}')  # another process writes its results meanwhile
        return row

    monkeypatch.setattr(train_sps, "train_sps", train)
    monkeypatch.setattr(train_sps, "network_ceiling", lambda *a: {"ceiling_sps": 2.0, "seconds_per_update": 1.0})
    monkeypatch.setattr(sys, "argv", ["train_sps.py", "--skip-ale", "--json", str(out)])
    train_sps.main()
    assert json.loads(out.read_text()) == {"theirs": True}
    assert json.loads((tmp_path / "sps-1.json").read_text())["ours"] == row


def test_save_json_new_keeps_a_file_that_took_the_path_and_says_where_the_results_went(tmp_path: Path, capsys) -> None:
    """The tools' --json writer (bench, train_sps, vector_glue, reference_scores): never over a file."""
    from scoregames.bench import save_json_new

    out = tmp_path / "rows.json"
    assert save_json_new(out, [1]) == str(out) and capsys.readouterr().err == ""
    assert save_json_new(out, [2]) == str(tmp_path / "rows-1.json")
    assert "wrote the results to" in capsys.readouterr().err
    assert json.loads(out.read_text()) == [1] and json.loads((tmp_path / "rows-1.json").read_text()) == [2]
