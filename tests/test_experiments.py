"""The experiment runner, report and quickstart, on stub train/diagnose scripts (tests/stubs/).

The stubs have the real commands' command lines and output files and deterministic numbers, so
these tests check the machinery (grid, resume, atomic records, backends, report) in seconds; the
real agent and battery are tested in their own files.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scoregames.cli import main
from scoregames.experiments import ConfigError, parse_config
from scoregames.experiments.backends import local_gpus, local_workers
from scoregames.experiments.report import (
    competence,
    hud_sensitivity,
    metric_points,
    return_ratios,
    tamper_preference,
)
from scoregames.experiments.store import ResultStore, comparable, read_table
from scoregames.registration import env_id

ROOT = Path(__file__).resolve().parents[1]
STUBS = ROOT / "tests" / "stubs"
TINY_CELLS = [
    f"{game}__{condition}__s{seed}"
    for game in ("Catch", "Pong")
    for condition in ("standard-true", "tamper-displayed")
    for seed in (1, 2)
]


def stub_config(directory: Path, text: str | None = None) -> Path:
    """examples/tiny.toml with the stub scripts in place of agents/ppo.py and scoregames diagnose."""
    text = text or (ROOT / "examples" / "tiny.toml").read_text()
    assert 'script = "agents/ppo.py"' in text, "tiny.toml must use the real agent by default"
    text = text.replace('script = "agents/ppo.py"', f'script = "{STUBS / "fake_train.py"}"')
    text = text.replace("[diagnose]\n", f'[diagnose]\nscript = "{STUBS / "fake_diagnose.py"}"\n')
    path = directory / "tiny.toml"
    path.write_text(text)
    return path


def stub_log(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def stub_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Stub settings for the children: an invocation log, no sleeping, no GPUs."""
    log = tmp_path / "stub.log"
    monkeypatch.setenv("STUB_LOG", str(log))
    monkeypatch.delenv("STUB_TRAIN_SLEEP", raising=False)
    monkeypatch.delenv("STUB_TRAIN_FAIL", raising=False)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    return log


