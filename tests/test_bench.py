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
    assert format_verdict(summary) == ""  # not a bare "Catch:" line per game


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


def bench_args(**overrides: object) -> argparse.Namespace:
    values: dict[str, object] = dict(
        games=["Catch"], num_envs=[1], repeats=1, seconds=0.01, json=None, no_ale=True, no_preprocess=True, quiet=True
    )
    return argparse.Namespace(**{**values, **overrides})


@pytest.fixture
def no_measuring(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """run_benchmark replaced by one that records the games it was asked for and measures nothing."""
    planned: list[list[str]] = []

    def fake(plan: list, repeats: int, seconds: float, progress: object = None) -> list[Row]:
        planned.append([row.name for row, _ in plan])
        return [Row(row.kind, row.name, row.num_envs, [1000.0]) for row, _ in plan]

    monkeypatch.setattr(bench, "run_benchmark", fake)
    return planned


@pytest.mark.parametrize("seconds", ["nan", "inf", "0", "-1", "0.001"])
def test_rejects_seconds_that_are_not_a_positive_length(
    seconds: str, no_measuring: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", "--games", "Catch", "--no-ale", "--seconds", seconds]) == 2
    assert "--seconds must be a finite number >= 0.01" in capsys.readouterr().err
    assert no_measuring == []


def test_json_folder_is_checked_before_measuring(
    tmp_path: Path, no_measuring: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.run(bench_args(json=str(tmp_path / "missing" / "x.json"))) == 2
    assert f"folder {tmp_path / 'missing'} does not exist" in capsys.readouterr().err
    assert no_measuring == []


def test_games_are_case_insensitive(no_measuring: list[list[str]], capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.run(bench_args(games=["catch", "PONG", "Catch"])) == 0
    assert set(no_measuring[0]) == {"Catch", "Pong"}
    assert bench.run(bench_args(games=["catch", "tetris"])) == 2
    assert "unknown game(s) 'tetris'; valid: Catch, Breakout" in capsys.readouterr().err


def test_a_json_file_appearing_during_the_run_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_measuring: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bench.json"
    measure = bench.run_benchmark

    def meanwhile(*args: object, **kwargs: object) -> list[Row]:
        path.write_text("someone else's results")
        return measure(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(bench, "run_benchmark", meanwhile)
    assert bench.run(bench_args(json=str(path))) == 0
    assert path.read_text() == "someone else's results"
    assert (
        f"{path} appeared during the run; wrote the results to {tmp_path / 'bench-1.json'}" in capsys.readouterr().err
    )
    assert json.loads((tmp_path / "bench-1.json").read_text())["rows"][0]["name"] == "Catch"
    assert [p.name for p in sorted(tmp_path.iterdir())] == ["bench-1.json", "bench.json"]


def test_summary_table_has_one_row_per_game_with_best_n() -> None:
    table = bench.format_summary_table(summarise(fake_rows()))
    assert "| *ALE Breakout-v5* | 3,000 | 1.0x | 5,100 (64) | 1.0x |" in table
    assert "| Catch | 45,000 | 15.0x | 155,000 (64) | 30.4x | 30,000 (64) | 5.9x |" in table
