"""Turn an HTML email body into plain text that reads like what the sender saw.

Block elements become lines, list items get a "- " bullet, links keep their target as
"text (url)", and `<blockquote>` content is prefixed with "> " so that quoted history in
HTML-only mail is recognised by `supportflow.mail.quoting` like a plain-text quote. The tree
is walked with an explicit stack, so deeply nested markup cannot exhaust recursion.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

_XML_DECLARATION = re.compile(r"<\?xml[^>]*>", re.IGNORECASE)
_DROPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "svg"})
_BLOCKS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
        "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "tbody", "thead", "tfoot", "tr", "ul",
    }
)  # fmt: skip
_PARAGRAPHS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr"})
_CELLS = frozenset({"td", "th"})


@dataclass
class _Lines:
    """Accumulates text into lines; words on one line are joined by single spaces."""

    lines: list[str] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    quote_depth: int = 0
    pre_depth: int = 0

    def add_text(self, text: str) -> None:
        if self.pre_depth:
            first, *rest = text.split("\n")
            self.words.append(first)
            for line in rest:
                self.end_line()
                self.words.append(line)
        else:
            self.words.append(text)

    def end_line(self) -> None:
        text = "".join(self.words)
        line = text.rstrip() if self.pre_depth else " ".join(text.split())
        self.words.clear()
        if line or self.pre_depth:
            self.lines.append("> " * self.quote_depth + line)

    def blank_line(self) -> None:
        self.end_line()
        blank = ">" * self.quote_depth
        if self.lines and self.lines[-1] != blank:
            self.lines.append(blank)

    def text(self) -> str:
        self.end_line()
        kept: list[str] = []
        for line in (line.rstrip() for line in self.lines):
            if line.strip(" >") or (kept and kept[-1] != line):
                kept.append(line)
        while kept and not kept[-1].strip(" >"):
            kept.pop()
        return "\n".join(kept)


def html_to_text(html: str) -> str:
    """Convert an HTML document or fragment to plain text.

    Scripts, styles and the head are dropped, entities decoded, whitespace collapsed. Never
    fails: markup that cannot be parsed as a tree is read as far as it goes.
    """
    # Neither change alters the text, and each keeps Beautiful Soup from warning: an XML
    # declaration makes it suspect an XML document, and a short body without a newline
    # that looks like a URL or a file name "resembles a locator".
    markup = _XML_DECLARATION.sub("", html) + "\n"
    soup = BeautifulSoup(markup, "html.parser")
    out = _Lines()
    stack: list[tuple[Tag | NavigableString, bool]] = [(soup, False)]
    while stack:
        node, leaving = stack.pop()
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                out.add_text(str(node))
        elif leaving:
            _leave(node, out)
        elif node.name not in _DROPPED:
            _enter(node, out, stack)
    return out.text()


def _enter(tag: Tag, out: _Lines, stack: list[tuple[Tag | NavigableString, bool]]) -> None:
    """Open `tag`: emit what comes before its content and queue its children."""
    name = tag.name
    if name == "br":
        out.end_line()
        return
    if name == "a":
        out.add_text(_link_text(tag))
        return
    if name == "img":
        alt = tag.get("alt")
        if isinstance(alt, str) and alt.strip():
            out.add_text(f" {alt.strip()} ")
        return
    if name in _PARAGRAPHS or name == "blockquote":
        out.blank_line()
    elif name in _BLOCKS:
        out.end_line()
    elif name in _CELLS:
        out.add_text(" ")
    if name == "blockquote":
        out.quote_depth += 1
    if name == "pre":
        out.pre_depth += 1
    if name == "li":
        out.add_text("- ")
    stack.append((tag, True))
    children = reversed(tag.contents)
    stack.extend((child, False) for child in children if isinstance(child, Tag | NavigableString))


def _leave(tag: Tag, out: _Lines) -> None:
    """Close `tag`: end its line or paragraph and undo its quoting or preformatting."""
    name = tag.name
    if name == "blockquote":
        out.end_line()
        out.quote_depth = max(0, out.quote_depth - 1)
        out.blank_line()
    elif name in _PARAGRAPHS:
        out.blank_line()
    elif name in _BLOCKS:
        out.end_line()
    elif name in _CELLS:
        out.add_text(" ")
    if name == "pre":
        out.pre_depth = max(0, out.pre_depth - 1)


def _link_text(tag: Tag) -> str:
    """Render a link as its text, followed by "(url)" when the text does not already say it."""
    text = " ".join(tag.get_text(" ").split())
    href = tag.get("href")
    if not isinstance(href, str) or href.strip().lower().startswith(("javascript:", "#")):
        return text
    href = href.strip()
    if not text:
        return f" {href} " if not href.lower().startswith("mailto:") else ""
    if _same_target(text, href):
        return text
    return f"{text} ({href})"


def _same_target(text: str, href: str) -> bool:
    def bare(value: str) -> str:
        value = value.strip().lower()
        for prefix in ("mailto:", "https://", "http://", "www."):
            value = value.removeprefix(prefix)
        return value.rstrip("/")

    return bare(text) == bare(href)
