"""Docs that cannot drift: every setting documented, the README opening with the two commands."""

from __future__ import annotations

from pathlib import Path

from supportflow.config import Settings

ROOT = Path(__file__).parent.parent


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        name for name in Settings.model_fields if f"`SUPPORTFLOW_{name.upper()}`" not in text
    ]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```sh") + 3]
    assert [line.split("#")[0].strip() for line in block] == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
