"""The demo knowledge base: every document listed in the manifest, and the right mix of formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from supportflow.config import load_tenant_config
from supportflow.demo.inbox import write_demo_kb

TENANT = Path(__file__).parents[2] / "supportflow" / "demo" / "tenant"


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("kb")
    return folder, write_demo_kb(folder)


def _manifest(folder: Path) -> list[dict]:
    return yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))


def test_manifest_lists_exactly_the_written_documents(kb):
    folder, documents = kb
    listed = [item["file"] for item in _manifest(folder)]
    assert sorted(listed) == sorted(p.name for p in documents)
    assert sorted(p.name for p in folder.iterdir() if p.name != "manifest.yaml") == sorted(listed)
    assert all((folder / name).stat().st_size > 0 for name in listed)


def test_manifest_entries_have_titles_and_category_tags(kb):
    folder, _ = kb
    known_tags = {tag for c in load_tenant_config(TENANT).categories for tag in c.kb_tags}
    for item in _manifest(folder):
        assert set(item) == {"file", "title", "tags"}
        assert item["title"].strip()
        assert item["tags"] and set(item["tags"]) <= known_tags, item["file"]
    used = {tag for item in _manifest(folder) for tag in item["tags"]}
    assert used == known_tags  # every category can find documents


def test_formats_include_markdown_html_text_and_pdf(kb):
    _, documents = kb
    suffixes = [p.suffix for p in documents]
    assert suffixes.count(".md") >= 2 and ".html" in suffixes and ".txt" in suffixes
    assert suffixes.count(".pdf") >= 4
    assert len([s for s in suffixes if s != ".pdf"]) >= 10


def _words(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = re.sub(r"<[^>]+>", " ", re.search(r"<article.*</article>", text, re.S).group(0))
    return len(text.split())


def test_articles_are_300_to_900_words(kb):
    _, documents = kb
    for path in documents:
        if path.suffix != ".pdf":
            assert 300 <= _words(path) <= 900, path.name


def test_html_articles_carry_site_boilerplate_around_the_article(kb):
    _, documents = kb
    for path in (p for p in documents if p.suffix == ".html"):
        text = path.read_text(encoding="utf-8")
        assert "<nav" in text and "<footer" in text and "<article" in text
