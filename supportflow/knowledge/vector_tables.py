"""The two tables behind vector search, created on first use, and the upgrade of the first one.

Vector search runs in two steps (see `vector_index`): sqlite-vec ranks compact binary codes of
the vectors, then the float vectors of the best few hundred are compared exactly. So each
vector is stored twice, in the same transaction:

- `kb_chunks_vec_codes`, a vec0 virtual table whose rowid is `kb_chunks.id`: the vector's
  signs, one bit per dimension (`vec_quantize_binary`; 48 bytes instead of 1,536 for 384
  dimensions), compared by Hamming distance. It is partitioned by tenant and by the model
  that made the vector, so a query reads only the tenant's codes of its model (vectors of two
  models are never compared), and by shard, the chunk id modulo `SHARDS`. sqlite-vec picks
  its k best in time proportional to k for every row it reads (at 100,000 codes k = 400 took
  136 ms, k = 40 took 7), so a search asks each of 16 shards for 25: 400 candidates in 8 ms.
- `kb_chunks_vec_floats`, a plain table keyed by chunk id: the float32 vector, its model and
  the chunk's content hash. Searches join on the hash, so a vector left behind by a process
  that could not load sqlite-vec never stands for a newer chunk that reused its id. Reading a
  few hundred rows by key here takes a millisecond or two; by rowid from a vec0 table, 40.

Neither is made by a migration, because a database must stay usable by a Python without
sqlite-vec. The first layout, one vec0 table `kb_chunks_vec` of float vectors that every
search compared exhaustively, is upgraded the first time a search or an addition meets it:
its vectors are copied into both tables (nothing is embedded again) and it is dropped, in
the caller's transaction.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.orm import Session

from supportflow.errors import ConfigurationError

CODES_TABLE = "kb_chunks_vec_codes"
FLOATS_TABLE = "kb_chunks_vec_floats"
FIRST_LAYOUT_TABLE = "kb_chunks_vec"
SHARDS = 16
SHARD_LIST = ", ".join(str(shard) for shard in range(SHARDS))  # for `shard IN (...)`

_CREATE_CODES = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS kb_chunks_vec_codes USING vec0("
    "tenant_id integer partition key, model text partition key, shard integer partition key, "
    "code bit[{dimensions}])"
)
_CREATE_FLOATS = text(
    "CREATE TABLE IF NOT EXISTS kb_chunks_vec_floats ("
    "chunk_id INTEGER PRIMARY KEY, model TEXT NOT NULL, chunk_hash TEXT NOT NULL, "
    "embedding BLOB NOT NULL)"
)
_TABLES = text(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
    "AND name IN ('kb_chunks_vec', 'kb_chunks_vec_codes')"
)
_COPY_FLOATS = text(
    "INSERT INTO kb_chunks_vec_floats (chunk_id, model, chunk_hash, embedding) "
    "SELECT rowid, model, chunk_hash, embedding FROM kb_chunks_vec"
)
_COPY_CODES = text(
    "INSERT INTO kb_chunks_vec_codes (rowid, tenant_id, model, shard, code) "
    f"SELECT rowid, tenant_id, model, rowid % {SHARDS}, vec_quantize_binary(embedding) "
    "FROM kb_chunks_vec"
)
_DROP_FIRST_LAYOUT = text("DROP TABLE kb_chunks_vec")


def shard_of(chunk_id: int) -> int:
    """The shard of the codes table a chunk's vector is kept in."""
    return chunk_id % SHARDS


def stored_dimensions(session: Session) -> int | None:
    """The dimensions of the stored vectors; None before the first vector is stored. A table
    of the first layout is upgraded first. Needs sqlite-vec on the session's connection."""
    tables = {str(name): str(sql) for name, sql in session.execute(_TABLES)}
    if CODES_TABLE in tables:
        return _declared_dimensions(tables[CODES_TABLE])
    if FIRST_LAYOUT_TABLE in tables:
        dimensions = _declared_dimensions(tables[FIRST_LAYOUT_TABLE])
        _upgrade_first_layout(session, dimensions)
        return dimensions
    return None


def ensure_tables(session: Session, dimensions: int) -> None:
    """Create both tables for vectors of `dimensions` unless they exist; ConfigurationError
    when they hold vectors of other dimensions, or `dimensions` is not a multiple of 8."""
    stored = stored_dimensions(session)
    if stored is not None:
        check_dimensions(stored, dimensions)
        return
    _create_tables(session, dimensions)


def check_dimensions(stored: int, dimensions: int) -> None:
    """ConfigurationError unless the stored vectors have the model's `dimensions`."""
    if stored != dimensions:
        raise ConfigurationError(
            f"the vector index holds {stored}-dimensional vectors but the embedding model "
            f"makes {dimensions}; drop the tables {CODES_TABLE} and {FLOATS_TABLE} and add "
            "the documents again"
        )


def _create_tables(session: Session, dimensions: int) -> None:
    if dimensions < 8 or dimensions % 8:
        raise ConfigurationError(
            f"vector search needs a multiple of 8 dimensions (one byte of signs per 8); "
            f"the embedding model makes {dimensions}"
        )
    session.execute(text(_CREATE_CODES.format(dimensions=int(dimensions))))
    session.execute(_CREATE_FLOATS)


def _upgrade_first_layout(session: Session, dimensions: int) -> None:
    """Move the vectors of `kb_chunks_vec` into both tables and drop it."""
    _create_tables(session, dimensions)
    session.execute(_COPY_FLOATS)
    session.execute(_COPY_CODES)
    session.execute(_DROP_FIRST_LAYOUT)


def _declared_dimensions(table_sql: str) -> int:
    match = re.search(r"(?:float|bit)\[(\d+)\]", table_sql)
    if match is None:
        raise ConfigurationError(f"cannot read the vector size from the table: {table_sql}")
    return int(match.group(1))
