"""What Alembic's autogenerate compares, shared by env.py and the schema test."""

from __future__ import annotations


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Leave the FTS5 virtual table and its shadow tables to hand-written migrations."""
    return not (type_ == "table" and name is not None and name.startswith("kb_chunks_fts"))
