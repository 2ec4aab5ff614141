"""examples/qt_fetch.py runs headless (offscreen, scripted clicks) and does what it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("PySide6.QtWidgets")
pytest.importorskip("trio")

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "qt_fetch.py"
SCREENSHOTS = ROOT / "build" / "screenshots"


@pytest.mark.skipif(not EXAMPLE.is_file(), reason="examples/ is not part of the sdist")
def test_the_fetch_example_downloads_once_cancels_once_and_closes() -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "qt-fetch.png"
    shot.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE), "--screenshot", str(shot)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Done: 65536 bytes"
    assert lines[1].startswith("Cancelled at ")
    assert int(lines[1].removeprefix("Cancelled at ").rstrip("%")) >= 30
    assert lines[2:] == ["Window closed"]
    assert "Traceback" not in done.stderr
    assert shot.stat().st_size > 0


def test_the_fetch_example_says_so_in_its_first_lines_how_it_runs_headless() -> None:
    if not EXAMPLE.is_file():
        pytest.skip("examples/ is not part of the sdist")
    head = EXAMPLE.read_text(encoding="utf-8").splitlines()[:20]
    assert not any(line.strip().lower().startswith("# demo: skip") for line in head[:10])
    assert any("offscreen" in line for line in head)
