from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from supportflow.errors import DocumentLoadError, NotFoundError
from supportflow.knowledge.index import (
    FTS_DDL,
    add_document,
    delete_document,
    list_documents,
    search,
)
from supportflow.store.models import KbChunk, KbDocument

ACME, GLOBEX = 1, 2

RETURNS = """\
# Returns

## Refunds

Refunds reach your card within ten business days after we receive the parcel.

## Exchanges

Exchanges are free within thirty days; print the prepaid label from your account.
"""

WIFI = """\
# Wi-Fi troubleshooting

If the router light blinks red, restart the router and wait two minutes.
"""


def kb_file(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def fts_rowids(session) -> set[int]:
    return set(session.scalars(text("SELECT rowid FROM kb_chunks_fts")))


def chunk_ids(session, document_id: int | None = None) -> set[int]:
    query = select(KbChunk.id)
    if document_id is not None:
        query = query.where(KbChunk.document_id == document_id)
    return set(session.scalars(query))


def test_added_documents_are_searchable_with_what_a_citation_needs(session, tmp_path, make_pdf):
    returns = add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "returns.md", RETURNS))
    manual = add_document(session, tenant_id=ACME, path=make_pdf(title="Router Manual"))

    assert (returns.status, returns.title, returns.chunk_count) == ("added", "Returns", 1)
    assert manual.status == "added"

    [refund] = search(session, tenant_id=ACME, query="When will I get my refund?", limit=1)
    assert refund.document_id == returns.document_id
    assert refund.source == str(tmp_path / "returns.md")
    assert refund.title == "Returns"
    assert "Refunds reach your card" in refund.text

    [reset] = search(session, tenant_id=ACME, query="Router blinks red, how to reset?", limit=1)
    assert (reset.title, reset.section) == ("Router Manual", "2. Troubleshooting")
    assert (reset.page_start, reset.page_end) == (2, 2)
    assert 0 < reset.score < 1 and reset.bm25 < 0


def test_results_are_best_first_and_limited(session, tmp_path):
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI))
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "returns.md", RETURNS))

    passages = search(session, tenant_id=ACME, query="router red light restart refund", limit=5)

    assert len(passages) == 2
    assert passages[0].title == "Wi-Fi troubleshooting"
    assert passages[0].score > passages[1].score
    [best] = search(session, tenant_id=ACME, query="router red light restart refund", limit=1)
    assert best == passages[0]


def test_tenants_never_see_each_others_documents(session, tmp_path):
    path = kb_file(tmp_path, "wifi.md", WIFI)
    add_document(session, tenant_id=ACME, path=path)

    assert search(session, tenant_id=GLOBEX, query="router") == []
    assert list_documents(session, tenant_id=GLOBEX) == []

    add_document(session, tenant_id=GLOBEX, path=path)  # the same file, its own copy
    assert len(search(session, tenant_id=GLOBEX, query="router")) == 1
    assert len(search(session, tenant_id=ACME, query="router")) == 1


def test_tag_filter_keeps_documents_with_any_of_the_tags(session, tmp_path):
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI),
                 tags=["Technical", "wifi"])  # fmt: skip
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "returns.md", RETURNS),
                 tags=["billing"])  # fmt: skip
    query = "router refund"

    def titles(tags):
        return {p.title for p in search(session, tenant_id=ACME, query=query, tags=tags)}

    assert titles(["technical"]) == {"Wi-Fi troubleshooting"}
    assert titles(["billing", "other"]) == {"Returns"}
    assert titles(["other"]) == set()
    assert titles(None) == titles([]) == {"Wi-Fi troubleshooting", "Returns"}


def test_list_documents_is_the_tenants_documents_by_source(session, tmp_path):
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI), tags=["A "])
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "returns.md", RETURNS))

    documents = list_documents(session, tenant_id=ACME)

    assert [(d.title, d.kind, d.tags, d.chunk_count) for d in documents] == [
        ("Returns", "markdown", [], 1),
        ("Wi-Fi troubleshooting", "markdown", ["a"], 1),
    ]
    assert all(len(d.content_hash) == 64 and d.created_at.tzinfo for d in documents)


def test_re_adding_an_unchanged_file_does_nothing(session, tmp_path):
    path = kb_file(tmp_path, "wifi.md", WIFI)
    first = add_document(session, tenant_id=ACME, path=path, tags=["wifi"])
    before = (chunk_ids(session), fts_rowids(session))
    updated_at = session.get(KbDocument, first.document_id).updated_at

    again = add_document(session, tenant_id=ACME, path=path, tags=["wifi"])

    assert (again.status, again.document_id, again.chunk_count) == (
        "unchanged", first.document_id, first.chunk_count
    )  # fmt: skip
    assert (chunk_ids(session), fts_rowids(session)) == before
    assert session.get(KbDocument, first.document_id).updated_at == updated_at


