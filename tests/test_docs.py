"""The documentation stays true: generated pages match the code, every error code is catalogued,
and statements of status agree with the performance page."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
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
