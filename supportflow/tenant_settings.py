"""Changing a tenant's thresholds (or its LLM) in its tenant.yaml, keeping the rest of the
file as written.

tenant.yaml is written by people and carries their comments, so it is not re-serialised:
only the top-level `thresholds:` (or `llm:`) block is replaced (or appended). The new text
must parse to the same configuration with just that block changed, or nothing is written; it
then
replaces the file in one rename, so a worker reads the old file or the new one, never half of
one. Workers notice the new file on their next case (see `tenants.ResourceCache`).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from threading import Lock
from typing import Any

import yaml
from pydantic import ValidationError

from supportflow.config import LlmEndpoint, TenantConfig, Thresholds, load_tenant_config
from supportflow.errors import ConfigurationError, InputError

_WRITING = Lock()  # one writer per process; tenant settings change rarely


def template_names(folder: Path) -> list[str]:
    """The reply templates in the tenant's templates/ folder, by file name."""
    templates = folder / "templates"
    if not templates.is_dir():
        return []
    return sorted(p.name for p in templates.iterdir() if p.is_file())


def update_thresholds(folder: Path, changes: dict[str, Any]) -> Thresholds:
    """Set the thresholds named in `changes` in `<folder>/tenant.yaml`; the others keep their
    values. InputError when the result is not valid; ConfigurationError when the file is not."""
    path = folder / "tenant.yaml"
    with _WRITING:
        before = load_tenant_config(folder)
        if not changes:
            return before.thresholds
        text = path.read_text(encoding="utf-8")
        written = (yaml.safe_load(text) or {}).get("thresholds") or {}
        values = {**written, **changes}
        try:
            thresholds = Thresholds.model_validate(values)
        except ValidationError as exc:
            raise InputError(f"invalid thresholds: {exc}") from exc
        new_text = replace_block(text, yaml.safe_dump({"thresholds": values}, sort_keys=False))
        _check_only_this_changed(new_text, before.model_copy(update={"thresholds": thresholds}))
        _replace_file(path, new_text)
    return thresholds


def set_llm(folder: Path, llm: dict[str, Any]) -> LlmEndpoint:
    """Make `llm` the tenant's `llm:` section (see config.LlmEndpoint), replacing any.
    InputError when it is not valid; ConfigurationError when the file is not."""
    path = folder / "tenant.yaml"
    with _WRITING:
        before = load_tenant_config(folder)
        try:
            endpoint = LlmEndpoint.model_validate(llm)
        except ValidationError as exc:
            raise InputError(f"invalid llm section: {exc}") from exc
        text = path.read_text(encoding="utf-8")
        block = yaml.safe_dump({"llm": llm}, sort_keys=False)
        new_text = replace_block(text, block, key="llm")
        _check_only_this_changed(new_text, before.model_copy(update={"llm": endpoint}))
        _replace_file(path, new_text)
    return endpoint


def replace_block(text: str, block: str, *, key: str = "thresholds") -> str:
    """`text` with its top-level `key:` block (the key, its indented lines and the
    comments among them) replaced by `block`; `block` appended when there is none."""
    lines = text.splitlines(keepends=True)
    start_of_block = re.compile(rf"^{re.escape(key)}\s*:")
    start = next((i for i, line in enumerate(lines) if start_of_block.match(line)), None)
    if start is None:
        separator = "" if not text or text.endswith("\n") else "\n"
        return f"{text}{separator}\n{block}"
    end = start + 1
    while end < len(lines) and _inside_block(lines[end]):
        end += 1
    # Blank lines and column-0 comments just before the next key belong to that key.
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].startswith("#")):
        end -= 1
    return "".join([*lines[:start], block, *lines[end:]])


def _inside_block(line: str) -> bool:
    return not line.strip() or line[0] in " \t#"


def _check_only_this_changed(new_text: str, expected: TenantConfig) -> None:
    try:
        result = TenantConfig.model_validate(yaml.safe_load(new_text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigurationError(f"tenant.yaml could not be updated safely: {exc}") from exc
    if result != expected:
        raise ConfigurationError("tenant.yaml could not be updated safely; edit it by hand")


def _replace_file(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tenant.", suffix=".yaml")
    try:
        os.chmod(temporary, path.stat().st_mode & 0o777)  # mkstemp makes it owner-only
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
