"""Message catalogues: per locale, `locales/<locale>.json` and one file per console area in
`locales/<locale>/` (so areas are written apart), keyed by message id, with {named} placeholders.
An id in two files is an error: one id, one text."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SUPPORTED_LOCALES = ("en", "ja")
_LOCALES_DIR = Path(__file__).with_name("locales")


def catalogue_files(locale: str) -> list[Path]:
    """The files a locale's catalogue is made of, the main one first."""
    return [_LOCALES_DIR / f"{locale}.json", *sorted((_LOCALES_DIR / locale).glob("*.json"))]


@cache
def messages(locale: str) -> dict[str, str]:
    """Every message of the locale, by id."""
    merged: dict[str, str] = {}
    for path in catalogue_files(locale):
        part: dict[str, str] = json.loads(path.read_text("utf-8"))
        twice = sorted(part.keys() & merged.keys())
        if twice:
            raise ValueError(f"{path.name} repeats message ids of another file: {twice[:5]}")
        merged |= part
    return merged


class Translator:
    """Looks messages up in one locale, falling back to English for a missing id."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in SUPPORTED_LOCALES else "en"

    def __call__(self, message_id: str, **values: object) -> str:
        text = messages(self.locale).get(message_id) or messages("en").get(message_id)
        if text is None:
            raise KeyError(f"no message {message_id!r} in the catalogues")
        return text.format(**values) if values else text


def translator(locale: str) -> Translator:
    """A translator for the locale (English when unsupported)."""
    return Translator(locale)


def negotiate_locale(accept_language: str | None, default: str) -> str:
    """The best supported locale for an Accept-Language header, else the default."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value.strip())
                except ValueError:
                    quality = 0.0
        if quality > 0:  # q=0 means "not acceptable" (RFC 9110, 12.4.2)
            ranked.append((-quality, position, tag.lower()))
    for _, _, tag in sorted(ranked):
        language = tag.split("-")[0]
        if language in SUPPORTED_LOCALES:
            return language
    return default
