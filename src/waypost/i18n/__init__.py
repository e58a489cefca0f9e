"""Translations and locale-aware formatting for the console and end-user content (en, ja)."""

from waypost.i18n.catalog import SUPPORTED_LOCALES, Translator, negotiate_locale, translator
from waypost.i18n.formatting import format_datetime, format_number

__all__ = [
    "SUPPORTED_LOCALES",
    "Translator",
    "format_datetime",
    "format_number",
    "negotiate_locale",
    "translator",
]
