"""The documentation stays true: generated pages match the code, every error code is catalogued,
and statements of status agree with the performance page."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_cli_reference_is_generated_from_the_typer_app() -> None:
    page = (ROOT / "docs" / "cli.md").read_text()
    assert page == _script("cli_reference").render(), "run `make docs` to regenerate docs/cli.md"


def test_cli_reference_names_every_command_and_the_default_key_kind() -> None:
    page = _script("cli_reference").render()
    for command in ("serve", "apps create", "keys rotate", "persons show", "events compact"):
        assert f"## `waypost {command}`" in page
    rotate = page.split("## `waypost keys rotate`")[1].split("## ")[0]
    assert "[default: secret]" in rotate


# Where a code is given in src/: a `code=`/`code =` keyword or attribute, a `"code":` key, the
# third argument of an import Rejection, an HTTP status's code in the web layer's table, the
# fallback for statuses without one, and the code given to error_response or error_body.
_CODE_PATTERNS = [
    re.compile(r'\bcode\s*=\s*"([a-z_]+)"'),
    re.compile(r'"code":\s*"([a-z_]+)"'),
    re.compile(r'\bRejection\([^,()]+,[^,()]+,\s*"([a-z_]+)"'),
    re.compile(r'^\s+\d{3}: "([a-z_]+)",$', re.MULTILINE),
    re.compile(r'_HTTP_CODES\.get\([^,]+,\s*"([a-z_]+)"\)'),
    re.compile(r'\berror_response\(\s*\d{3},\s*"([a-z_]+)"'),
    re.compile(r'\berror_body\(\s*"([a-z_]+)"'),
]


def _codes_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "src" / "waypost").rglob("*.py"):
        text = path.read_text()
        for pattern in _CODE_PATTERNS:
            found.update(pattern.findall(text))
    return found


def _codes_in_catalogue() -> set[str]:
    page = (ROOT / "docs" / "errors.md").read_text()
    return set(re.findall(r"^\| `([a-z_]+)` \|", page, re.MULTILINE))


def test_the_code_scan_finds_codes_of_every_kind() -> None:
    # The scan itself must keep working: one code from each way of giving one.
    assert {"invalid", "overloaded", "missing_time", "method_not_allowed", "error", "internal"} <= (
        _codes_in_source()
    )


def test_every_error_code_in_the_source_is_in_the_catalogue() -> None:
    missing = _codes_in_source() - _codes_in_catalogue()
    assert not missing, f"document these error codes in docs/errors.md: {sorted(missing)}"


def test_the_catalogue_lists_no_code_the_source_no_longer_gives() -> None:
    stale = _codes_in_catalogue() - _codes_in_source()
    assert not stale, f"docs/errors.md lists codes nothing gives any more: {sorted(stale)}"


def test_status_statements_and_links_in_the_docs_hold() -> None:
    problems = _script("check_status").check(ROOT)
    assert not problems, "\n".join(problems)


PERFORMANCE = """\
# Performance

| what | target | latest | anchor |
| --- | --- | --- | --- |
| Ingest <!-- figure: ingest --> | 50,000 events/s | 25,300\u201327,100 events/s, p99 30 ms | now |

## Running it
"""


def _repository(tmp_path: Path, readme: str, page: str = "# Page\n") -> Path:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "performance.md").write_text(PERFORMANCE)
    (tmp_path / "docs" / "page.md").write_text(page)
    (tmp_path / "README.md").write_text(readme)
    return tmp_path


def test_a_readme_figure_the_performance_page_gives_passes(tmp_path: Path) -> None:
    readme = (
        "Ingest: <!-- figure: ingest -->25,300\u201327,100 events/s (target 50,000)<!-- /figure -->"
    )
    assert _script("check_status").check(_repository(tmp_path, readme)) == []


def test_a_readme_figure_the_performance_page_no_longer_gives_fails(tmp_path: Path) -> None:
    readme = "Ingest: <!-- figure: ingest -->13,700\u201319,900 events/s<!-- /figure -->"
    [problem] = _script("check_status").check(_repository(tmp_path, readme))
    assert "quotes 13700, 19900 as 'ingest'" in problem


def test_an_unmarked_figure_in_the_readme_fails(tmp_path: Path) -> None:
    [problem] = _script("check_status").check(_repository(tmp_path, "Ingest: 25,300 events/s."))
    assert "'25,300 events/s' is not marked" in problem


def test_a_status_box_may_not_give_a_figure_the_performance_page_lacks(tmp_path: Path) -> None:
    # Outside the README only status boxes count: the line after the box is the page's business.
    page = "# Page\n\n> **Status.** Built. Ingest runs at\n> 9,000 events/s.\n\nLater: 8,000 ms.\n"
    [problem] = _script("check_status").check(_repository(tmp_path, "Hello.", page))
    assert problem.startswith("docs/page.md: the figure '9,000 events/s'")


def test_a_link_to_a_missing_page_or_heading_fails(tmp_path: Path) -> None:
    readme = "[ok](docs/performance.md#running-it) [gone](docs/nope.md) [moved](docs/page.md#old)"
    problems = _script("check_status").check(_repository(tmp_path, readme))
    assert problems == [
        "README.md: the link docs/nope.md points at a missing file",
        "README.md: the link docs/page.md#old names a heading that does not exist",
    ]
