"""Markdown to sections: ATX (`#`) and setext headings make the heading paths.

Front matter (`---` YAML or `+++` TOML) is dropped, its `title` kept as a title hint. Soft-wrapped
lines are joined; list items and table rows keep a line each. Link targets, image sources,
emphasis markers and HTML comments are removed so that what is searched and quoted reads as
text.
"""

from __future__ import annotations

import re

from supportflow.knowledge.document import OutlineBuilder, ParsedContent

_FRONT_MATTER = re.compile(r"\A(---|\+\+\+)[ \t]*\n(.*?)\n(?:\1|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FRONT_TITLE = re.compile(r"^title\s*[:=]\s*[\"']?(.+?)[\"']?\s*$", re.M)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_THEMATIC_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\[[^\]]*\])")
_EMPHASIS = re.compile(r"\*\*|__|`")


def read_markdown(text: str) -> ParsedContent:
    """Sections of a Markdown text; the title hint is the front matter's, else the first heading."""
    front_title = None
    front = _FRONT_MATTER.match(text)
    if front:
        title_match = _FRONT_TITLE.search(front.group(2))
        front_title = title_match.group(1) if title_match else None
        text = text[front.end() :]
    builder = OutlineBuilder()
    _walk(_COMMENT.sub("", text).splitlines(), builder)
    return ParsedContent(builder.sections(), front_title or builder.first_heading)


def _walk(lines: list[str], builder: OutlineBuilder) -> None:
    block: list[str] = []
    fence: str | None = None
    for line in lines:
        fence_match = _FENCE.match(line)
        if fence is not None:
            if fence_match and fence_match.group(1).startswith(fence):
                fence = None
            else:
                block.append(line)
        elif fence_match:
            fence = fence_match.group(1)
        elif atx := _ATX.match(line):
            builder.block("\n".join(block))
            block = []
            builder.heading(len(atx.group(1)), _inline(atx.group(2) or ""))
        elif (setext := _SETEXT.match(line)) and len(block) == 1 and not _ITEM.match(block[0]):
            builder.heading(1 if setext.group(1)[0] == "=" else 2, block[0])
            block = []
        elif not line.strip():
            builder.block("\n".join(block))
            block = []
        elif not _TABLE_RULE.match(line) and not _THEMATIC_BREAK.match(line):
            _append_line(block, _inline(line), is_quote=bool(_QUOTE.match(line)))
    builder.block("\n".join(block))


def _append_line(block: list[str], line: str, *, is_quote: bool) -> None:
    """Join a soft-wrapped line to the previous one; list items, table rows and the start of
    a quote begin a new line."""
    starts_line = is_quote or line.lstrip().startswith("|") or bool(_ITEM.match(line))
    if block and not starts_line and not block[-1].startswith("|"):
        block[-1] = f"{block[-1]} {line.strip()}"
        return
    block.append(_BULLET.sub("- ", line).strip())


def _inline(text: str) -> str:
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    return _QUOTE.sub("", _EMPHASIS.sub("", text))