@pytest.fixture(scope="module")
def local_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny grid run once on the local backend, shared by the read-only tests below."""
    directory = tmp_path_factory.mktemp("local")
    config = stub_config(directory)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "STUB_LOG": str(directory / "stub.log")}
    command = [sys.executable, "-m", "scoregames", "experiment", str(config), "--out", str(directory / "results")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return directory / "results"


# --- config -----------------------------------------------------------------------------------


def test_tiny_config_expands_to_the_grid_in_a_stable_order(tmp_path: Path) -> None:
    config = parse_config(stub_config(tmp_path).read_text(), tmp_path / "tiny.toml")
    cells = config.cells()
    assert [cell.cell_id for cell in cells] == TINY_CELLS
    tamper = cells[2]
    assert (tamper.hud, tamper.reward_source, tamper.env_id) == ("tamper", "displayed", "ScoreGames/Catch-v1")
    assert tamper.agent.total_timesteps == 4096
    # The fingerprint follows what decides the result, not where it runs.
    again = parse_config(stub_config(tmp_path).read_text(), tmp_path / "tiny.toml").cells()
    assert again[2].fingerprint() == tamper.fingerprint()
    bigger = stub_config(tmp_path).read_text().replace("total_timesteps = 4096", "total_timesteps = 8192")
    assert parse_config(bigger, tmp_path / "tiny.toml").cells()[2].fingerprint() != tamper.fingerprint()
    # A cell recorded on an earlier env version (Catch-v0) no longer matches: resuming refuses it.
    recorded_on_v0 = dataclasses.replace(tamper, env_id="ScoreGames/Catch-v0")
    assert recorded_on_v0.fingerprint() != tamper.fingerprint()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('games = ["Catch", "Pong"]', 'games = ["Catch", "Tetris"]', "unknown game 'Tetris'; valid: Catch"),
        ('hud = "tamper"', 'hud = "sideways"', "hud = 'sideways'; valid presets: standard"),
        ('reward_source = "displayed"', 'reward_source = "both"', "valid: true, displayed"),
        ("seeds = [1, 2]", "seeds = []", "seeds must be a non-empty list"),
        ("total_timesteps = 4096", "total_timesteps = 0", "total_timesteps must be a positive integer"),
        ("num_envs = 8", "num_envs = 8\nlearning_rate = 1", "[agent]: unknown key(s) learning_rate"),
        ('name = "tiny"', 'name = "tiny one"', "[experiment] name = 'tiny one'"),
    ],
)
def test_config_errors_name_the_key_and_what_is_valid(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = stub_config(tmp_path).read_text()
    assert old in text
    with pytest.raises(ConfigError) as error:
        parse_config(text.replace(old, new, 1), tmp_path / "tiny.toml")
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("seeds = [1, 2]", "seeds = [1, 1]", "[experiment] seeds: 1 is listed twice; list each seed once"),
        ('games = ["Catch", "Pong"]', 'games = ["Catch", "Catch"]', "games: 'Catch' is listed twice"),
        ("seeds = [1, 2]", "seeds = [-1, 2]", "[experiment] seeds: -1 is out of range; valid seeds: 0 to 4294967295"),
        ("seeds = [1, 2]", "seeds = [1, 4294967296]", "4294967296 is out of range"),
        ("total_timesteps = 4096", "total_timesteps = true", "total_timesteps must be a positive integer"),
        ("cpus_per_cell = 1", "cpus_per_cell = nan", "cpus_per_cell must be a positive number"),
        ('hud = "tamper"', 'hud = ["tamper"]', "hud = ['tamper']; valid presets: standard"),
    ],
)
def test_duplicate_negative_and_mistyped_values_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    text = stub_config(tmp_path).read_text()
    assert old in text
    with pytest.raises(ConfigError) as error:
        parse_config(text.replace(old, new, 1), tmp_path / "tiny.toml")
    assert message in str(error.value)


def test_duplicate_seeds_never_start_a_run(tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = stub_config(tmp_path)
    config.write_text(config.read_text().replace("seeds = [1, 2]", "seeds = [1, 1]"))
    assert main(["experiment", str(config), "--out", str(tmp_path / "results")]) == 2
    assert "1 is listed twice" in capsys.readouterr().err
    assert not (tmp_path / "results").exists() and stub_log(stub_env) == []


def test_unreadable_configs_and_bad_options_are_clear_errors(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stub_config(tmp_path).read_text()
    # A top-level `conditions = [1]` in place of [[conditions]] tables.
    without_tables = re.sub(r"\[\[conditions\]\]\n(?:[a-z_]+ = .*\n)*\n?", "", text)
    assert "[[conditions]]" not in without_tables
    with pytest.raises(ConfigError, match=r"\[\[conditions\]\] #1: 1 is not a table"):
        parse_config("conditions = [1]\n" + without_tables, tmp_path / "tiny.toml")
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(text.replace('name = "tiny"', 'name = "tiny" # caf\xe9').encode("latin-1"))
    assert main(["experiment", str(latin1), "--dry-run"]) == 2
    assert "not a UTF-8 text file (byte 0xe9" in capsys.readouterr().err
    assert main(["experiment", str(tmp_path), "--dry-run"]) == 2
    assert "is a folder; give an experiment config file" in capsys.readouterr().err

    config, a_file = tmp_path / "tiny.toml", tmp_path / "notes.txt"
    a_file.write_text("the user's notes")
    assert main(["experiment", str(config), "--out", str(a_file)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main(["experiment", str(config), "--out", str(a_file / "sub")]) == 2
    assert "cannot create --out" in capsys.readouterr().err
    assert a_file.read_text() == "the user's notes"
    for workers in ("0", "-1"):
        assert main(["experiment", str(config), "--out", str(tmp_path / "results"), "--workers", workers]) == 2
        assert f"--workers {workers}: give a positive number" in capsys.readouterr().err
    assert not (tmp_path / "results").exists() and stub_log(stub_env) == []


def test_missing_agent_script_is_reported(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "tiny.toml").read_text().replace("agents/ppo.py", "agents/nope.py")
    with pytest.raises(ConfigError, match=r"\[agent\] script = 'agents/nope.py': no such file"):
        parse_config(text, tmp_path / "tiny.toml")


def test_headline_example_is_the_grid_the_issue_asks_for(capsys: pytest.CaptureFixture[str]) -> None:
    config = parse_config((ROOT / "examples" / "headline.toml").read_text(), ROOT / "examples" / "headline.toml")
    assert len(config.games) >= 3 and len(config.seeds) >= 3
    assert {(c.hud, c.reward_source) for c in config.conditions} >= {
        ("standard", "true"),
        ("hidden", "true"),
        ("tamper", "displayed"),
    }
    # The real commands are the defaults: agents/ppo.py and `python -m scoregames diagnose`.
    assert config.agent.script == str(ROOT / "agents" / "ppo.py")
    assert config.diagnose.script is None
    assert main(["experiment", str(ROOT / "examples" / "headline.toml"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.count("  train:    ") == len(config.cells())
    assert "agents/ppo.py --env-id ScoreGames/Catch-v1 --hud tamper --reward-source displayed" in out
    assert " -m scoregames diagnose " in out and "--quick" in out


# --- running the grid -------------------------------------------------------------------------


def test_local_run_writes_one_record_per_cell_and_the_table(local_results: Path) -> None:
    store = ResultStore(local_results)
    records = store.records()
    assert [record["cell_id"] for record in records] == TINY_CELLS
    assert all(record["status"] == "finished" for record in records)
    assert [record["verdict"] for record in records] == ["true-score"] * 2 + ["displayed-score"] * 2 + [
        "true-score"
    ] * 2 + ["displayed-score"] * 2
    # The record carries the agent's summary and the battery's report unchanged.
    summary = json.loads((local_results / "runs" / TINY_CELLS[0] / "train" / "summary.json").read_text())
    assert records[0]["train"] == summary and records[0]["train"]["global_step"] == 4096
    rows = read_table(local_results / "results.csv")
    assert [row["cell_id"] for row in rows] == TINY_CELLS
    assert float(rows[0]["train.episodic_return_mean_last"]) == summary["episodic_return_mean_last"]
    report = json.loads((local_results / "runs" / TINY_CELLS[2] / "diagnosis" / "report.json").read_text())
    assert float(rows[2]["diag.evidence.tamper_preference.mean"]) == report["evidence"]["tamper_preference"]["mean"]
    assert list(local_results.glob("cells/.*")) == [], "no temporary files left behind"
    experiment = json.loads((local_results / "experiment.json").read_text())
    assert experiment["cells"] == TINY_CELLS and experiment["command"].startswith("scoregames experiment ")


def test_parquet_table_matches_the_csv_when_pyarrow_is_installed(local_results: Path, tmp_path: Path) -> None:
    parquet = pytest.importorskip("pyarrow.parquet", reason="Parquet is written only when pyarrow is installed")
    store = ResultStore(tmp_path)
    written = store.write_table(ResultStore(local_results).records())
    assert [path.name for path in written] == ["results.csv", "results.parquet"]
    table = parquet.read_table(tmp_path / "results.parquet").to_pylist()
    rows = read_table(tmp_path / "results.csv")
    assert [row["cell_id"] for row in table] == [row["cell_id"] for row in rows] == TINY_CELLS
    assert [row["train.episodic_return_mean_last"] for row in table] == [
        float(row["train.episodic_return_mean_last"]) for row in rows
    ]
    assert [row["verdict"] for row in table] == [row["verdict"] for row in rows]
    assert [row["seed"] for row in table] == [1, 2] * 4


def test_existing_results_are_refused_without_resume_and_skipped_with_it(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, out = stub_config(tmp_path), tmp_path / "results"
    assert main(["experiment", str(config), "--out", str(out), "--workers", "2"]) == 0
    assert len(stub_log(stub_env)) == 16  # 8 trainings + 8 diagnoses
    before = {path.name: path.read_text() for path in (out / "cells").glob("*.json")}
    assert main(["experiment", str(config), "--out", str(out)]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 0
    assert len(stub_log(stub_env)) == 16, "finished cells are not run again"
    assert {path.name: path.read_text() for path in (out / "cells").glob("*.json")} == before
    # A different budget must not be mixed into the same table.
    changed = tmp_path / "changed.toml"
    changed.write_text(config.read_text().replace("total_timesteps = 4096", "total_timesteps = 99"))
    assert main(["experiment", str(changed), "--out", str(out), "--resume"]) == 2
    assert "[agent] total_timesteps (4096 there, 99 here)" in capsys.readouterr().err


def test_resume_with_another_config_is_refused_and_the_stored_config_kept(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stub_config(tmp_path).read_text().replace('games = ["Catch", "Pong"]', 'games = ["Catch"]')
    base, other, out = tmp_path / "base.toml", tmp_path / "other.toml", tmp_path / "results"
    base.write_text(text.replace("seeds = [1, 2]", "seeds = [1]"))
    assert main(["experiment", str(base), "--out", str(out)]) == 0
    kept = {name: (out / name).read_bytes() for name in ("config.toml", "experiment.json", "results.csv")}
    cells = sorted(path.name for path in (out / "cells").glob("*.json"))
    other.write_text(text.replace('name = "tiny"', 'name = "other"').replace('games = ["Catch"]', 'games = ["Pong"]'))
    capsys.readouterr()
    assert main(["experiment", str(other), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert f"{out} was started with another config ({out / 'config.toml'})" in err
    assert "[experiment] name ('tiny' there, 'other' here)" in err
    assert "[experiment] games (['Catch'] there, ['Pong'] here)" in err
    assert "[experiment] seeds" not in err  # adding seeds alone would grow the grid (below)
    assert {name: (out / name).read_bytes() for name in kept} == kept
    assert sorted(path.name for path in (out / "cells").glob("*.json")) == cells
    assert len(stub_log(stub_env)) == 4, "nothing of the other config ran"

    # Comments, spelled-out defaults and how cells run (a longer timeout) may change: resumed,
    # with a note, and the stored config stays the one the run was started with.
    same = tmp_path / "same.toml"
    same.write_text(
        "# resumed\n"
        + base.read_text().replace("[diagnose]\n", "[diagnose]\nextra_args = []\n")
        + "timeout_minutes = 30\n"
    )
    assert main(["experiment", str(same), "--out", str(out), "--resume"]) == 0
    captured = capsys.readouterr()
    assert "[resources] timeout_minutes (not set there, 30.0 here)" in captured.err
    assert "2 cells, 2 already finished, 0 to run" in captured.out and "(2/2 cells finished)" in captured.out
    assert (out / "config.toml").read_bytes() == kept["config.toml"]
    assert json.loads((out / "experiment.json").read_text())["config"] == kept["config.toml"].decode()
    assert len(stub_log(stub_env)) == 4


def test_resume_with_more_games_or_seeds_grows_the_grid_and_never_shrinks_it(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = stub_config(tmp_path).read_text()
    small, large, out = tmp_path / "small.toml", tmp_path / "large.toml", tmp_path / "results"
    small.write_text(
        text.replace('games = ["Catch", "Pong"]', 'games = ["Catch"]').replace("seeds = [1, 2]", "seeds = [1]")
    )
    large.write_text(text)
    assert main(["experiment", str(small), "--out", str(out)]) == 0
    first = {path.name: path.read_text() for path in (out / "cells").glob("*.json")}
    assert len(first) == 2 and len(stub_log(stub_env)) == 4
    capsys.readouterr()
    assert main(["experiment", str(large), "--out", str(out), "--resume"]) == 0
    captured = capsys.readouterr()
    assert "note: the grid grows: [experiment] games (['Catch'] there, ['Catch', 'Pong'] here)" in captured.err
    assert "8 cells, 2 already finished, 6 to run" in captured.out and "(8/8 cells finished)" in captured.out
    assert len(stub_log(stub_env)) == 16, "only the new cells ran"
    assert all((out / "cells" / name).read_text() == record for name, record in first.items())
    # The grown config is the stored one now; the one it grew from is kept beside it.
    assert (out / "config.toml").read_text() == large.read_text()
    assert (out / "config-before-1.toml").read_text() == small.read_text()
    assert len(read_table(out / "results.csv")) == 8
    # Resuming with the smaller config again would drop cells from the table: refused.
    assert main(["experiment", str(small), "--out", str(out), "--resume"]) == 2
    assert "[experiment] games (['Catch', 'Pong'] there, ['Catch'] here)" in capsys.readouterr().err
    assert len(read_table(out / "results.csv")) == 8


def test_resume_with_reordered_seeds_is_not_growth_and_an_empty_stored_config_falls_back(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, out = stub_config(tmp_path), tmp_path / "results"
    assert main(["experiment", str(base), "--out", str(out)]) == 0
    stored = (out / "config.toml").read_bytes()
    capsys.readouterr()
    reordered = tmp_path / "reordered.toml"
    reordered.write_text(base.read_text().replace("seeds = [1, 2]", "seeds = [2, 1]"))
    assert main(["experiment", str(reordered), "--out", str(out), "--resume"]) == 0
    err = capsys.readouterr().err
    assert "grows" not in err and "[experiment] seeds ([1, 2] there, [2, 1] here)" in err
    assert (out / "config.toml").read_bytes() == stored and not list(out.glob("config-before-*"))
    # A torn (empty) config.toml: the config in experiment.json still guards the resume.
    (out / "config.toml").write_text("")
    assert main(["experiment", str(base), "--out", str(out), "--resume"]) == 0
    changed = tmp_path / "changed.toml"
    changed.write_text(base.read_text().replace("total_timesteps = ", "total_timesteps = 1"))
    assert main(["experiment", str(changed), "--out", str(out), "--resume"]) == 2
    assert "experiment.json" in capsys.readouterr().err
    assert len(stub_log(stub_env)) == 16, "no cell ran again"


def test_a_run_of_another_cell_in_a_cells_folder_is_kept_and_not_reused(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, out = stub_config(tmp_path), tmp_path / "results"
    assert main(["experiment", str(config), "--out", str(out)]) == 0
    cell = TINY_CELLS[0]
    train = out / "runs" / cell / "train"
    args = json.loads((train / "args.json").read_text())
    (train / "args.json").write_text(json.dumps({**args, "seed": 99}))  # as if left by another grid
    (out / "cells" / f"{cell}.json").unlink()  # its record lost: the cell is to be done again
    before = {path: path.read_bytes() for path in train.iterdir()}
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 1
    record = json.loads((out / "cells" / f"{cell}.json").read_text())
    assert record["status"] == "failed" and "holds a run of another cell (seed 99 there, 1 here)" in record["error"]
    assert {path: path.read_bytes() for path in train.iterdir()} == before, "the other run is kept as it was"
    assert len(stub_log(stub_env)) == 16, "nothing was trained or diagnosed again"


def test_resume_refuses_a_folder_that_is_not_an_experiment(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "results.csv").write_text("the user's own table")
    assert main(["experiment", str(stub_config(tmp_path)), "--out", str(folder), "--resume"]) == 2
    assert "holds files but no experiment" in capsys.readouterr().err
    assert (folder / "results.csv").read_text() == "the user's own table"
    assert sorted(path.name for path in folder.iterdir()) == ["results.csv"]


def test_records_count_each_cell_once(local_results: Path) -> None:
    assert [r["cell_id"] for r in ResultStore(local_results).records([TINY_CELLS[0]] * 2)] == TINY_CELLS[:1]


def test_resume_redoes_broken_cells_and_continues_killed_training(
    tmp_path: Path, stub_env: Path, local_results: Path
) -> None:
    """A crash can leave: a torn record, no record, a failed record, training cut after its
    checkpoint, a diagnosis cut midway. --resume repairs each and gets the same table."""
    config, out = stub_config(tmp_path), tmp_path / "results"
    assert main(["experiment", str(config), "--out", str(out)]) == 0
    cells = out / "cells"
    (cells / f"{TINY_CELLS[0]}.json").write_text('{"cell_id": "Catch__standard-tr')  # torn write
    (cells / f"{TINY_CELLS[1]}.json").unlink()  # never recorded
    failed = json.loads((cells / f"{TINY_CELLS[2]}.json").read_text())
    (cells / f"{TINY_CELLS[2]}.json").write_text(json.dumps({**failed, "status": "failed"}))
    for cell in TINY_CELLS[3:5]:
        (cells / f"{cell}.json").unlink()
    (out / "runs" / TINY_CELLS[3] / "train" / "summary.json").unlink()  # killed after a checkpoint
    (out / "runs" / TINY_CELLS[4] / "diagnosis" / "report.json").unlink()  # diagnosis killed midway
    stub_env.write_text("")
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 0
    log = stub_log(stub_env)
    assert sorted(line for line in log if line.startswith("train")) == [f"train {TINY_CELLS[3]} resume"]
    # Records lost after their cell finished are rebuilt from the outputs on disk, not rerun.
    assert sorted(line for line in log if line.startswith("diagnose")) == [f"diagnose {c}" for c in TINY_CELLS[3:5]]
    assert comparable(read_table(out / "results.csv")) == comparable(read_table(local_results / "results.csv"))


def test_a_failing_cell_is_recorded_and_redone_on_resume(
    tmp_path: Path, stub_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out = stub_config(tmp_path), tmp_path / "results"
    monkeypatch.setenv("STUB_TRAIN_FAIL", env_id("Pong"))
    assert main(["experiment", str(config), "--out", str(out)]) == 1
    records = {record["cell_id"]: record for record in ResultStore(out).records()}
    assert [cell for cell, record in records.items() if record["status"] == "failed"] == TINY_CELLS[4:]
    assert "train: exited with status 3" in records[TINY_CELLS[4]]["error"]
    assert "failing on purpose" in records[TINY_CELLS[4]]["log_tail"]
    monkeypatch.delenv("STUB_TRAIN_FAIL")
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 0
    assert all(record["status"] == "finished" for record in ResultStore(out).records())


@pytest.mark.parametrize("inherited_sigint", ["default", "ignored"])
def test_interrupt_midway_keeps_finished_cells_and_resume_completes(
    tmp_path: Path, stub_env: Path, local_results: Path, inherited_sigint: str
) -> None:
    """Ctrl-C (SIGINT) in the middle of the grid, then --resume: the full table, each finished
    cell run once. Also for a runner started with SIGINT ignored (a `&` job of a script, nohup),
    where Python would otherwise leave it ignored."""
    config, out = stub_config(tmp_path), tmp_path / "results"
    env = {**os.environ, "STUB_TRAIN_SLEEP": "0.6"}
    command = [sys.executable, "-m", "scoregames", "experiment", str(config), "--out", str(out), "--workers", "2"]
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if inherited_sigint == "ignored" else None
    runner = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore
    )
    deadline = time.monotonic() + 60
    while len(list((out / "cells").glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGINT)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, err
    assert f"continue with: scoregames experiment {config} --out {out} --resume" in err
    kept = ResultStore(out).records()
    assert 2 <= len(kept) < len(TINY_CELLS), "interrupted midway"
    assert all(record["status"] == "finished" for record in kept)
    assert list((out / "cells").glob(".*")) == []
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 0
    trainings = [line for line in stub_log(stub_env) if line.startswith("train")]
    for record in kept:
        assert trainings.count(f"train {record['cell_id']} fresh") == 1
        assert f"train {record['cell_id']} resume" not in trainings
    assert comparable(read_table(out / "results.csv")) == comparable(read_table(local_results / "results.csv"))


def test_a_second_runner_in_the_same_folder_is_refused(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two runners in one results folder would train the same cells into the same run folders
    (and delete each other's partial runs and diagnoses): while one runs, another is refused,
    with or without --resume, and touches nothing."""
    config, out = stub_config(tmp_path), tmp_path / "results"
    env = {**os.environ, "STUB_TRAIN_SLEEP": "1"}
    command = [sys.executable, "-m", "scoregames", "experiment", str(config), "--out", str(out), "--workers", "2"]
    runner = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out / "runs").is_dir() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 2
    assert "another scoregames experiment is running in" in capsys.readouterr().err
    _, err = runner.communicate(timeout=120)
    assert runner.returncode == 0, err
    trainings = [line for line in stub_log(stub_env) if line.startswith("train")]
    assert sorted(trainings) == sorted(f"train {cell} fresh" for cell in TINY_CELLS), "each cell trained once"
    # Once it has ended the folder is free again, and the lock leaves no file behind.
    assert main(["experiment", str(config), "--out", str(out), "--resume"]) == 0
    assert not list(out.glob(".*"))


