"""Preview links over decide: a builder's token shows one item's preview release (its version in
staging) to the request that carries it, whatever its audience, schedule, frequency, holdout or
the attention budget would say, and only where its page trigger holds; everyone else, and the
same person without the token, keeps seeing production. A token altered, expired, made for
another app or for a version staging no longer releases is refused, as is staging without one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Tenant
from waypost.app import create_app
from waypost.errors import Unauthorized
from waypost.guidance import preview_links
from waypost.settings import Settings

WELCOME = {"kind": "shoutout", "key": "welcome", "name": "Welcome", "title": {"en": "Hi"}}
LATER = datetime.now(UTC) + timedelta(minutes=30)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def _release(client: TestClient, tenant: Tenant, document: dict[str, Any], environment: str) -> int:
    """Save the document as the draft and release it in the environment; its version."""
    saved = client.put(f"/api/v1/content/{document['key']}", json=document, headers=tenant.bearer())
    if saved.status_code == 404:
        saved = client.post("/api/v1/content", json=document, headers=tenant.bearer())
    assert saved.status_code in (200, 201), saved.text
    published = client.post(
        f"/api/v1/content/{document['key']}/publish",
        json={"environment": environment},
        headers=tenant.bearer(),
    )
    assert published.status_code == 200, published.text
    return int(published.json()["number"])


def _token(settings: Settings, tenant: Tenant, key: str, version: int, **more: Any) -> str:
    expires = more.pop("expires", LATER)
    return preview_links.issue(
        settings.signing_secret(), tenant.app_id, key, version, "member-1", expires
    )


def _decide(client: TestClient, tenant: Tenant, **body: Any) -> Any:
    answer = client.post(
        "/sdk/v1/decide",
        json={
            "userId": "u1",
            "url": "https://app.example/home",
            **body,
            "writeKey": tenant.app.write_key,
        },
    )
    return answer


def _send(client: TestClient, tenant: Tenant, *messages: dict[str, Any]) -> None:
    """Messages from user u1's browser, stored before the next decide."""
    batch = [{"userId": "u1", **message} for message in messages]
    sent = client.post("/v1/batch", json={"writeKey": tenant.app.write_key, "batch": batch})
    assert sent.status_code == 200, sent.text


def _entries(answer: Any) -> list[tuple[str, int, bool]]:
    assert answer.status_code == 200, answer.text
    return [(i["key"], i["version"], i.get("preview", False)) for i in answer.json()["items"]]


def test_a_token_round_trips_and_names_what_it_allows(settings: Settings) -> None:
    secret = settings.signing_secret()
    token = preview_links.issue(secret, "app_1", "welcome", 3, "member-1", LATER)
    grant = preview_links.verify(secret, token, "app_1")
    assert (grant.app_id, grant.key, grant.version, grant.member_id) == (
        "app_1",
        "welcome",
        3,
        "member-1",
    )
    assert grant.expires == LATER.replace(microsecond=0)


@pytest.mark.parametrize(
    "token",
    ["", "x", "abc.def", "é.é", "..", "e30.", "e30.e30"],
)
def test_a_token_that_is_not_one_of_ours_is_refused(settings: Settings, token: str) -> None:
    with pytest.raises(Unauthorized) as refused:
        preview_links.verify(settings.signing_secret(), token, "app_1")
    assert (refused.value.code, refused.value.field) == ("preview_invalid", "preview")


