"""What Alembic's autogenerate compares, shared by env.py and the schema test."""

from __future__ import annotations

# Virtual tables and their shadow tables, made by hand-written migrations (FTS5) or on first
# use (the sqlite-vec table, see supportflow.knowledge.vector_index): not in the models.
_UNMODELLED_PREFIXES = ("kb_chunks_fts", "kb_chunks_vec")


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the FTS5 and sqlite-vec virtual tables and their shadow tables alone."""
    return not (type_ == "table" and name is not None and name.startswith(_UNMODELLED_PREFIXES))
