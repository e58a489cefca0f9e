"""Regenerate the screenshots the README and docs/ show: run the browser tests that take them
(in Debian's Chromium), then copy the key ones into docs/images/.

    make screenshots        # or: .venv/bin/python scripts/screenshots.py

The tests save every screenshot as a test artifact in /tmp/waypost-screenshots; only the names
below are kept in the repository. A missing one is an error: a test stopped taking it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TAKEN = Path("/tmp/waypost-screenshots")
IMAGES = ROOT / "docs" / "images"
# The tests that take them, and the screenshots the docs show: the name a test saves it under,
# and the name of its file in docs/images.
TESTS = [
    "tests/browser/test_demo.py",
    "tests/browser/test_snippet_kinds.py",
    "tests/browser/test_snippet_steps.py",
    "tests/browser/test_snippet_guidance.py",
    "tests/browser/test_console_home.py",
    "tests/browser/test_console_insights.py",
    "tests/browser/test_console_content.py",
    "tests/browser/test_console_surveys.py",
]
SNIPPET = [
    "walkthrough-tooltip", "walkthrough-popup", "shoutout-modal-ja", "shoutout-banner",
    "smart-tip", "launcher", "survey-nps", "help-menu-ja",
]  # fmt: skip
CONSOLE = [
    "home", "home-empty", "settings", "person", "insights-funnel", "insights-dropped",
    "insights-retention", "insights-paths", "dashboard", "content-library", "content-editor",
    "segments", "surveys", "impact", "events",
]  # fmt: skip
KEPT = {
    "demo-welcome": "demo-welcome",
    "demo-walkthrough": "demo-walkthrough",
    **{name: f"snippet-{name}" for name in SNIPPET},
    **{name: f"console-{name}" for name in CONSOLE},
}


def main() -> int:
    """Run the tests, then copy the kept screenshots; 1 when a test failed or one is missing."""
    shutil.rmtree(TAKEN, ignore_errors=True)
    tests = [test for test in TESTS if (ROOT / test).exists()]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "browser", *tests],
        cwd=ROOT,
        check=False,
    )
    missing = []
    for taken, kept in KEPT.items():
        source = TAKEN / f"{taken}.png"
        if source.exists():
            shutil.copyfile(source, IMAGES / f"{kept}.png")
        else:
            missing.append(taken)
    if missing:
        print(f"not taken by the tests: {', '.join(missing)}", file=sys.stderr)
    print(f"copied {len(KEPT) - len(missing)} screenshots into {IMAGES.relative_to(ROOT)}")
    return 1 if run.returncode or missing else 0


if __name__ == "__main__":
    sys.exit(main())
