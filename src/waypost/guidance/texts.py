"""Builder text made safe for end users' browsers: the locale's text, and bodies' Markdown
rendered with the HTML cleaned to an allow-list (no scripts, no event handlers, no javascript:
links). Titles and labels are sent as plain text, which the snippet only ever sets as text."""

from __future__ import annotations

import functools

import nh3
from markdown_it import MarkdownIt

# What builder text may use: formatting, links, lists, images, simple tables.
ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "hr", "i",
        "img", "kbd", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
        "table", "tbody", "td", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "target"},
    "img": {"src", "alt", "title", "width", "height"},
}
URL_SCHEMES = frozenset({"https", "http", "mailto"})
_MARKDOWN = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable("strikethrough")


def pick(text: str | dict[str, str] | None, locale: str, fallback: str) -> str | None:
    """The text for a locale: the exact locale, its language (ja for ja-JP), the app's fallback,
    that fallback's language, then the first one given."""
    if text is None or isinstance(text, str):
        return text
    language = locale.split("-")[0]
    for wanted in (locale, language, fallback, fallback.split("-")[0]):
        if wanted in text:
            return text[wanted]
    for key, value in text.items():
        if key.split("-")[0] == language:
            return value
    return next(iter(text.values()), None)


@functools.lru_cache(maxsize=16_384)
def render(markdown: str) -> str:
    """Builder Markdown (with some HTML) as clean HTML."""
    html = _MARKDOWN.render(markdown).strip()
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer",
    )
