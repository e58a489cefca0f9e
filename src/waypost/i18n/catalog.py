"""Message catalogues: one JSON file per locale, keyed by message id, with {named} placeholders."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SUPPORTED_LOCALES = ("en", "ja")
_LOCALES_DIR = Path(__file__).with_name("locales")


@cache
def _messages(locale: str) -> dict[str, str]:
    messages: dict[str, str] = json.loads((_LOCALES_DIR / f"{locale}.json").read_text("utf-8"))
    return messages


class Translator:
    """Looks messages up in one locale, falling back to English for a missing id."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in SUPPORTED_LOCALES else "en"

    def __call__(self, message_id: str, **values: object) -> str:
        text = _messages(self.locale).get(message_id) or _messages("en").get(message_id)
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
