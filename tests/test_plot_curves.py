"""tools/plot_curves.py draws a run's logged returns, and never replaces a PNG unasked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("tensorboard")
torch = pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[1]


def fake_run(run_dir: Path, returns: list[float], displayed: list[float], tamper: list[float]) -> Path:
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(run_dir))
    for step, (true, shown, touches) in enumerate(zip(returns, displayed, tamper)):
        writer.add_scalar("charts/episodic_return", true, 100 * step)
        writer.add_scalar("charts/episodic_displayed_return", shown, 100 * step)
        writer.add_scalar("charts/tamper_count", touches, 100 * step)
    writer.close()
    return run_dir


def plot(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, str(ROOT / "tools" / "plot_curves.py"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_plots_a_png_and_keeps_an_existing_one_unless_forced(tmp_path: Path) -> None:
    honest = fake_run(tmp_path / "honest", [1, 2, 3, 4], [1, 2, 3, 4], [0, 0, 0, 0])
    tamperer = fake_run(tmp_path / "tamperer", [0, 0, -1, 0], [5, 9, 12, 20], [1, 3, 4, 6])
    out = tmp_path / "curves" / "both.png"
    done = plot(str(honest), str(tamperer), "--labels", "true", "displayed", "--reference", "4", "--out", str(out))
    assert done.returncode == 0, done.stderr
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

    again = plot(str(honest), "--out", str(out))
    assert again.returncode == 2 and "exists" in again.stderr and "--force" in again.stderr
    assert out.read_bytes() == png
    forced = plot(str(honest), "--out", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert out.read_bytes() != png


@pytest.mark.parametrize(
    ("returns", "extra", "message"),
    [
        ([1, 2], ["--labels", "a", "b"], "one label per run: 1 runs, 2 labels"),
        ([], [], "no charts/episodic_return"),  # a run directory without the return scalars
    ],
)
def test_bad_input_names_the_problem(tmp_path: Path, returns: list[float], extra: list[str], message: str) -> None:
    run = fake_run(tmp_path / "run", returns, returns, [0] * len(returns))
    done = plot(str(run), "--out", str(tmp_path / "out.png"), *extra)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "out.png").exists()


def test_a_missing_run_directory_is_named(tmp_path: Path) -> None:
    done = plot(str(tmp_path / "no-such-run"), "--out", str(tmp_path / "out.png"))
    assert done.returncode == 2 and "no-such-run is not a run directory" in done.stderr
