"""Message catalogues, locale negotiation and locale-aware formatting (no browser)."""

from __future__ import annotations

import json
import re
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import waypost.console
import waypost.i18n
from waypost.console.shell import SECTIONS
from waypost.i18n import format_datetime, format_number, negotiate_locale
from waypost.tenancy.keys import KeyKind
from waypost.tenancy.roles import Role

LOCALES_DIR = Path(waypost.i18n.__file__).with_name("locales")
CONSOLE_DIR = Path(waypost.console.__file__).parent
LOCALE_COOKIE = "waypost_locale"

# Ids the console builds at render time from a literal prefix and a value, e.g. t("role." ~ role).
DYNAMIC_IDS = {
    "role.": [role.value for role in Role],
    "home.kind.": [kind.value for kind in KeyKind],
    "nav.": [key for key, _ in SECTIONS],
    "settings.theme.": ["accent", "background", "text"],
}


def _catalogue(locale: str) -> dict[str, str]:
    """The locale's main file and its area files, read here independently of the loader."""
    merged: dict[str, str] = {}
    for path in [LOCALES_DIR / f"{locale}.json", *sorted((LOCALES_DIR / locale).glob("*.json"))]:
        part: dict[str, str] = json.loads(path.read_text("utf-8"))
        assert not part.keys() & merged.keys(), f"{path.name} repeats ids"
        merged |= part
    return merged


EN = _catalogue("en")
JA = _catalogue("ja")


def _placeholders(message: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(message) if field is not None}


# --- t("...") calls in the console's templates and Python code, found by regex ---

_CALL = re.compile(r'\bt\(\s*"(?P<id>[^"]*)"\s*(?P<concat>~)?')
_ANY_CALL = re.compile(r"\bt\(")
_KEYWORD = re.compile(r"\b(\w+)\s*=(?!=)")
# In scripts, values come as an object: wp.t("id", {count: 3}).
_JS_KEY = re.compile(r"\b(\w+)\s*:")


def _console_sources() -> list[Path]:
    """The console's Python, templates and scripts (vendored libraries aside)."""
    scripts = [p for p in (CONSOLE_DIR / "static").rglob("*.js") if "vendor" not in p.parts]
    return sorted(
        [*CONSOLE_DIR.rglob("*.py"), *(CONSOLE_DIR / "templates").rglob("*.html"), *scripts]
    )


def _top_level_arguments(text: str, open_paren: int) -> str:
    """The text between a call's parentheses, with nested calls and string literals blanked out."""
    depth, quote, kept = 0, "", []
    for char in text[open_paren:]:
        if quote:
            quote = "" if char == quote else quote
            kept.append(" ")
            continue
        if char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                break
        kept.append(char if depth == 1 and char not in "\"'(" else " ")
    return "".join(kept)


def _console_calls() -> list[tuple[str, str, bool, frozenset[str]]]:
    """Each t() call as (file name, message id or prefix, is a prefix, keyword names)."""
    calls = []
    for path in _console_sources():
        text = path.read_text("utf-8")
        found = list(_CALL.finditer(text))
        # Every call must start with a literal id, or the checks below would silently skip it.
        assert len(found) == len(_ANY_CALL.findall(text)), f"{path.name}: t() without a literal id"
        for match in found:
            arguments = _top_level_arguments(text, text.index("(", match.start()))
            keys = _JS_KEY if path.suffix == ".js" else _KEYWORD
            keywords = frozenset(keys.findall(arguments))
            calls.append((path.name, match["id"], bool(match["concat"]), keywords))
    return calls


def _expanded_ids(message_id: str, is_prefix: bool) -> list[str]:
    if not is_prefix:
        return [message_id]
    return [message_id + value for value in DYNAMIC_IDS[message_id]]


def test_en_and_ja_catalogues_have_the_same_message_ids() -> None:
    assert set(JA) - set(EN) == set(), "ids only in ja.json"
    assert set(EN) - set(JA) == set(), "ids only in en.json"


def test_each_message_has_the_same_placeholders_in_en_and_ja() -> None:
    mismatched = {
        message_id: (sorted(_placeholders(EN[message_id])), sorted(_placeholders(JA[message_id])))
        for message_id in EN.keys() & JA.keys()
        if _placeholders(EN[message_id]) != _placeholders(JA[message_id])
    }
    assert mismatched == {}


def test_regex_finds_the_console_message_calls() -> None:
    found = {(name, message_id) for name, message_id, _, _ in _console_calls()}
    assert ("routes.py", "login.bad_credentials") in found
    assert ("home.html", "home.workspace") in found
    assert ("home.html", "role.") in found
    assert ("base.html", "nav.sign_out") in found