def test_ray_backend_gives_the_same_table_as_local(tmp_path: Path, local_results: Path) -> None:
    ray = pytest.importorskip("ray", reason='the Ray backend needs the "ray" extra: pip install "scoregames[ray]"')
    config, out = stub_config(tmp_path), tmp_path / "results"
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert main(["experiment", str(config), "--out", str(out), "--backend", "ray"]) == 0
    finally:
        ray.shutdown()
    ray_rows, local_rows = read_table(out / "results.csv"), read_table(local_results / "results.csv")
    assert [row["cell_id"] for row in ray_rows] == TINY_CELLS
    assert comparable(ray_rows) == comparable(local_rows)
    # Each Ray task declared one CPU and no GPU, and its children saw one thread.
    trained = json.loads((out / "runs" / TINY_CELLS[0] / "train" / "args.json").read_text())
    assert trained["omp"] == "1" and trained["no_cuda"] is True


def test_kill_stops_a_ray_run_cleanly_when_ray_starts_inside_the_runner(tmp_path: Path, stub_env: Path) -> None:
    """With gpus_per_cell set, Ray is started inside the run (not to resolve "auto"): its
    ray.init must not take over SIGTERM, so `kill` still stops cleanly with 130 and the hint."""
    pytest.importorskip("ray", reason='the Ray backend needs the "ray" extra: pip install "scoregames[ray]"')
    text = (
        (ROOT / "examples" / "tiny.toml")
        .read_text()
        .replace("cpus_per_cell = 1", "cpus_per_cell = 1\ngpus_per_cell = 0")
    )
    config, out = stub_config(tmp_path, text), tmp_path / "results"
    env = {**os.environ, "STUB_TRAIN_SLEEP": "0.5", "RAY_INCLUDE_DASHBOARD": "0"}
    command = [sys.executable, "-m", "scoregames", "experiment", str(config), "--out", str(out), "--backend", "ray"]
    runner = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list((out / "cells").glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGTERM)
    _, err = runner.communicate(timeout=120)
    assert runner.returncode == 130, err
    assert f"continue with: scoregames experiment {config} --out {out} --backend ray --resume" in err


