"""Invariants of the codebase: layers, documented settings, no inline script or style."""
import ast
import os
import re
import sys

import pytest

from app.config import SETTINGS
from tests.support import PROJECT_DIR

APP_DIR = os.path.join(PROJECT_DIR, "app")
# The layers, lowest first: a module may import from its own layer and those below it,
# never from one above. Top-level modules (db, schema, config, ...) are the core;
# app/__init__.py (create_app) assembles everything and is in no layer.
LAYERS = ["core", "models", "crypto", "accounts", "pulse", "results", "board", "exports",
          "delivery", "views", "cli"]
# The business packages and the models know nothing of Flask: only the entry points do.
ENTRY_POINTS = {"cli", "views"}
FLASK_PACKAGES = {"flask", "flask_wtf", "flask_htmx", "flask_login", "flask_limiter", "werkzeug"}


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


TEMPLATES = [os.path.join(root, name)
             for root, _dirs, files in os.walk(os.path.join(APP_DIR, "templates"))
             for name in files]
MODULES = sorted(os.path.relpath(os.path.join(root, name), PROJECT_DIR)
                 for root, _dirs, files in os.walk(APP_DIR)
                 for name in files if name.endswith(".py"))


def layer_of(dotted):
    """'app.pulse.rounds' -> 'pulse'; 'app.db' -> 'core'; 'app' -> None (create_app)."""
    parts = dotted.split(".")
    if parts == ["app"]:
        return None
    if len(parts) == 2 and not os.path.isdir(os.path.join(APP_DIR, parts[1])):
        return "core"
    return parts[1]


def imports_of(path):
    """(dotted module, imported names, line) of every import in the file."""
    tree = ast.parse(read(os.path.join(PROJECT_DIR, path)))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, (), node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module, tuple(a.name for a in node.names), node.lineno


def module_name(path):
    dotted = path[:-len(".py")].replace(os.sep, ".")
    return dotted.removesuffix(".__init__")


def targets(module, names):
    """The Heard modules an import reaches: `from app.pulse import rounds` reaches
    app.pulse.rounds, `from app import db` reaches app.db."""
    if module.split(".")[0] != "app":
        return []
    reached = []
    for name in names or (None,):
        candidate = f"{module}.{name}" if name else module
        folder = os.path.join(PROJECT_DIR, *candidate.split("."))
        is_module = os.path.isfile(folder + ".py") or os.path.isdir(folder)
        reached.append(candidate if is_module else module)
    return reached


@pytest.mark.parametrize("path", [p for p in MODULES if p != os.path.join("app", "__init__.py")])
def test_no_import_runs_upward(path):
    own = layer_of(module_name(path))
    upward = []
    for module, names, line in imports_of(path):
        for target in targets(module, names):
            layer = layer_of(target)
            if layer is None:  # create_app: only the CLI builds apps
                allowed = own == "cli"
            else:
                allowed = LAYERS.index(layer) <= LAYERS.index(own)
            if not allowed:
                upward.append(f"line {line}: {target}")
    assert not upward, f"{path} ({own}) imports from above: {upward}"


@pytest.mark.parametrize("path", [p for p in MODULES
                                  if layer_of(module_name(p)) not in ENTRY_POINTS | {None}])
def test_models_and_business_packages_import_no_flask(path):
    flask = [module for module, _names, _line in imports_of(path)
             if module.split(".")[0] in FLASK_PACKAGES]
    assert not flask, f"{path} imports {flask}"


def test_only_views_and_cli_touch_request_session_and_g():
    touching = []
    for path in MODULES:
        if layer_of(module_name(path)) in ENTRY_POINTS:
            continue
        for module, names, line in imports_of(path):
            if module == "flask" and {"request", "session", "g"} & set(names):
                touching.append(f"{path}:{line}")
        if re.search(r"\bflask\.(request|session|g)\b", read(os.path.join(PROJECT_DIR, path))):
            touching.append(path)
    assert not touching


def test_the_layering_check_catches_an_upward_import(tmp_path, monkeypatch):
    """The check itself: a model that imported a business package would be caught."""
    monkeypatch.setattr(sys.modules[__name__], "PROJECT_DIR", str(tmp_path))
    monkeypatch.setattr(sys.modules[__name__], "APP_DIR", str(tmp_path / "app"))
    (tmp_path / "app" / "models").mkdir(parents=True)
    (tmp_path / "app" / "pulse").mkdir()
    (tmp_path / "app" / "pulse" / "rounds.py").write_text("")
    (tmp_path / "app" / "models" / "org.py").write_text("from app.pulse import rounds\n")
    with pytest.raises(AssertionError, match="imports from above"):
        test_no_import_runs_upward(os.path.join("app", "models", "org.py"))


def test_no_function_imports_a_heard_module_without_a_cycle_to_break():
    """Imports live at the top of a module; the two that break a real cycle say so."""
    local = []
    for path in MODULES:
        tree = ast.parse(read(os.path.join(PROJECT_DIR, path)))
        for function in (n for n in ast.walk(tree)
                         if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app"):
                    local.append((path, node.module, tuple(a.name for a in node.names)))
    assert sorted(local) == sorted(CYCLE_BREAKING_IMPORTS), local


# create_app registers the CLI, and the CLI builds apps with create_app.
CYCLE_BREAKING_IMPORTS = [(os.path.join("app", "__init__.py"), "app", ("cli",)),
                          (os.path.join("app", "cli", "__init__.py"), "app",
                           ("StartupError", "create_app"))]


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
