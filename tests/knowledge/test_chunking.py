from __future__ import annotations

import hashlib
import re

import pytest

from supportflow.knowledge.chunking import chunk_document
from supportflow.knowledge.loaders import LoadedDocument, Section


def document(*sections: Section) -> LoadedDocument:
    return LoadedDocument(
        source="manual.pdf",
        kind="pdf",
        title="Manual",
        sections=sections,
        page_count=None,
        content_hash="0" * 64,
    )


def sentences(count: int, topic: str = "router") -> str:
    return " ".join(f"Sentence {n} is about the {topic} and nothing else." for n in range(count))


def test_a_short_section_is_one_chunk_with_its_heading_path_beside_the_text():
    doc = document(Section("Plug it in.", ("Setup",), 1))

    [chunk] = chunk_document(doc)

    assert chunk.text == "Plug it in."
    assert chunk.heading_path == ("Setup",)
    assert (chunk.ordinal, chunk.page_start, chunk.page_end) == (0, 1, 1)
    assert chunk.content_hash == hashlib.sha256(b"Plug it in.").hexdigest()


def test_chunks_respect_max_chars_and_cover_every_sentence():
    text = "\n\n".join(sentences(12, topic) for topic in ("router", "modem", "cable", "fuse"))
    chunks = chunk_document(document(Section(text, ("Guide",), None)), max_chars=500)

    assert len(chunks) > 4
    assert all(len(chunk.text) <= 500 for chunk in chunks)
    assert [chunk.ordinal for chunk in chunks] == list(range(len(chunks)))
    joined = " ".join(chunk.text for chunk in chunks)
    for sentence in re.split(r"(?<=\.) ", text.replace("\n\n", " ")):
        assert sentence in joined


def test_consecutive_chunks_of_a_section_overlap_from_a_sentence_start():
    text = sentences(40)
    chunks = chunk_document(document(Section(text, ("Guide",), None)), max_chars=400)

    for previous, chunk in zip(chunks, chunks[1:], strict=False):
        assert chunk.text.startswith("Sentence ")  # a real sentence, nothing artificial
        overlap = max(k for k in range(len(chunk.text)) if previous.text.endswith(chunk.text[:k]))
        assert 40 < overlap <= 150


def test_overlap_can_be_turned_off():
    chunks = chunk_document(
        document(Section(sentences(40), (), None)), max_chars=400, overlap_chars=0
    )

    assert " ".join(chunk.text for chunk in chunks) == sentences(40)


def test_long_sections_split_at_paragraphs_before_sentences():
    paragraphs = [sentences(3, topic) for topic in ("router", "modem", "cable")]
    chunks = chunk_document(
        document(Section("\n\n".join(paragraphs), (), None)),
        max_chars=len(paragraphs[0]) * 2 + 2,
        overlap_chars=0,
    )

    assert [chunk.text for chunk in chunks] == [
        f"{paragraphs[0]}\n\n{paragraphs[1]}",
        paragraphs[2],
    ]


def test_text_without_any_boundary_is_cut_to_size():
    chunks = chunk_document(document(Section("x" * 950, (), None)), max_chars=400)

    assert [len(chunk.text) for chunk in chunks] == [400, 400, 150]


def test_a_chunk_never_spans_two_top_level_sections():
    doc = document(
        Section("Tiny one.", ("Setup",), 1),
        Section("Tiny two.", ("Warranty",), 1),
    )

    chunks = chunk_document(doc)

    assert [(c.heading_path, c.text) for c in chunks] == [
        (("Setup",), "Tiny one."),
        (("Warranty",), "Tiny two."),
    ]


def test_tiny_sibling_sections_merge_under_their_parent_keeping_their_headings():
    doc = document(
        Section(sentences(20), ("Account",), 1),
        Section("Click Forgot password.", ("Account", "Reset password"), 2),
        Section("Open Settings, then Email.", ("Account", "Change email"), 2),
        Section(sentences(30), ("Account", "Delete account"), 3),
    )

    chunks = chunk_document(doc, max_chars=500)

    merged = [c for c in chunks if c.heading_path == ("Account",) and "Forgot" in c.text]
    assert [c.text for c in merged] == [
        "Reset password\nClick Forgot password.\n\nChange email\nOpen Settings, then Email."
    ]
    assert (merged[0].page_start, merged[0].page_end) == (2, 2)
    assert all(c.heading_path == ("Account", "Delete account") for c in chunks[-3:])


def test_a_section_continued_over_pages_gets_a_page_range():
    doc = document(
        Section("Start of the answer.", ("FAQ",), 4),
        Section("End of the answer.", ("FAQ",), 5),
    )

    [chunk] = chunk_document(doc)

    assert chunk.text == "Start of the answer.\n\nEnd of the answer."
    assert (chunk.page_start, chunk.page_end) == (4, 5)


def test_page_ranges_follow_the_text_of_each_chunk():
    doc = document(*(Section(sentences(8, f"page {n}"), ("Guide",), n) for n in (1, 2, 3)))

    chunks = chunk_document(doc, max_chars=450, overlap_chars=100)

    for chunk in chunks:
        pages = {int(p) for p in re.findall(r"the page (\d)", chunk.text)}
        assert (chunk.page_start, chunk.page_end) == (min(pages), max(pages))


@pytest.mark.parametrize(("max_chars", "overlap"), [(50, 0), (400, 200), (400, -1)])
def test_bad_sizes_are_refused(max_chars, overlap):
    with pytest.raises(ValueError):
        chunk_document(document(Section("x", (), None)), max_chars=max_chars, overlap_chars=overlap)
