"""Setting a tenant's `llm:` section (as `demo --llm local` and `eval draft` do) keeps the
rest of tenant.yaml, comments included, and refuses an invalid section."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from supportflow.config import load_tenant_config
from supportflow.demo.setup import LOCAL_DEMO_LLM, demo_tenant_dir
from supportflow.errors import InputError
from supportflow.tenant_settings import set_llm


def test_the_llm_section_is_set_and_replaced_and_the_rest_is_kept(tmp_path: Path) -> None:
    folder = tmp_path / "tenant"
    shutil.copytree(demo_tenant_dir(), folder)
    before = (folder / "tenant.yaml").read_text(encoding="utf-8")
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]

    set_llm(folder, {"base_url": "http://127.0.0.1:1/v1", "models": {"draft": "a"}})
    endpoint = set_llm(folder, LOCAL_DEMO_LLM)

    after = (folder / "tenant.yaml").read_text(encoding="utf-8")
    assert endpoint.provider == "local" and endpoint.chain("draft") == ["qwen2.5-coder-1.5b"]
    assert load_tenant_config(folder).llm == endpoint
    assert after.count("\nllm:") == 1
    assert all(line in after for line in comments)


def test_an_invalid_section_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "tenant"
    shutil.copytree(demo_tenant_dir(), folder)
    before = (folder / "tenant.yaml").read_text(encoding="utf-8")

    with pytest.raises(InputError, match="base_url is required"):
        set_llm(folder, {"models": {"draft": "a"}})
    assert (folder / "tenant.yaml").read_text(encoding="utf-8") == before
