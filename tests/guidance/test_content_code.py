"""Content as code: every example of docs/guidance.md imports; export → import → export gives
the same bytes (command line and API); a bad file refuses the whole set, naming file, line and
field; versions, diff and revert work over the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.cli import app as cli
from waypost.guidance.documents import KINDS
from waypost.settings import Settings

GUIDE = Path(__file__).parents[2] / "docs" / "guidance.md"


def doc_examples() -> list[str]:
    """Every YAML block of docs/guidance.md that is a whole document (has a kind)."""
    blocks = re.findall(r"```yaml\n(.*?)```", GUIDE.read_text(), flags=re.DOTALL)
    return [block for block in blocks if block.startswith("kind:")]


def _files(tmp_path: Path) -> Path:
    folder = tmp_path / "content-in"
    folder.mkdir()
    for n, block in enumerate(doc_examples()):
        (folder / f"{n:02d}.yaml").write_text(block, encoding="utf-8")
    return folder


def _run(settings: Settings, *args: str) -> str:
    result = CliRunner().invoke(
        cli,
        [*args, "--data-dir", str(settings.data_dir)],
        env={
            "WAYPOST_DATABASE_URL": settings.metadata_url,
        },
    )
    assert result.exit_code == 0, result.output
    return result.output


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.*"))}


def test_the_guide_shows_every_kind() -> None:
    shown = {re.match(r"kind: (\w+)", block).group(1) for block in doc_examples()}  # type: ignore[union-attr]
    assert shown == {*KINDS, "segment"}


def test_export_import_export_is_byte_identical_on_the_command_line(
    settings: Settings, make_tenant: Callable[[str], Tenant], tmp_path: Path
) -> None:
    first, second = make_tenant("Acme"), make_tenant("Beta")
    imported = _run(
        settings, "content", "import", str(_files(tmp_path)), "--app", first.app_id, "--publish"
    )
    assert f"read {len(doc_examples())} documents" in imported
    assert "published first-project v1 to production" in imported

    _run(settings, "content", "export", str(tmp_path / "a"), "--app", first.app_id)
    _run(settings, "content", "import", str(tmp_path / "a"), "--app", second.app_id)
    _run(settings, "content", "export", str(tmp_path / "b"), "--app", second.app_id)

    a, b = _tree(tmp_path / "a"), _tree(tmp_path / "b")
    assert a == b
    assert "walkthrough/first-project.yaml" in a and "segments/admins.yaml" in a
    assert "ここから始めましょう" in a["walkthrough/first-project.yaml"].decode()


def test_json_export_round_trips_too(
    settings: Settings, make_tenant: Callable[[str], Tenant], tmp_path: Path
) -> None:
    tenant = make_tenant("Acme")
    _run(settings, "content", "import", str(_files(tmp_path)), "--app", tenant.app_id)
    _run(settings, "content", "export", str(tmp_path / "a"), "--app", tenant.app_id, "--json")
    _run(settings, "content", "import", str(tmp_path / "a"), "--app", tenant.app_id)
    _run(settings, "content", "export", str(tmp_path / "b"), "--app", tenant.app_id, "--json")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    assert "survey/onboarding-nps.json" in _tree(tmp_path / "a")


def test_a_bad_file_refuses_the_whole_import_naming_file_line_and_field(
    settings: Settings, make_tenant: Callable[[str], Tenant], tmp_path: Path
) -> None:
    tenant = make_tenant("Acme")
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "a-good.yaml").write_text(
        "kind: shoutout\nkey: hello\nname: Hello\ntitle: Hi\n", encoding="utf-8"
    )
    (folder / "b-bad.yaml").write_text(
        "kind: walkthrough\nkey: tour\nname: Tour\nsteps:\n"
        "  - kind: popup\n    title: One\n"
        "  - kind: tooltip\n    title: Two\n    target: {tag: button}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        cli,
        [
            "content",
            "import",
            str(folder),
            "--app",
            tenant.app_id,
            "--data-dir",
            str(settings.data_dir),
        ],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 2
    assert "b-bad.yaml, line 9, steps[1].target:" in result.output
    assert "a target needs at least a selector" in result.output

    _run(settings, "content", "export", str(tmp_path / "out"), "--app", tenant.app_id)
    assert _tree(tmp_path / "out") == {}, "nothing of the refused set was saved"


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("kind: shoutout\nkey: x\nname: X\ntitle: [unclosed\n", "line 5: not valid YAML"),
        ("kind: shoutout\nkey: Bad Key\nname: X\ntitle: Hi\n", "line 2, key:"),
        (
            "kind: shoutout\nkey: x\nname: X\ntitle: Hi\nfrequncy: {show: once}\n",
            "line 5, frequncy:",
        ),
        ("kind: nothing\nkey: x\n", "line 1"),
        (
            "kind: segment\nkey: s\nname: S\nrules: {trait: {plan: {regex: '(unclosed'}}}\n",
            "line 4, rules.trait.plan:",
        ),
    ],
)
def test_problems_are_located(
    settings: Settings,
    make_tenant: Callable[[str], Tenant],
    tmp_path: Path,
    text: str,
    where: str,
) -> None:
    tenant = make_tenant("Acme")
    file = tmp_path / "one.yaml"
    file.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "content",
            "import",
            str(file),
            "--app",
            tenant.app_id,
            "--data-dir",
            str(settings.data_dir),
        ],
        env={"WAYPOST_DATABASE_URL": settings.metadata_url},
    )
    assert result.exit_code == 2
    assert f"one.yaml, {where}" in result.output


def test_the_api_round_trips_files_and_publishes_versions(
    settings: Settings, make_tenant: Callable[[str], Tenant], tmp_path: Path
) -> None:
    tenant = make_tenant("Acme")
    files = {f"{n:02d}.yaml": block for n, block in enumerate(doc_examples())}
    with TestClient(create_app(settings)) as client:
        headers = tenant.bearer()
        imported = client.post(
            "/api/v1/content-files", json={"files": files, "publish": True}, headers=headers
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["published"]["first-project"] == 1
        exported = client.get("/api/v1/content-files", headers=headers).json()["files"]
        again = client.post("/api/v1/content-files", json={"files": exported}, headers=headers)
        assert sorted(again.json()["unchanged"]) == sorted(imported.json()["created"])
        assert client.get("/api/v1/content-files", headers=headers).json()["files"] == exported

        changed = exported["shoutout/welcome.yaml"].replace("Later", "Not now")
        client.post(
            "/api/v1/content-files",
            json={"files": {"welcome.yaml": changed}, "publish": True},
            headers=headers,
        )
        versions = client.get("/api/v1/content/welcome/versions", headers=headers).json()
        assert [v["number"] for v in versions] == [2, 1]
        diff = client.get("/api/v1/content/welcome/diff?from=1&to=2", headers=headers).json()
        assert "-  - label: {en: Later" in diff["diff"] or "-    en: Later" in diff["diff"]
        assert "Not now" in diff["diff"]
        client.post("/api/v1/content/welcome/revert", json={"version": 1}, headers=headers)
        third = client.post("/api/v1/content/welcome/publish", json={}, headers=headers).json()
        assert third["number"] == 3
        restored = client.get("/api/v1/content/welcome/versions/3", headers=headers).json()
        assert "Later" in str(restored["document"])


def test_a_version_number_past_any_version_is_refused_naming_the_field(
    client: TestClient, make_tenant: Callable[[str], Tenant]
) -> None:
    tenant = make_tenant("Acme")
    huge = 2**70  # more than the metadata database's integers hold
    reverted = client.post(
        "/api/v1/content/welcome/revert", json={"version": huge}, headers=tenant.bearer()
    )
    assert reverted.status_code == 422, reverted.text
    assert reverted.json()["error"]["field"] == "version"
    shown = client.get(f"/api/v1/content/welcome/versions/{huge}", headers=tenant.bearer())
    assert shown.status_code == 422, shown.text
    assert shown.json()["error"]["field"] == "number"
