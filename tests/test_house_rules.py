"""Invariants of the codebase: layers, documented settings, no inline script or style."""
import ast
import os
import re

import pytest

from app.settings import SETTINGS
from tests.conftest import PROJECT_DIR

APP_DIR = os.path.join(PROJECT_DIR, "app")
BUSINESS_MODULES = ["accounts", "aggregates", "audit", "blobs", "board", "charts", "conversations",
                    "dashboard", "demo", "export_choice", "exports", "keys", "plaintext",
                    "reactions",
                    "links", "pulses", "releases", "scope",
                    "roster", "rounds", "schema", "spreadsheet", "surveys", "themes",
                    "visibility", "delivery_settings", "mail_transport", "mails", "outbox",
                    "schedules", "tick", "open_links"]
def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


TEMPLATES = [os.path.join(root, name)
             for root, _dirs, files in os.walk(os.path.join(APP_DIR, "templates"))
             for name in files]


def imported_modules(path):
    tree = ast.parse(read(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


@pytest.mark.parametrize("module", BUSINESS_MODULES)
def test_business_modules_import_no_flask(module):
    modules = set(imported_modules(os.path.join(APP_DIR, f"{module}.py")))
    assert not {m for m in modules if m.split(".")[0] in ("flask", "flask_wtf", "flask_htmx")}
    assert "app.views" not in modules


def test_only_views_touch_request_session_and_g():
    for root, _dirs, files in os.walk(APP_DIR):
        if os.sep + "views" in root:
            continue
        for name in (f for f in files if f.endswith(".py")):
            source = read(os.path.join(root, name))
            assert not re.search(r"from flask import[^\n]*\b(request|session|g)\b", source) \
                or name in ("assets.py", "security.py"), name


def test_every_setting_is_documented():
    documentation = read(os.path.join(PROJECT_DIR, "docs", "configuration.md"))
    missing = [s.name for s in SETTINGS if f"HEARD_{s.name}" not in documentation]
    assert not missing


def test_every_cli_command_is_documented(app):
    documentation = read(os.path.join(PROJECT_DIR, "docs", "operating.md"))
    for name, command in app.cli.commands.items():
        subcommands = getattr(command, "commands", {None: command})
        for sub in subcommands:
            spelled = f"flask {name}" + (f" {sub}" if sub else "")
            assert spelled in documentation, spelled


def test_the_readme_quick_start_is_make_run_and_make_test():
    readme = read(os.path.join(PROJECT_DIR, "README.md"))
    assert "make run" in readme and "make test" in readme


@pytest.mark.parametrize("path", TEMPLATES, ids=os.path.basename)
def test_templates_hold_no_inline_script_style_or_handlers(path):
    source = read(path)
    assert not re.search(r"<script(?![^>]*\bsrc=)", source)
    assert "<style" not in source and " style=" not in source
    assert not re.search(r"\son[a-z]+=", source)
    assert "|safe" not in source.replace(" ", "")
    assert "hx-on" not in source
