"""Checks on a document uploaded through the web (console form or REST): its name becomes a
file in the tenant's folder, so it must be a plain, safe name of a type we can read."""

from __future__ import annotations

import re

from supportflow.errors import InputError
from supportflow.knowledge.loaders import SUPPORTED_EXTENSIONS

MAX_UPLOAD_BYTES = 50_000_000
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,150}$")


def checked_upload(name: str, content: bytes) -> str:
    """`name` when the upload may be stored under it; InputError saying why not (no name,
    over `MAX_UPLOAD_BYTES`, unsafe characters, an unsupported type)."""
    if not name:
        raise InputError("choose a file to upload")
    if len(content) > MAX_UPLOAD_BYTES:
        raise InputError(f"{name}: over the {MAX_UPLOAD_BYTES} byte upload limit")
    if not _SAFE_NAME.match(name) or ".." in name:
        raise InputError(f"unsafe document name {name!r}: letters, digits, '.', '_', '-' only")
    if not any(name.lower().endswith(ext) for ext in SUPPORTED_EXTENSIONS):
        raise InputError(
            f"{name}: unsupported type; one of {', '.join(sorted(SUPPORTED_EXTENSIONS))}"
        )
    return name