def test_the_draft_shows_to_the_request_with_the_token_and_production_to_everyone_else(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    assert _release(client, acme, WELCOME, "production") == 1
    changed = {**WELCOME, "title": {"en": "Hi, in the new words"}}
    assert _release(client, acme, changed, "staging") == 2
    token = _token(settings, acme, "welcome", 2)

    previewed = _decide(client, acme, preview=token)
    assert _entries(previewed) == [("welcome", 2, True)]
    assert previewed.json()["items"][0]["definition"]["title"] == "Hi, in the new words"
    # The same person without the token, another person, another app: production, unmarked.
    assert _entries(_decide(client, acme)) == [("welcome", 1, False)]
    assert _entries(_decide(client, acme, userId="u2")) == [("welcome", 1, False)]
    assert "preview" not in _decide(client, acme).json()["items"][0]
    beta = make_tenant("Beta")
    other_app = _decide(client, beta, preview=token)
    assert (other_app.status_code, other_app.json()["error"]["code"]) == (401, "preview_invalid")
    assert "another app" in other_app.json()["error"]["message"]


def test_a_draft_never_in_production_shows_only_in_its_preview_first_of_all(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    _release(client, acme, {**WELCOME, "priority": 90}, "production")
    draft = {"kind": "shoutout", "key": "new-plans", "name": "Plans", "title": {"en": "New"}}
    version = _release(client, acme, draft, "staging")
    token = _token(settings, acme, "new-plans", version)
    assert _entries(_decide(client, acme, preview=token)) == [
        ("new-plans", 1, True),
        ("welcome", 1, False),
    ]
    assert _entries(_decide(client, acme)) == [("welcome", 1, False)]


def test_audience_schedule_frequency_holdout_and_budget_do_not_hide_a_preview(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    guarded = {
        "kind": "shoutout",
        "key": "enterprise-news",
        "name": "Enterprise news",
        "title": {"en": "For enterprise"},
        "audience": {"rules": {"trait": {"plan": {"eq": "enterprise"}}}},
        "schedule": {"end": "2020-01-01T00:00:00Z"},
        "frequency": {"show": "once"},
        "holdout": 50,
    }
    version = _release(client, acme, guarded, "production")
    _release(client, acme, guarded, "staging")  # the same draft: the same version
    budget = client.get("/api/v1/guidance/settings", headers=acme.bearer()).json()
    budget.pop("identity_secret", None)
    budget["budget"] = {**budget["budget"], "max_new": 0}
    spent = client.put("/api/v1/guidance/settings", json=budget, headers=acme.bearer())
    assert spent.status_code == 200, spent.text
    seen = {"$content_id": "enterprise-news", "$content_version": version}
    _send(
        client,
        acme,
        {"type": "identify", "traits": {"plan": "trial"}},
        {"type": "track", "event": "$guide_shown", "properties": seen},
        {"type": "track", "event": "$holdout_assigned", "properties": seen},
    )
    token = _token(settings, acme, "enterprise-news", version)

    assert _entries(_decide(client, acme)) == []
    previewed = _decide(client, acme, preview=token)
    assert _entries(previewed) == [("enterprise-news", version, True)]
    assert previewed.json()["holdouts"] == [], "no holdout draw for a preview"


def test_the_page_trigger_still_applies_to_a_preview(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    billing = {**WELCOME, "trigger": {"page": {"path": {"eq": "/billing"}}}}
    token = _token(settings, acme, "welcome", _release(client, acme, billing, "staging"))
    assert _entries(_decide(client, acme, preview=token)) == []
    on_billing = _decide(client, acme, preview=token, url="https://app.example/billing")
    assert _entries(on_billing) == [("welcome", 1, True)]


def test_expired_altered_and_outdated_tokens_are_refused(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    version = _release(client, acme, WELCOME, "staging")
    expired = _token(settings, acme, "welcome", version, expires=datetime.now(UTC))
    good = _token(settings, acme, "welcome", version)
    body, mac = good.split(".")
    other = _token(settings, acme, "other", version).split(".")[0]
    for token, words in [
        (expired, "expired"),
        (f"{other}.{mac}", "not valid"),
        (f"{body}.{mac[:-2]}", "not valid"),
        (good + "x", "not valid"),
    ]:
        refused = _decide(client, acme, preview=token)
        assert refused.status_code == 401, token
        error = refused.json()["error"]
        assert (error["code"], error["field"]) == ("preview_invalid", "preview")
        assert words in error["message"]
        assert refused.headers["access-control-allow-origin"] == "*"

    # Staging moved on: the link shows the release it was made for, or nothing.
    _release(client, acme, {**WELCOME, "title": {"en": "Hello"}}, "staging")
    outdated = _decide(client, acme, preview=good)
    assert outdated.json()["error"]["code"] == "preview_invalid"
    assert "version 1" in outdated.json()["error"]["message"]
    unpublished = client.post(
        "/api/v1/content/welcome/unpublish", json={"environment": "staging"}, headers=acme.bearer()
    )
    assert unpublished.status_code in (200, 204), unpublished.text
    assert _decide(client, acme, preview=good).status_code == 401
    too_long = _decide(client, acme, preview="x" * 2001)
    assert (too_long.status_code, too_long.json()["error"]["field"]) == (422, "preview")


def test_staging_is_refused_without_a_preview_token(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    _release(client, acme, WELCOME, "production")
    version = _release(client, acme, {**WELCOME, "title": {"en": "Draft"}}, "staging")
    refused = _decide(client, acme, environment="staging")
    assert refused.status_code == 401
    assert (refused.json()["error"]["code"], refused.json()["error"]["field"]) == (
        "preview_invalid",
        "environment",
    )
    # With a token it is a preview like any other: the item previewed, the rest production.
    token = _token(settings, acme, "welcome", version)
    assert _entries(_decide(client, acme, environment="staging", preview=token)) == [
        ("welcome", version, True)
    ]
    assert _entries(_decide(client, acme, environment="production")) == [("welcome", 1, False)]


def test_a_preview_keeps_its_own_state_apart_from_the_live_items(
    client: TestClient, make_tenant: Callable[[str], Tenant], settings: Settings
) -> None:
    acme = make_tenant("Acme")
    tour = {
        "kind": "walkthrough",
        "key": "tour",
        "name": "Tour",
        "frequency": {"show": "once"},
        "steps": [
            {"kind": "popup", "title": {"en": "One"}},
            {"kind": "popup", "title": {"en": "Two"}},
        ],
    }
    version = _release(client, acme, tour, "production")
    _release(client, acme, tour, "staging")
    # The builder previews the tour, leaving it at its first step.
    seen = {"$content_id": "tour", "$content_version": version, "$preview": True}
    _send(
        client,
        acme,
        {"type": "track", "event": "$guide_shown", "properties": seen},
        {
            "type": "track",
            "event": "$guide_step_viewed",
            "properties": {**seen, "$content_step": 0},
        },
    )
    token = _token(settings, acme, "tour", version)

    previewed = _decide(client, acme, preview=token).json()["items"]
    assert [(i["key"], i["under_way"], i["state"]["step"]) for i in previewed] == [
        ("tour", True, 0)
    ], "the preview resumes where the builder left it"
    live = _decide(client, acme).json()["items"]
    assert [(i["key"], i["under_way"], i["state"]["shown"]) for i in live] == [
        ("tour", False, 0)
    ], "seeing the draft is not seeing the live item, which shows once"