def test_new_tags_or_title_for_the_same_bytes_update_without_rechunking(session, tmp_path):
    path = kb_file(tmp_path, "wifi.md", WIFI)
    first = add_document(session, tenant_id=ACME, path=path)
    before = chunk_ids(session)

    result = add_document(session, tenant_id=ACME, path=path, title="Fixing Wi-Fi", tags=["t"])

    assert (result.status, result.title) == ("updated", "Fixing Wi-Fi")
    assert chunk_ids(session) == before
    assert fts_rowids(session) == before
    [passage] = search(session, tenant_id=ACME, query="fixing", tags=["t"])
    assert passage.document_id == first.document_id


def test_a_changed_file_replaces_its_chunks_and_index_rows(session, tmp_path):
    path = kb_file(tmp_path, "returns.md", RETURNS)
    other = add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI))
    first = add_document(session, tenant_id=ACME, path=path)
    path.write_text("# Returns\n\nRefunds now take five days. Vouchers are never refunded.\n")

    result = add_document(session, tenant_id=ACME, path=path)

    assert (result.status, result.document_id) == ("updated", first.document_id)
    new_texts = set(
        session.scalars(select(KbChunk.text).where(KbChunk.document_id == first.document_id))
    )
    assert new_texts == {"Refunds now take five days. Vouchers are never refunded."}
    assert fts_rowids(session) == chunk_ids(session)
    assert len(chunk_ids(session)) == result.chunk_count + other.chunk_count
    assert search(session, tenant_id=ACME, query="exchanges prepaid label") == []
    assert search(session, tenant_id=ACME, query="vouchers")[0].document_id == first.document_id
    assert session.get(KbDocument, first.document_id).chunk_count == result.chunk_count


def test_a_file_that_no_longer_loads_leaves_the_stored_document_alone(session, tmp_path):
    path = kb_file(tmp_path, "returns.md", RETURNS)
    first = add_document(session, tenant_id=ACME, path=path)
    before = (chunk_ids(session), fts_rowids(session))
    path.write_bytes(b"")

    with pytest.raises(DocumentLoadError, match="returns.md"):
        add_document(session, tenant_id=ACME, path=path)

    assert (chunk_ids(session), fts_rowids(session)) == before
    assert session.get(KbDocument, first.document_id).content_hash != ""


def test_delete_removes_the_document_its_chunks_and_index_rows(session, tmp_path):
    keep = add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI))
    gone = add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "returns.md", RETURNS))

    delete_document(session, tenant_id=ACME, document_id=gone.document_id)

    assert [d.id for d in list_documents(session, tenant_id=ACME)] == [keep.document_id]
    assert fts_rowids(session) == chunk_ids(session) == chunk_ids(session, keep.document_id)
    assert search(session, tenant_id=ACME, query="refund") == []


def test_deleting_a_missing_or_foreign_document_is_not_found(session, tmp_path):
    added = add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI))

    with pytest.raises(NotFoundError, match="999"):
        delete_document(session, tenant_id=ACME, document_id=999)
    with pytest.raises(NotFoundError):
        delete_document(session, tenant_id=GLOBEX, document_id=added.document_id)
    assert len(list_documents(session, tenant_id=ACME)) == 1


@pytest.mark.parametrize(
    ("query", "finds_router"),
    [
        ('"router', True),
        ('router" OR "', True),
        ("NEAR(router blinks", True),
        ("router*", True),
        ("-router", True),
        ("router AND", True),
        ("title:router", True),
        ("^router {red}", True),
        ("AND OR NOT", False),
        ("", False),
        ("   \n", False),
        ("the and of is", False),
        ("'; DROP TABLE kb_chunks; --", False),
        ("(((", False),
    ],
)
def test_odd_queries_are_words_never_fts_syntax(session, tmp_path, query, finds_router):
    add_document(session, tenant_id=ACME, path=kb_file(tmp_path, "wifi.md", WIFI))

    passages = search(session, tenant_id=ACME, query=query)

    assert bool(passages) is finds_router
    assert session.scalar(select(func.count()).select_from(KbChunk)) == 1


def test_fts_ddl_is_the_table_the_migration_creates(session):
    created = session.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'kb_chunks_fts'"))

    assert created == FTS_DDL


def test_search_takes_a_few_milliseconds_on_a_few_hundred_chunks(session, tmp_path):
    topics = ["router", "modem", "refund", "invoice", "password", "delivery", "warranty"]
    sections = [
        f"## {topic.title()} {n}\n\n" + " ".join(
            f"Step {k}: check the {topic} settings, cable {n} and firmware {k}." for k in range(8)
        )
        for n in range(100)
        for topic in topics[n % 3 :: 3]
    ]  # fmt: skip
    path = kb_file(tmp_path, "big.md", "# Handbook\n\n" + "\n\n".join(sections))
    result = add_document(session, tenant_id=ACME, path=path)
    query = "Hello, my router keeps dropping the connection after the firmware update. Help!"

    timings = []
    for _ in range(30):
        start = time.perf_counter()
        passages = search(session, tenant_id=ACME, query=query)
        timings.append(time.perf_counter() - start)

    assert result.chunk_count >= 200
    assert len(passages) == 5
    assert statistics.median(timings) < 0.02  # typically 1-3 ms; generous for slow CI
