"""``scoregames bench``: its table, ratios and JSON (nothing here asserts a speed)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from scoregames import bench
from scoregames.bench import Row, format_table, format_verdict, summarise
from scoregames.cli import build_parser, main


def fake_rows() -> list[Row]:
    return [
        Row("ale-single", bench.ALE_ID, 1, [3000.0, 3100.0, 2900.0]),
        Row("ale-vector", "ale_py AtariVectorEnv breakout", 8, [4000.0, 4400.0, 4300.0]),
        Row("ale-vector", "ale_py AtariVectorEnv breakout", 64, [5000.0, 5200.0, 5100.0]),
        Row("minatar", "MinAtar breakout", 1, [350000.0]),
        Row("single", "Catch", 1, [40000.0, 50000.0, 45000.0]),
        Row("vector", "Catch", 8, [90000.0, 100000.0, 95000.0]),
        Row("vector", "Catch", 64, [160000.0, 150000.0, 155000.0]),
        Row("vector+preprocess", "Catch", 64, [30000.0]),
    ]


def test_summary_ratios_use_medians_and_best_n() -> None:
    summary = summarise(fake_rows())
    assert summary["ale_single"] == 3000.0
    assert summary["ale_vector_best"] == {"num_envs": 64, "steps_per_second": 5100.0}
    catch = summary["games"]["Catch"]
    assert catch["single"] == 45000.0
    assert catch["single_vs_ale_single"] == pytest.approx(15.0)
    assert catch["vector_best"]["num_envs"] == 64
    assert catch["vector_best"]["vs_ale_vector_best"] == pytest.approx(155000.0 / 5100.0)
    assert catch["vector_preprocess_best"]["steps_per_second"] == 30000.0


def test_table_and_verdict_state_ratios_and_targets() -> None:
    rows = fake_rows()
    summary = summarise(rows)
    table = format_table(rows, summary)
    assert table.splitlines()[0].startswith("| env | N | steps/s (median)")
    assert "| Catch single | 1 | 45,000 | 40,000-50,000 | 15.0x |" in table
    assert "| Catch vector | 64 | 155,000 |" in table and "30.4x" in table
    verdict = format_verdict(summary)
    assert "Catch: single 15.0x ALE single (meets 10x)" in verdict
    assert "vector best N=64 30.4x ALE vector best (meets 30x)" in verdict


def test_without_ale_rows_there_are_no_ratios() -> None:
    rows = [Row("single", "Catch", 1, [1000.0]), Row("vector", "Catch", 8, [2000.0])]
    summary = summarise(rows)
    assert "ale_single" not in summary and "vs_ale_vector_best" not in summary["games"]["Catch"]["vector_best"]
    assert "| Catch vector | 8 | 2,000 | 2,000-2,000 | - |" in format_table(rows, summary)


def test_plan_covers_every_game_and_size_and_optional_baselines() -> None:
    plan = bench.plan_rows(["Catch", "Pong"], [1, 8], with_ale=True, with_minatar=False, preprocess=True)
    kinds = [(row.kind, row.name, row.num_envs) for row, _ in plan]
    assert kinds.count(("single", "Catch", 1)) == 1
    assert ("vector", "Pong", 8) in kinds and ("vector+preprocess", "Pong", 1) in kinds
    assert [k for k in kinds if k[0] == "ale-vector"] == [
        ("ale-vector", "ale_py AtariVectorEnv breakout", 1),
        ("ale-vector", "ale_py AtariVectorEnv breakout", 8),
    ]
    assert not any(k[0] == "minatar" for k in kinds)


def test_cli_parses_the_documented_options() -> None:
    args = build_parser("bench").parse_args(
        ["bench", "--games", "Catch", "--num-envs", "1", "8", "--repeats", "2", "--seconds", "0.5", "--no-ale"]
    )
    assert args.games == ["Catch"] and args.num_envs == [1, 8] and args.repeats == 2 and args.no_ale


def test_tiny_run_prints_table_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bench.json"
    argv = ["bench", "--games", "Catch", "--num-envs", "2", "--repeats", "1", "--seconds", "0.01"]
    assert main([*argv, "--no-ale", "--quiet", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "| Catch single | 1 |" in out and "| Catch vector | 2 |" in out
    assert "frame skip 4 folded into a step" in out
    payload = json.loads(path.read_text())
    kinds = {(row["kind"], row["num_envs"]) for row in payload["rows"]}
    assert kinds == {("single", 1), ("vector", 2), ("vector+preprocess", 2)}
    assert all(row["median"] > 0 for row in payload["rows"])
    assert payload["machine"]["cores"] >= 1 and "gymnasium" in payload["machine"]["versions"]

    before = path.read_text()  # a second run never replaces the first one's results
    assert main([*argv, "--no-ale", "--quiet", "--json", str(path)]) == 2
    assert "exists" in capsys.readouterr().err and path.read_text() == before


def test_rejects_unknown_games_and_bad_sizes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--games", "Tetris", "--no-ale"]) == 2
    assert "valid:" in capsys.readouterr().err
    args = argparse.Namespace(
        games=["Catch"], num_envs=[0], repeats=1, seconds=0.1, json=None, no_ale=True, no_preprocess=True, quiet=True
    )
    assert bench.run(args) == 2


def test_summary_table_has_one_row_per_game_with_best_n() -> None:
    table = bench.format_summary_table(summarise(fake_rows()))
    assert "| *ALE Breakout-v5* | 3,000 | 1.0x | 5,100 (64) | 1.0x |" in table
    assert "| Catch | 45,000 | 15.0x | 155,000 (64) | 30.4x | 30,000 (64) | 5.9x |" in table
