"""The import rules of DESIGN.md, checked on the source."""
import ast

import pytest

from tests.conftest import ROOT

FORBIDDEN_IN_CORE = {"flask", "slack_bolt", "slack_sdk", "postmarker", "huey", "redis",
                     "bot", "channels", "scheduler", "werkzeug", "requests"}


def imported_modules(path):
    """(full module name, line) of every absolute import, top-level or inside functions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def imported_roots(path):
    for name, line in imported_modules(path):
        yield name.split(".")[0], line


def python_files(package):
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("core"), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_imports_no_web_channel_or_queue_library(path):
    bad = [(name, line) for name, line in imported_roots(path) if name in FORBIDDEN_IN_CORE]
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_the_guard_catches_a_forbidden_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom flask import Flask\nimport huey.api\n")
    assert {n for n, _ in imported_roots(sample)} & FORBIDDEN_IN_CORE == {"flask", "huey"}


@pytest.mark.parametrize("own,other", [("email", "slack"), ("slack", "email")])
def test_channels_do_not_import_each_other(own, other):
    for path in python_files(f"channels/{own}"):
        names = [n for n, _ in imported_modules(path)]
        assert not any(n.startswith(f"channels.{other}") for n in names), path


@pytest.mark.parametrize("package", ["core", "channels", "scheduler"])
def test_only_bot_imports_bot(package):
    for path in python_files(package):
        assert "bot" not in {n for n, _ in imported_roots(path)}, path
