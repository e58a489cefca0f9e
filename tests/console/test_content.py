"""The content library and editor pages, and the editor's YAML and preview routes (no browser)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy.orm import Session

from tests.conftest import Tenant, sign_in
from waypost.console.views.segments import rule_words
from waypost.demo.seed import seed_content
from waypost.guidance.content_code import export_documents
from waypost.guidance.documents import KINDS
from waypost.guidance.rules import Rule
from waypost.i18n.catalog import messages
from waypost.settings import Settings
from waypost.tenancy.roles import Role

EN = messages("en")
JA = messages("ja")


@pytest.fixture
def acme(make_tenant: Callable[[str], Tenant], db: Session) -> Tenant:
    """A workspace whose app holds the demo's segments and content, all published."""
    tenant = make_tenant("Acme")
    with db.begin():
        seed_content(db, tenant.app_id)
    return tenant


def _shown(page: Response) -> str:
    """The page's HTML without the catalogue its scripts get (which holds every message)."""
    return re.sub(r'<script type="application/json" id="wp-messages">.*?</script>', "", page.text)


def _viewer(acme: Tenant, make_member: Callable[[str, Role, str], str]) -> str:
    return make_member(acme.workspace_id, Role.VIEWER, "viewer@acme.example")


def test_library_lists_every_item_with_status_version_and_audience(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)
    page = client.get(f"/console/apps/{acme.app_id}/content")
    assert page.status_code == 200
    assert "Create your first project" in page.text
    assert 'data-key="first-project"' in page.text
    assert EN["content.status.published"] in _shown(page)
    assert EN["content.version.live"].format(number=1) in _shown(page)
    # The onboarding survey is for everyone; the first-project walkthrough has inline rules.
    assert EN["content.audience.rules"] in _shown(page)
    assert EN["content.library.new"] in _shown(page)


