"""Split a loaded document into chunks that follow its structure.

A chunk is what retrieval returns and a reply cites, so it stays within one section: text is
packed paragraph by paragraph (a paragraph too long for a chunk is split at lines, then
sentences, then words) and a new chunk of the same section repeats the end of the previous one
(`overlap_chars`, starting at a sentence or word) so that an answer cut in two can still be
found. Sections that are tiny (under a quarter of `max_chars`) are merged with the next sibling
under the same parent while the result fits; such a chunk carries the parent's heading path and
keeps each merged section's heading as the first line of its text. Top-level sections are never
merged, so no chunk spans two of them. Chunk text is document text only: the heading path is
stored beside it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from supportflow.knowledge.document import LoadedDocument, Section

_TINY_FRACTION = 0.25
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…。！？])\s+")
_OVERLAP_START = re.compile(r"(?:(?<=[.!?…。！？])\s+|\n+)(?=\S)")


@dataclass(frozen=True)
class Chunk:
    ordinal: int  # position in the document, from 0
    text: str
    heading_path: tuple[str, ...]
    page_start: int | None
    page_end: int | None
    content_hash: str  # sha256 hex of `text`


@dataclass(frozen=True)
class _Piece:
    """Text that is never split further, with what joins it to the piece before it."""

    text: str
    page: int | None
    joiner: str


@dataclass
class _Part:
    """Consecutive sections with one heading path (a section continued over pages)."""

    path: tuple[str, ...]
    blocks: list[tuple[str, int | None]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(len(text) + 2 for text, _ in self.blocks) - 2

    @property
    def size_with_heading(self) -> int:
        return self.size + len(self.path[-1]) + 1 if self.path else self.size


def chunk_document(
    doc: LoadedDocument, *, max_chars: int = 1200, overlap_chars: int = 150
) -> list[Chunk]:
    """Chunks of `doc` in reading order, each at most `max_chars` long.

    Raises ValueError when `max_chars` is under 100 or `overlap_chars` is not below half of it.
    """
    if max_chars < 100 or not 0 <= overlap_chars < max_chars // 2:
        raise ValueError("need max_chars >= 100 and 0 <= overlap_chars < max_chars / 2")
    chunks: list[Chunk] = []
    for group in _merge_tiny_siblings(_parts(doc.sections), max_chars):
        if len(group) == 1:
            packed = _pack(list(_pieces(group[0].blocks, max_chars)), max_chars, overlap_chars)
            path = group[0].path
        else:
            packed = [_merged_pieces(group)]
            path = group[0].path[:-1]
        first = len(chunks)
        chunks.extend(_chunk(first + i, pieces, path) for i, pieces in enumerate(packed))
    return chunks


def _parts(sections: Sequence[Section]) -> list[_Part]:
    parts: list[_Part] = []
    for section in sections:
        if not parts or parts[-1].path != section.heading_path:
            parts.append(_Part(section.heading_path))
        parts[-1].blocks.extend(
            (block, section.page) for block in section.text.split("\n\n") if block.strip()
        )
    return [part for part in parts if part.blocks]


def _merge_tiny_siblings(parts: list[_Part], max_chars: int) -> list[list[_Part]]:
    groups: list[list[_Part]] = []
    for part in parts:
        group = groups[-1] if groups else []
        last = group[-1] if group else None
        if (
            last is not None
            and len(last.path) >= 2
            and last.path[:-1] == part.path[:-1]
            and last.size_with_heading < max_chars * _TINY_FRACTION
            and sum(p.size_with_heading + 2 for p in group) + part.size_with_heading <= max_chars
        ):
            group.append(part)
        else:
            groups.append([part])
    return groups


def _merged_pieces(group: list[_Part]) -> list[_Piece]:
    """Pieces of merged sibling sections, each section opened by its own heading line."""
    pieces: list[_Piece] = []
    for part in group:
        pieces.append(_Piece(part.path[-1], part.blocks[0][1], "\n\n"))
        pieces.extend(
            _Piece(text, page, "\n" if i == 0 else "\n\n")
            for i, (text, page) in enumerate(part.blocks)
        )
    return pieces


def _pieces(blocks: list[tuple[str, int | None]], max_chars: int) -> Iterator[_Piece]:
    """Blocks as pieces of at most `max_chars`: whole paragraphs, else lines, else sentences,
    else runs of words."""
    for text, page in blocks:
        if len(text) <= max_chars:
            yield _Piece(text, page, "\n\n")
            continue
        for i, line in enumerate(text.split("\n")):
            joiner = "\n\n" if i == 0 else "\n"
            if len(line) <= max_chars:
                yield _Piece(line, page, joiner)
                continue
            for j, sentence in enumerate(_SENTENCE_BREAK.split(line)):
                for k, words in enumerate(_word_runs(sentence, max_chars)):
                    yield _Piece(words, page, joiner if j == k == 0 else " ")


def _word_runs(sentence: str, max_chars: int) -> Iterator[str]:
    """`sentence` in runs of whole words of at most `max_chars` (a longer word is cut)."""
    run = ""
    for word in sentence.split(" "):
        while len(word) > max_chars:
            if run:
                yield run
                run = ""
            yield word[:max_chars]
            word = word[max_chars:]
        if run and len(run) + 1 + len(word) > max_chars:
            yield run
            run = ""
        run = f"{run} {word}" if run else word
    if run:
        yield run


def _pack(pieces: list[_Piece], max_chars: int, overlap_chars: int) -> list[list[_Piece]]:
    """Pieces packed greedily into chunks; each chunk after the first opens with an overlap."""
    packed: list[list[_Piece]] = []
    current: list[_Piece] = []
    for piece in pieces:
        if current and len(_text(current + [piece])) > max_chars:
            packed.append(current)
            room = max_chars - len(piece.text) - len(piece.joiner)
            current = _overlap(current, min(overlap_chars, room))
        current.append(piece)
    if current:
        packed.append(current)
    return packed


def _overlap(pieces: list[_Piece], budget: int) -> list[_Piece]:
    """The end of `pieces`, at most `budget` long, starting at a sentence (else a word)."""
    text = _text(pieces)
    if budget <= 0:
        return []
    start = max(1, len(text) - budget)
    tail = text[start:]
    boundary = _OVERLAP_START.search(tail) or re.search(r"\s+(?=\S)", tail)
    if boundary is None:
        return []
    offset, page = 0, pieces[0].page
    for piece in pieces:  # the page on which the overlap starts
        offset += len(piece.joiner) + len(piece.text) if offset else len(piece.text)
        if offset > start + boundary.end():
            page = piece.page
            break
    return [_Piece(tail[boundary.end() :], page, "")]


def _text(pieces: list[_Piece]) -> str:
    return "".join(p.joiner + p.text if i else p.text for i, p in enumerate(pieces))


def _chunk(ordinal: int, pieces: list[_Piece], path: tuple[str, ...]) -> Chunk:
    text = _text(pieces).strip()
    pages = [piece.page for piece in pieces if piece.page is not None]
    return Chunk(
        ordinal=ordinal,
        text=text,
        heading_path=path,
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