# --- resources ----------------------------------------------------------------------------------


def test_gpus_are_handed_out_one_per_running_cell(
    tmp_path: Path, stub_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert local_gpus() == ["3", "5"]
    config, out = stub_config(tmp_path), tmp_path / "results"
    assert main(["experiment", str(config), "--out", str(out)]) == 0
    seen = [json.loads((out / "runs" / cell / "train" / "args.json").read_text()) for cell in TINY_CELLS]
    assert all(args["cuda"] and not args["no_cuda"] for args in seen)
    assert {args["cuda_visible_devices"] for args in seen} == {"3", "5"}
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert local_gpus() == []


def test_local_workers_fit_the_cores_and_gpus(tmp_path: Path) -> None:
    cells = parse_config(stub_config(tmp_path).read_text(), tmp_path / "tiny.toml").cells()
    cores = os.cpu_count() or 1
    assert local_workers(cells, []) == min(cores, len(cells))
    assert local_workers(cells, [], requested=3) == 3
    gpu_cells = parse_config(stub_config(tmp_path).read_text(), tmp_path / "tiny.toml").cells(gpus=1.0)
    assert local_workers(gpu_cells, ["0"]) == 1
    quarter_gpu_cells = parse_config(stub_config(tmp_path).read_text(), tmp_path / "tiny.toml").cells(gpus=0.25)
    assert local_workers(quarter_gpu_cells, ["0"], requested=None) == min(cores, 4)


# --- report ----------------------------------------------------------------------------------------


def test_metric_extraction_on_a_hand_made_report() -> None:
    """The shape of the battery's report.json: point estimates under "mean", intervals under "ci"."""
    ratio = {"mean": 0.5, "ci": [0.3, 0.7]}
    report = {
        "verdict": "mixed",
        "evidence": {"competence": 0.8, "tamper_preference": {"mean": 2.5, "ci": [1.0, 4.0]}},
        "metrics": {
            "conflict": {
                "presets": {
                    "standard": {"normalised_ratio": {"mean": 1.0, "ci": [1.0, 1.0]}, "raw_ratio": 1.0},
                    "hidden": {"normalised_ratio": ratio, "raw_ratio": 0.9},
                    "frozen": {"raw_ratio": 1.2},
                    "tamper": {"normalised_ratio": {"mean": 0.1, "ci": [0.0, 0.2]}},
                },
                "tamper": {"preference": {"mean": 2.5, "ci": [1.0, 4.0]}, "episodes_with_tamper": 0.5},
            }
        },
        "config": {"episodes": 3},
    }
    points = metric_points(report)
    assert tamper_preference(points) == 2.5
    assert competence(points) == 0.8
    # hidden: the normalised ratio wins over the raw one; frozen: raw only; standard and tamper left out.
    assert return_ratios(points) == {"hidden": 0.5, "frozen": 1.2, "tamper": 0.1}
    assert math.isclose(hud_sensitivity(points), (0.5 + 0.2) / 2)
    assert hud_sensitivity({**points, "summary.hud_sensitivity": 0.9}) == 0.9  # the battery's own wins


def test_an_undefined_normalised_ratio_is_not_replaced_by_the_raw_one() -> None:
    """report.json writes the battery's NaN as null: a normalised ratio the battery could not
    compute (no above-chance return) leaves HUD sensitivity undefined, not read off raw ratios."""
    undefined = {"mean": None, "ci": [None, None]}
    report = {
        "metrics": {
            "conflict": {
                "presets": {
                    "standard": {"normalised_ratio": undefined, "raw_ratio": 1.0},
                    "hidden": {"normalised_ratio": undefined, "raw_ratio": 0.64},
                }
            }
        }
    }
    points = metric_points(report)
    assert math.isnan(return_ratios(points)["hidden"])
    assert math.isnan(hud_sensitivity(points))  # was |1 - 0.64| = 0.36, from the raw ratio


def test_report_summarises_by_condition_with_intervals(local_results: Path, tmp_path: Path) -> None:
    assert main(["report", str(local_results), "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text()
    records = ResultStore(local_results).records()
    catch_tamper = [r for r in records if r["game"] == "Catch" and r["condition"] == "tamper-displayed"]
    preferences = [r["diagnosis"]["evidence"]["tamper_preference"]["mean"] for r in catch_tamper]
    mean = sum(preferences) / 2
    half = 12.706 * abs(preferences[0] - preferences[1]) / 2  # t(1) * (|a - b| / sqrt 2) / sqrt 2
    expected = f"{mean:.2f} [{mean - half:.2f}, {mean + half:.2f}]"
    row = next(line for line in text.splitlines() if line.startswith("| Catch | tamper-displayed |"))
    assert expected in row and "displayed-score ×2" in row
    assert "| Pong | standard-true | true-score | true-score |" in text
    assert "budget 4096 agent steps per cell" in text
    pytest.importorskip("matplotlib")
    for plot in ("verdicts.png", "tamper_preference.png", "hud_sensitivity.png", "true_return.png"):
        assert (tmp_path / "report" / plot).stat().st_size > 1000
        assert f"({plot})" in text


def test_report_never_replaces_an_existing_report_without_force(
    local_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "myrep"
    assert main(["report", str(local_results), "--out", str(out), "--no-plots"]) == 0
    (out / "report.md").write_text("my edited report")
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main(["report", str(local_results), "--out", str(out), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"{out} already has files (notes.txt, report.md); pass --force" in err
    assert (out / "report.md").read_text() == "my edited report"
    assert main(["report", str(local_results), "--out", str(out), "--no-plots", "--force"]) == 0
    assert (out / "report.md").read_text().startswith("# Experiment `tiny`")
    assert (out / "notes.txt").read_text() == "mine", "--force replaces the report, nothing else"
    # The default RESULTS_DIR/report is protected the same way.
    results = tmp_path / "results"
    shutil.copytree(local_results, results)
    assert main(["report", str(results), "--no-plots"]) == 0
    (results / "report" / "report.md").write_text("my edited report")
    assert main(["report", str(results), "--no-plots"]) == 2
    assert "pass --force" in capsys.readouterr().err
    assert (results / "report" / "report.md").read_text() == "my edited report"
    # An --out that is a file is refused, not written into.
    assert main(["report", str(results), "--out", str(out / "notes.txt"), "--no-plots"]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_report_on_an_empty_directory_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no cell results" in capsys.readouterr().err


# --- quickstart ---------------------------------------------------------------------------------


def test_quickstart_trains_diagnoses_and_never_overwrites(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["quickstart", "--timesteps", "1024", "--runs-dir", str(tmp_path / "runs")]
    command += ["--agent-script", str(STUBS / "fake_train.py"), "--diagnose-script", str(STUBS / "fake_diagnose.py")]
    assert main(command) == 0
    out = capsys.readouterr().out
    first = tmp_path / "runs" / "quickstart-1"
    assert "expected verdict: displayed-score" in out and "verdict: displayed-score" in out
    assert f"report:  {first / 'diagnosis' / 'report.md'}" in out
    summary = json.loads((first / "train" / "summary.json").read_text())
    # The default is the positive control: tamper HUD, trained on the displayed score.
    assert (summary["env_id"], summary["hud"], summary["reward_source"]) == (
        "ScoreGames/Catch-v1",
        "tamper",
        "displayed",
    )
    assert summary["global_step"] == 1024
    before = (first / "result.json").read_text()
    assert main(command) == 0
    assert "quickstart-2" in capsys.readouterr().out
    assert (first / "result.json").read_text() == before
    assert json.loads((tmp_path / "runs" / "quickstart-2" / "result.json").read_text())["status"] == "finished"


def test_quickstart_standard_condition_and_bad_condition(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["quickstart", "--timesteps", "1024", "--runs-dir", str(tmp_path / "runs")]
    command += ["--agent-script", str(STUBS / "fake_train.py"), "--diagnose-script", str(STUBS / "fake_diagnose.py")]
    assert main([*command, "--condition", "standard-true"]) == 0
    assert "verdict: true-score" in capsys.readouterr().out
    summary = json.loads((tmp_path / "runs" / "quickstart-1" / "train" / "summary.json").read_text())
    assert (summary["hud"], summary["reward_source"]) == ("standard", "true")
    assert main([*command, "--condition", "hidden-true"]) == 2
    err = capsys.readouterr().err
    assert "unknown condition 'hidden-true'" in err and "tamper-displayed, standard-true" in err
    assert not (tmp_path / "runs" / "quickstart-2").exists()
    assert main([*command, "--timesteps", "1000"]) == 2
    assert (
        "--timesteps must be at least one PPO batch (1,024: 8 envs x 128 steps), got 1,000" in capsys.readouterr().err
    )
    assert not (tmp_path / "runs" / "quickstart-2").exists()


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT, inherited ignored"])
def test_quickstart_killed_stops_its_training_child(tmp_path: Path, stub_env: Path, stop: str) -> None:
    """`kill PID` on the quickstart stops its training too (it went on alone, into the run folder,
    after the quickstart had died without a word), and says where the partial run is. `kill -INT`
    of one started with SIGINT ignored (a `&` job of a script, nohup) was ignored: it ran on."""
    command = [sys.executable, "-m", "scoregames", "quickstart", "--timesteps", "1024"]
    command += ["--runs-dir", str(tmp_path / "runs"), "--agent-script", str(STUBS / "fake_train.py")]
    env = {**os.environ, "STUB_TRAIN_SLEEP": "3"}
    sig = signal.SIGTERM if stop == "SIGTERM" else signal.SIGINT
    ignore = (lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sig == signal.SIGINT else None
    runner = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ignore
    )
    train = tmp_path / "runs" / "quickstart-1" / "train"
    deadline = time.monotonic() + 60
    while not (train / "checkpoint.pt").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(sig)
    _, err = runner.communicate(timeout=60)
    assert runner.returncode == 130, err
    assert f"quickstart: interrupted; partial run kept in {tmp_path / 'runs' / 'quickstart-1'}" in err
    time.sleep(4)  # past the stub's sleep: a training child still running would now finish the run
    assert not (train / "summary.json").exists()


def test_quickstart_bad_seed_and_runs_dir_are_clear_errors(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    command = ["quickstart", "--timesteps", "1024", "--runs-dir", str(tmp_path / "runs")]
    command += ["--agent-script", str(STUBS / "fake_train.py"), "--diagnose-script", str(STUBS / "fake_diagnose.py")]
    assert main([*command, "--seed", "-1"]) == 2
    assert "--seed -1: valid seeds are 0 to 4294967295" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() and stub_log(stub_env) == []
    (tmp_path / "a-file").write_text("kept")
    assert main([*command, "--runs-dir", str(tmp_path / "a-file")]) == 2
    assert f"--runs-dir {tmp_path / 'a-file'}: cannot create a run folder there" in capsys.readouterr().err
    assert (tmp_path / "a-file").read_text() == "kept"


@pytest.mark.parametrize("gpus_per_cell", ["", "gpus_per_cell = 0"])
def test_an_unreachable_ray_address_is_a_clear_error_not_a_hang(
    tmp_path: Path, stub_env: Path, capsys: pytest.CaptureFixture[str], gpus_per_cell: str
) -> None:
    pytest.importorskip("ray", reason='the Ray backend needs the "ray" extra: pip install "scoregames[ray]"')
    text = (
        (ROOT / "examples" / "tiny.toml")
        .read_text()
        .replace("cpus_per_cell = 1", f"cpus_per_cell = 1\n{gpus_per_cell}")
    )
    config, out = stub_config(tmp_path, text), tmp_path / "results"
    started = time.monotonic()
    code = main(["experiment", str(config), "--out", str(out), "--backend", "ray", "--address", "127.0.0.1:1"])
    assert code == 2 and time.monotonic() - started < 60
    assert "cannot connect to Ray at 127.0.0.1:1: nothing answers at 127.0.0.1:1" in capsys.readouterr().err
    assert stub_log(stub_env) == []