def test_library_filters_from_the_url_hide_the_other_rows(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    page = client.get(f"/console/apps/{acme.app_id}/content?kind=survey&q=nps")
    rows = [line for line in page.text.splitlines() if "<tr data-key=" in line]
    visible = [row for row in rows if " hidden>" not in row]
    assert [row.split('data-key="')[1].split('"')[0] for row in visible] == ["nps"]


def test_library_and_editor_in_japanese(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    library = client.get(f"/console/apps/{acme.app_id}/content?lang=ja")
    assert JA["content.title"] in _shown(library)
    assert JA["content.kind.walkthrough"] in _shown(library)
    editor = client.get(f"/console/apps/{acme.app_id}/content/item/first-project")
    assert JA["content.editor.publish"] in _shown(editor)
    assert "月" in _shown(editor)  # the schedule's days, named in Japanese


def test_a_viewer_sees_the_library_without_edit_controls(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    sign_in(client, _viewer(acme, make_member))
    library = client.get(f"/console/apps/{acme.app_id}/content")
    assert library.status_code == 200
    assert "Create your first project" in library.text
    assert "/content/new/" not in library.text
    editor = client.get(f"/console/apps/{acme.app_id}/content/item/first-project")
    assert editor.status_code == 200
    assert EN["content.editor.read_only"] in _shown(editor)
    assert 'id="publish"' not in editor.text
    assert 'data-can-edit="false"' in editor.text
    refused = client.get(f"/console/apps/{acme.app_id}/content/new/walkthrough")
    assert refused.status_code == 403
    assert EN["error.forbidden"] in _shown(refused)


def test_editor_opens_a_new_item_of_every_kind(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    for kind in KINDS:
        page = client.get(f"/console/apps/{acme.app_id}/content/new/{kind}")
        assert page.status_code == 200, kind
        document = json.loads(page.text.split('id="document">')[1].split("</script>")[0])
        assert document["kind"] == kind
    assert client.get(f"/console/apps/{acme.app_id}/content/new/poster").status_code == 404
    assert client.get(f"/console/apps/{acme.app_id}/content/item/nothing").status_code == 404


def test_yaml_view_round_trips_with_content_export(
    client: TestClient, acme: Tenant, db: Session
) -> None:
    csrf = sign_in(client, acme.owner_email)
    exported = export_documents(db, acme.app_id)["walkthrough/first-project.yaml"]
    item = client.get(f"/api/v1/content/first-project?app_id={acme.app_id}").json()
    headers = {"X-CSRF-Token": csrf}
    shown = client.post(
        f"/console/apps/{acme.app_id}/content/yaml",
        json={"document": item["draft"]},
        headers=headers,
    )
    assert shown.status_code == 200
    assert shown.json() == {"yaml": exported, "problems": []}
    read = client.post(
        f"/console/apps/{acme.app_id}/content/parse",
        json={"yaml": exported, "kind": "walkthrough", "key": "first-project"},
        headers=headers,
    )
    assert read.status_code == 200
    assert read.json()["document"] == item["draft"]


def test_yaml_of_an_unfinished_draft_keeps_what_is_there_and_names_the_problem(
    client: TestClient, acme: Tenant
) -> None:
    csrf = sign_in(client, acme.owner_email)
    draft = {"kind": "shoutout", "key": "hello", "name": "Hello", "body": {"ja": "こんにちは"}}
    shown = client.post(
        f"/console/apps/{acme.app_id}/content/yaml",
        json={"document": draft},
        headers={"X-CSRF-Token": csrf},
    ).json()
    assert yaml.safe_load(shown["yaml"]) == draft
    assert shown["yaml"].startswith("kind: shoutout\nkey: hello\n")
    assert [p["field"] for p in shown["problems"]] == ["title"]


def test_parse_names_the_line_and_field_of_a_problem(client: TestClient, acme: Tenant) -> None:
    csrf = sign_in(client, acme.owner_email)
    text = "kind: walkthrough\nkey: tour\nname: Tour\nsteps:\n  - kind: tooltip\n    title: Hi\n"
    answer = client.post(
        f"/console/apps/{acme.app_id}/content/parse",
        json={"yaml": text, "kind": "walkthrough"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "steps[0]"
    assert error["problems"][0]["line"] == 5
    assert "needs target" in error["message"]
    other_key = client.post(
        f"/console/apps/{acme.app_id}/content/parse",
        json={
            "yaml": text.replace("key: tour", "key: other").replace("tooltip", "popup"),
            "key": "tour",
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert other_key.json()["error"]["field"] == "key"


def test_editor_routes_refuse_a_call_without_the_csrf_header(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)
    answer = client.post(
        f"/console/apps/{acme.app_id}/content/yaml", json={"document": {"kind": "task"}}
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "csrf"


def test_preview_link_carries_a_signed_token_for_the_staging_release(
    client: TestClient, acme: Tenant, settings: Settings
) -> None:
    csrf = sign_in(client, acme.owner_email)
    headers = {"X-CSRF-Token": csrf}
    route = f"/console/apps/{acme.app_id}/content/item/welcome/preview"
    site = {"site": "https://app.example.com/projects?tab=all"}
    unreleased = client.post(route, json=site, headers=headers)
    assert unreleased.status_code == 422
    released = client.post(
        f"/api/v1/content/welcome/publish?app_id={acme.app_id}",
        json={"environment": "staging"},
        headers=headers,
    )
    assert released.status_code == 200
    link = client.post(route, json=site, headers=headers).json()
    url = urlsplit(link["url"])
    assert (url.netloc, url.path) == ("app.example.com", "/projects")
    query = parse_qs(url.query)
    assert query["tab"] == ["all"]
    body, mac = query["waypost_preview"][0].split(".")
    key = hashlib.sha256(f"waypost preview\x1f{settings.signing_secret()}".encode()).digest()
    expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == mac
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert (payload["a"], payload["k"], payload["v"]) == (acme.app_id, "welcome", 1)
    bad_site = client.post(route, json={"site": "javascript:alert(1)"}, headers=headers)
    assert bad_site.json()["error"]["field"] == "site"


def test_a_viewer_cannot_make_a_preview_link(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    csrf = sign_in(client, _viewer(acme, make_member))
    answer = client.post(
        f"/console/apps/{acme.app_id}/content/item/welcome/preview",
        json={"site": "https://app.example.com/"},
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 403


# --- segments ---


def test_segments_list_says_each_rule_in_words_and_what_uses_it(
    client: TestClient, acme: Tenant
) -> None:
    sign_in(client, acme.owner_email)
    page = client.get(f"/console/apps/{acme.app_id}/segments")
    assert page.status_code == 200
    rows = {
        line.split('data-key="')[1].split('"')[0]: line
        for line in page.text.split("<tr ")
        if line.startswith("data-key=")
    }
    assert "role = admin" in rows["admins"]
    assert "Help menu" in rows["admins"]  # a section of the help menu is for admins
    assert "account employees ≥ 20 and account employees &lt; 200" in rows["mid-companies"]
    assert "plan is one of pro, business" in rows["paid"]
    assert EN["segments.list.unused"] in rows["paid"]
    assert EN["segments.list.new"] in _shown(page)


def test_rules_in_words_cover_events_segments_and_negation_in_both_languages() -> None:
    rule = Rule.model_validate(
        {
            "any": [
                {"did": {"event": "Report Built", "at_least": 2, "within_days": 30}},
                {"not": {"segment": "admins"}},
                {"trait": {"plan": {"exists": False}}},
            ]
        }
    )
    names = {"admins": "Admins"}
    assert rule_words(rule, names, "en") == (
        "did “Report Built” at least 2\u00d7 in the last 30 days or not in “Admins” "
        "or plan is not set"
    )
    assert rule_words(rule, names, "ja") == (
        "直近 30 日間に「Report Built」を 2 回以上 または 「Admins」に含まれる ではない "
        "または plan が未設定"
    )


def test_segment_editor_yaml_round_trips_with_content_export(
    client: TestClient, acme: Tenant, db: Session
) -> None:
    csrf = sign_in(client, acme.owner_email)
    page = client.get(f"/console/apps/{acme.app_id}/segments/item/mid-companies")
    assert page.status_code == 200
    document = json.loads(page.text.split('id="document">')[1].split("</script>")[0])
    exported = export_documents(db, acme.app_id)["segments/mid-companies.yaml"]
    headers = {"X-CSRF-Token": csrf}
    shown = client.post(
        f"/console/apps/{acme.app_id}/segments/yaml", json={"document": document}, headers=headers
    ).json()
    assert shown == {"yaml": exported, "problems": []}
    read = client.post(
        f"/console/apps/{acme.app_id}/segments/parse",
        json={"yaml": exported, "key": "mid-companies"},
        headers=headers,
    )
    assert read.json()["document"] == document
    content = client.post(
        f"/console/apps/{acme.app_id}/segments/parse",
        json={"yaml": "kind: task\nkey: x\nname: X\ntitle: X\ncomplete_when: {event: E}\n"},
        headers=headers,
    )
    assert content.status_code == 422
    assert content.json()["error"]["field"] == "kind"


def test_a_viewer_sees_segments_without_edit_controls_or_people(
    client: TestClient, acme: Tenant, make_member: Callable[[str, Role, str], str]
) -> None:
    sign_in(client, _viewer(acme, make_member))
    listing = client.get(f"/console/apps/{acme.app_id}/segments")
    assert listing.status_code == 200
    assert EN["segments.list.new"] not in _shown(listing)
    assert 'data-count="false"' in listing.text
    editor = client.get(f"/console/apps/{acme.app_id}/segments/item/trials")
    assert EN["segments.editor.read_only"] in _shown(editor)
    assert EN["segments.live.no_access"] in _shown(editor)
    assert 'id="save"' not in editor.text
    assert client.get(f"/console/apps/{acme.app_id}/segments/new").status_code == 403
    assert client.get(f"/console/apps/{acme.app_id}/segments/item/nobody").status_code == 404


def test_pages_answer_quickly_on_the_demo_content(client: TestClient, acme: Tenant) -> None:
    sign_in(client, acme.owner_email)
    for path in ("content", "content/item/first-project", "segments", "segments/item/paid"):
        client.get(f"/console/apps/{acme.app_id}/{path}")  # warm the templates
        started = time.perf_counter()
        page = client.get(f"/console/apps/{acme.app_id}/{path}")
        elapsed = time.perf_counter() - started
        assert page.status_code == 200
        assert elapsed < 0.2, f"{path} took {elapsed:.3f}s"
