"""HTML to sections: the page's main content, with h1-h4 making the heading paths.

Help-centre pages wrap an article in navigation, menus, cookie banners and footers; searching
those would match every page, so they are removed first: the tags that hold them and any element
whose class or id says so. What remains is read from `<main>` (or `<article>`) when there is
one. Lists keep an item per line and tables a row per line, cells joined by " | ".
"""

from __future__ import annotations

import re
import warnings

from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning
from bs4.element import NavigableString, PreformattedString, Tag

from supportflow.knowledge.document import OutlineBuilder, ParsedContent

_DROPPED_TAGS = [
    "script", "style", "noscript", "template", "nav", "aside", "form", "iframe", "svg",
    "button", "select", "dialog",
]  # fmt: skip
_BOILERPLATE_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "menubar", "footer", "cookie", "cookies",
     "consent", "breadcrumb", "breadcrumbs", "sidebar"}
)  # fmt: skip
_BOILERPLATE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary"})
_NEVER_DROPPED = frozenset({"html", "body", "main", "article"})
_HEADING_LEVELS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_INLINE_TAGS = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "img",
     "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
     "time", "u", "var", "wbr"}
)  # fmt: skip
_LINE_BREAK = "\ue000"  # stands for <br> until whitespace has been collapsed
_WHITESPACE = re.compile(r"\s+")


def read_html(data: bytes) -> ParsedContent:
    """Sections of an HTML page's main content; the title hint is its first heading or <title>."""
    with warnings.catch_warnings():
        # XHTML is read as HTML on purpose: we want its text, not its XML tree.
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(data, "html.parser")
    page_title = soup.title.get_text(" ", strip=True) if soup.title else None
    _drop_boilerplate(soup)
    for line_break in soup.find_all("br"):
        line_break.replace_with(_LINE_BREAK)
    root = soup.find("main") or soup.find(True, attrs={"role": "main"}) or soup.find("article")
    builder = OutlineBuilder()
    _walk(root if isinstance(root, Tag) else soup.body or soup, builder)
    return ParsedContent(builder.sections(), builder.first_heading or page_title or None)


def _drop_boilerplate(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(_DROPPED_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if not tag.decomposed and _is_boilerplate(tag):
            tag.decompose()


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in _NEVER_DROPPED:
        return False
    if tag.name == "footer" or tag.has_attr("hidden"):
        return True
    # A header inside the article usually holds its title; the page's own header is chrome.
    if tag.name == "header" and tag.find_parent(["main", "article"]) is None:
        return True
    if str(tag.get("role", "")).lower() in _BOILERPLATE_ROLES:
        return True
    names = " ".join([*tag.get_attribute_list("class"), str(tag.get("id", ""))]).lower()
    return not _BOILERPLATE_WORDS.isdisjoint(re.split(r"[^a-z0-9]+", names))


def _walk(node: Tag, builder: OutlineBuilder) -> None:
    """Report `node`'s headings and blocks; runs of inline content become one paragraph."""
    inline: list[str] = []
    for child in node.children:
        if isinstance(child, PreformattedString):  # comments, doctype, CDATA
            continue
        if isinstance(child, NavigableString):
            inline.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        if child.name in _INLINE_TAGS:
            inline.append(child.get_text())
            continue
        builder.block(_collapse("".join(inline)))
        inline = []
        _read_block(child, builder)
    builder.block(_collapse("".join(inline)))


def _read_block(tag: Tag, builder: OutlineBuilder) -> None:
    if tag.name in _HEADING_LEVELS:
        builder.heading(_HEADING_LEVELS[tag.name], _collapse(tag.get_text()))
    elif tag.name in ("ul", "ol"):
        builder.block("\n".join(_list_lines(tag, depth=0)))
    elif tag.name == "table":
        builder.block("\n".join(_table_rows(tag)))
    elif tag.name == "pre":
        builder.block(tag.get_text())
    elif tag.name == "li":
        builder.block(f"- {_collapse(tag.get_text())}")
    else:
        _walk(tag, builder)


def _list_lines(tag: Tag, *, depth: int) -> list[str]:
    """One line per item, nested lists indented under their item."""
    lines: list[str] = []
    for number, item in enumerate(tag.find_all("li", recursive=False), start=1):
        marker = f"{number}." if tag.name == "ol" else "-"
        text = _collapse("".join(_item_text(child) for child in item.children))
        lines.append(f"{'  ' * depth}{marker} {text}")
        for nested in item.find_all(["ul", "ol"], recursive=False):
            lines.extend(_list_lines(nested, depth=depth + 1))
    return lines


def _item_text(node: object) -> str:
    """Text of a list item's own content; nested lists are read separately."""
    if isinstance(node, Tag):
        return "" if node.name in ("ul", "ol") else node.get_text()
    if isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
        return str(node)
    return ""


def _table_rows(table: Tag) -> list[str]:
    rows = []
    for row in table.find_all("tr"):
        cells = [_collapse(cell.get_text()) for cell in row.find_all(["th", "td"])]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _collapse(text: str) -> str:
    """Whitespace collapsed as a browser would, keeping <br> as a line break."""
    return "\n".join(_WHITESPACE.sub(" ", part).strip() for part in text.split(_LINE_BREAK))