def test_every_message_id_the_console_uses_exists_in_both_catalogues() -> None:
    prefixes = {message_id for _, message_id, is_prefix, _ in _console_calls() if is_prefix}
    assert prefixes == set(DYNAMIC_IDS), "a new built id needs its values listed in DYNAMIC_IDS"
    missing = [
        (name, expanded, locale)
        for name, message_id, is_prefix, _ in _console_calls()
        for expanded in _expanded_ids(message_id, is_prefix)
        for locale, catalogue in (("en", EN), ("ja", JA))
        if expanded not in catalogue
    ]
    assert missing == []


def test_console_passes_exactly_the_placeholders_each_message_has() -> None:
    mismatched = [
        (name, expanded, sorted(keywords), sorted(_placeholders(EN[expanded])))
        for name, message_id, is_prefix, keywords in _console_calls()
        for expanded in _expanded_ids(message_id, is_prefix)
        if expanded in EN and keywords != _placeholders(EN[expanded])
    ]
    assert mismatched == []


# --- negotiate_locale ---


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ja-JP,ja;q=0.9,en;q=0.8", "ja"),
        ("fr-FR, en;q=0.5", "en"),
        ("en;q=0.5, ja;q=0.9", "ja"),
        ("ja;q=0.2, en-GB;q=0.7, fr", "en"),
        ("EN-us", "en"),
    ],
)
def test_negotiate_locale_picks_the_best_supported_language(header: str, expected: str) -> None:
    other = "ja" if expected == "en" else "en"
    # The default is the other locale, so falling back to it cannot pass by accident.
    assert negotiate_locale(header, default=other) == expected


@pytest.mark.parametrize("default", ["en", "ja"])
@pytest.mark.parametrize("header", ["fr-FR, de;q=0.9", "", None, "*", "en;q=bad"])
def test_negotiate_locale_falls_back_to_the_default(header: str | None, default: str) -> None:
    assert negotiate_locale(header, default) == default


def test_negotiate_locale_never_picks_a_language_refused_with_q_zero() -> None:
    assert negotiate_locale("ja;q=0, fr", "en") == "en"


# --- format_datetime and format_number ---

HALF_PAST_THREE_UTC = datetime(2026, 1, 5, 15, 30, tzinfo=UTC)


def test_format_datetime_shows_utc_time_in_tokyo_in_japanese_form() -> None:
    shown = format_datetime(HALF_PAST_THREE_UTC, "ja", "Asia/Tokyo")
    assert shown.startswith("2026/01/06 ")
    assert "0:30" in shown


def test_format_datetime_shows_utc_time_in_tokyo_in_english_form() -> None:
    shown = format_datetime(HALF_PAST_THREE_UTC, "en", "Asia/Tokyo")
    assert shown.startswith("Jan 6, 2026, ")
    assert "12:30" in shown
    assert "AM" in shown


def test_format_datetime_moves_to_the_previous_day_west_of_utc() -> None:
    shown = format_datetime(datetime(2026, 1, 5, 3, 0, tzinfo=UTC), "en", "America/New_York")
    assert shown.startswith("Jan 4, 2026, ")
    assert "10:00" in shown
    assert "PM" in shown


@pytest.mark.parametrize("timezone", [None, "Not/AZone"])
def test_format_datetime_uses_utc_without_a_known_zone(timezone: str | None) -> None:
    shown = format_datetime(HALF_PAST_THREE_UTC, "ja", timezone)
    assert shown.startswith("2026/01/05 ")
    assert "15:30" in shown


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "1,234,567.5"), ("ja", "1,234,567.5"), ("de", "1.234.567,5")],
)
def test_format_number_groups_thousands_per_locale(locale: str, expected: str) -> None:
    assert format_number(1234567.5, locale) == expected


# --- the console page through the app ---


def test_login_page_in_japanese_for_a_japanese_browser(client: TestClient) -> None:
    page = client.get("/console/login", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"})
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert f"<title>{JA['login.title']}</title>" in page.text
    assert f"<h1>{JA['login.title']}</h1>" in page.text
    assert LOCALE_COOKIE not in page.cookies


def test_login_page_in_english_for_an_english_browser(client: TestClient) -> None:
    page = client.get("/console/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert f"<title>{EN['login.title']}</title>" in page.text
    assert JA["login.title"] not in page.text


def test_lang_parameter_sets_the_locale_cookie_that_later_pages_follow(client: TestClient) -> None:
    chosen = client.get("/console/login?lang=ja", headers={"Accept-Language": "en"})
    assert chosen.cookies.get(LOCALE_COOKIE) == "ja"
    assert f"<title>{JA['login.title']}</title>" in chosen.text

    later = client.get("/console/login", headers={"Accept-Language": "en"})
    assert f"<title>{JA['login.title']}</title>" in later.text
