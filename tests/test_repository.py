"""The files a contributor looks for: the license, the changelog and the pre-commit hooks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not (ROOT / ".pre-commit-config.yaml").exists(), reason="needs a source checkout"
)


def _project_field(name: str) -> str:
    found = re.search(rf'^{name} = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(), re.M)
    assert found, f"pyproject.toml has no {name}"
    return found.group(1)


def test_license_matches_pyproject() -> None:
    assert _project_field("license") == "MIT"
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 lvdyn developers" in text


def test_changelog_has_unreleased_and_the_current_version() -> None:
    version = _project_field("version")
    headings = re.findall(r"^## (.+)$", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert version in headings


def test_pre_commit_runs_the_checks_of_run_sh() -> None:
    yaml = pytest.importorskip("yaml")
    # Each ruff/mypy command of `./run.sh test` ("$bin/ruff" ...) is a hook entry (.venv/bin/...).
    script = (ROOT / "run.sh").read_text()
    commands = {
        f".venv/bin/{tool}{args}".rstrip()
        for tool, args in re.findall(r'"\$bin/(ruff|mypy)"([^&\n]*)', script)
    }
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    entries = {hook["entry"] for repo in config["repos"] for hook in repo["hooks"]}
    assert len(commands) == 3 and commands == entries
