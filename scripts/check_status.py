"""Fail when a statement of status in the docs has gone stale: `make lint` runs it.

Three checks, over README.md and every page under docs/ (the lab notebook excepted for figures):

1. **Quoted figures.** README.md and the docs quote performance figures inside
   ``<!-- figure: KEY -->…<!-- /figure -->``. The table in docs/performance.md marks the row each
   KEY stands for with the same ``<!-- figure: KEY -->``. Every number inside a quoted span must
   appear in that row, so a figure the performance page no longer gives fails the check.
2. **Unmarked figures.** A performance figure (a number with events/s, ms, µs, s, MB, GB or the
   times sign) in README.md outside such a span fails too, since nothing would notice it go
   stale. In a page's status box (a quote starting ``> **Status.**``) an unmarked figure must
   at least be a number that some marked row of the performance table gives.
3. **Links and anchors.** Every relative link points at a file that exists, and at a heading
   that exists when it names one; every commit the performance table names exists.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FIGURE_SPAN = re.compile(r"<!-- figure: ([\w-]+) -->(.*?)<!-- /figure -->", re.DOTALL)
ROW_KEY = re.compile(r"<!-- figure: ([\w-]+) -->")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
PERFORMANCE_FIGURE = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s*(?:events/s|ms|µs|s|\u00d7|MB|GB)(?![\w/])"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_MARKER = re.compile(r"`[^`\n]*<!--[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
COMMIT = re.compile(r"`([0-9a-f]{7,40})`")


@dataclass(frozen=True)
class Row:
    """One marked row of the performance table: its numbers and the commits it names."""

    numbers: frozenset[str]
    commits: tuple[str, ...]


def _numbers(text: str) -> set[str]:
    """Every number in the text without thousands separators ("1,200-1,500" gives 1200, 1500)."""
    return {match.replace(",", "") for match in NUMBER.findall(text)}


def _without_code_blocks(text: str) -> str:
    """The text without fenced code blocks, nor inline code that shows a marker's syntax."""
    return INLINE_MARKER.sub("", FENCE.sub("", text))


def performance_rows(page: str) -> tuple[dict[str, Row], list[str]]:
    """The marked rows of docs/performance.md by key, and problems with the marks themselves."""
    rows: dict[str, Row] = {}
    problems = []
    for line in page.splitlines():
        if not line.startswith("|"):
            continue
        keys = ROW_KEY.findall(line)
        if not keys:
            continue
        if keys[0] in rows:
            problems.append(f"docs/performance.md: the figure key {keys[0]!r} marks two rows")
        plain = ROW_KEY.sub("", line)
        rows[keys[0]] = Row(frozenset(_numbers(plain)), tuple(COMMIT.findall(plain)))
    return rows, problems


def _status_boxes(text: str) -> list[str]:
    """The status boxes of a page: quotes whose first line starts with **Status.**"""
    boxes, current = [], None
    for line in text.splitlines():
        if current is None and line.startswith("> **Status.**"):
            current = [line]
        elif current is not None and line.startswith(">"):
            current.append(line)
        elif current is not None:
            boxes.append("\n".join(current))
            current = None
    if current is not None:
        boxes.append("\n".join(current))
    return boxes


def check_figures(name: str, text: str, rows: dict[str, Row]) -> list[str]:
    """Problems with the figures one page quotes (named `name` in the messages)."""
    problems = []
    text = _without_code_blocks(text)
    for key, quoted in FIGURE_SPAN.findall(text):
        row = rows.get(key)
        if row is None:
            problems.append(f"{name}: no row of docs/performance.md is marked figure: {key}")
            continue
        stale = sorted(_numbers(quoted) - row.numbers, key=float)
        if stale:
            problems.append(
                f"{name}: quotes {', '.join(stale)} as {key!r}, which docs/performance.md does "
                f"not give (it gives {', '.join(sorted(row.numbers, key=float))})"
            )
    unmarked = FIGURE_SPAN.sub("", text)
    if name == "README.md":
        loose = PERFORMANCE_FIGURE.findall(unmarked)
    else:
        given = set().union(*(row.numbers for row in rows.values()))
        loose = [
            figure
            for box in _status_boxes(unmarked)
            for figure in PERFORMANCE_FIGURE.findall(box)
            if not _numbers(figure) <= given
        ]
    for figure in loose:
        problems.append(
            f"{name}: the figure {figure!r} is not marked as quoted from docs/performance.md "
            "(wrap it in <!-- figure: KEY -->…<!-- /figure -->)"
        )
    return problems


def slug(heading: str) -> str:
    """The anchor a heading gets: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"<!--.*?-->", "", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading anchor of a page, repeated headings numbered as renderers do."""
    seen: dict[str, int] = {}
    found = set()
    for heading in HEADING.findall(_without_code_blocks(text)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def check_links(path: Path, root: Path) -> list[str]:
    """Problems with the relative links of one page."""
    problems = []
    name = path.relative_to(root).as_posix()
    for target in LINK.findall(_without_code_blocks(path.read_text())):
        if re.match(r"^[a-z]+:", target):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{name}: the link {target} points at a missing file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text()):
            problems.append(f"{name}: the link {target} names a heading that does not exist")
    return problems


def check_commits(rows: dict[str, Row], root: Path) -> list[str]:
    """Problems with the commits the performance table names (skipped outside a git checkout)."""
    if not (root / ".git").exists():
        return []
    problems = []
    for key, row in rows.items():
        for commit in row.commits:
            found = subprocess.run(
                ["git", "rev-parse", "--verify", "--quiet", f"{commit}^{{commit}}"],
                cwd=root,
                capture_output=True,
            )
            if found.returncode != 0:
                problems.append(f"docs/performance.md: {key!r} names {commit}, no commit here")
    return problems


def check(root: Path) -> list[str]:
    """Every problem found in the repository at `root`."""
    docs = root / "docs"
    rows, problems = performance_rows((docs / "performance.md").read_text())
    pages = [root / "README.md", *sorted(docs.rglob("*.md"))]
    for page in pages:
        name = page.relative_to(root).as_posix()
        if page.parent.name != "lab" and name != "docs/performance.md":
            problems += check_figures(name, page.read_text(), rows)
        problems += check_links(page, root)
    problems += check_commits(rows, root)
    return problems


def main() -> int:
    """Print each problem; exit 1 when there is any."""
    problems = check(Path(__file__).resolve().parents[1])
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
