"""Import directions (issue #15) and the one vocabulary.

Layers, bottom up: data_access (SQL) <- services <- layouts (pure components) <- callbacks
<- dashboard. A package imports only from below it; checked twice: by importing each package
with all its submodules in a fresh interpreter and reading `sys.modules`, and by reading every
import statement (function-level ones included) of the lower packages with `ast`.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("data_access", "services", "layouts", "callbacks", "dashboard")
# What each package must never import (services is new: checked once its directory exists).
FORBIDDEN = {
    "data_access": {"services", "layouts", "callbacks", "dashboard"},
    "services": {"layouts", "callbacks", "dashboard"},
    "layouts": {"services", "callbacks", "dashboard"},
}
# Entry scripts, not modules: importing them builds the app (wsgi) or runs Alembic (env).
NOT_IMPORTED = {"dashboard.wsgi", "data_access.migrations.env"}

_PROBE = """
import importlib, json, pkgutil, sys
name, skip = sys.argv[1], set(sys.argv[2:])
package = importlib.import_module(name)
for info in pkgutil.walk_packages(package.__path__, name + "."):
    if info.name not in skip and not info.name.endswith(".__main__"):
        importlib.import_module(info.name)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
""" % (LAYERS,)


def _present(package: str) -> bool:
    return (ROOT / package).is_dir()  # layouts/ is a namespace package (no __init__.py)


def _loaded_by(package: str) -> set[str]:
    """Our modules in sys.modules after importing `package` and every submodule, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", _PROBE, package, *sorted(NOT_IMPORTED)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("package", LAYERS)
def test_imp001_each_package_imports_alone_and_only_downwards(package):
    if not _present(package):
        pytest.skip(f"{package}/ does not exist (yet)")
    loaded = _loaded_by(package)
    assert package in loaded  # it imported, submodules and all, with no import loop breaking it
    wrong = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN.get(package, set()))
    assert not wrong, f"{package} pulls in {wrong}"


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in the file, however deeply nested."""
    here = list(path.relative_to(ROOT).parts[:-1])  # the file's package (also for an __init__.py)
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the file's own package upwards
                base = here[:len(here) - (node.level - 1)]
                out.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])])))
            else:
                out.append((node.lineno, node.module or ""))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__")):
            out.append((node.lineno, node.args[0].value))  # importlib.import_module("dashboard…")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imp002_no_upward_import_statement_anywhere(package):
    """Also the imports inside functions, which a runtime check only sees when they run."""
    if not _present(package):
        pytest.skip(f"{package}/ does not exist (yet)")
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in sorted((ROOT / package).rglob("*.py"))
             for line, module in _imports(path)
             if module.split(".")[0] in FORBIDDEN[package]]
    assert not wrong, "\n".join(wrong)


def test_imp003_the_vocabulary_imports_nothing():
    tree = ast.parse((ROOT / "data_access" / "vocabulary.py").read_text(encoding="utf-8"))
    modules = [n.module if isinstance(n, ast.ImportFrom) else n.names[0].name
               for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert modules == ["__future__"]


# --- the one vocabulary -----------------------------------------------------------

def test_imp004_every_kpi_has_a_card_and_the_headline_is_named():
    from data_access import metrics, vocabulary
    from layouts import grid, incidents, kpis
    from layouts import opinion as opinion_view
    assert metrics.KEYS == vocabulary.HEADLINE == kpis.HEADLINE
    assert len(set(vocabulary.KPI_KEYS)) == len(vocabulary.KPI_KEYS)
    assert set(vocabulary.HEADLINE) <= set(vocabulary.KPI_KEYS)
    assert tuple(kpis.KPI_CARDS) == vocabulary.KPI_KEYS  # keyed by the vocabulary, in its order
    for key in vocabulary.HEADLINE:
        label, formatter, icon = kpis.KPI_CARDS[key]
        assert label and callable(formatter) and icon.startswith("bi-"), key
    for shown in (incidents.KPIS, opinion_view.KPI_KEYS, grid.GRID_KPIS):  # the views' own rows
        assert set(shown) <= set(kpis.KPI_CARDS), shown


def test_imp005_every_topic_is_known_to_the_opinion_lexicon_and_model():
    import json as _json

    from dashboard.opinion_text import lexicon, model
    from data_access import vocabulary
    cue_topics = {topic for cues in lexicon.TOPIC_CUES.values() for topic, _, _ in cues}
    assert cue_topics == set(vocabulary.TOPICS)
    assert lexicon.OTHER in vocabulary.TOPICS and vocabulary.UNCLASSIFIED_TOPIC not in vocabulary.TOPICS
    classes = _json.loads(model.MODEL_PATH.read_text(encoding="utf-8"))["topic"]["classes"]
    assert sorted(classes) == sorted(vocabulary.TOPICS)


def test_imp006_label_maps_name_exactly_the_schema_codes():
    from data_access import schema, vocabulary, warning_desk, warnings
    assert tuple(vocabulary.SOURCE_NAMES) == schema.SOURCES
    assert tuple(vocabulary.CHANNEL_NAMES) == schema.CHANNELS
    assert tuple(vocabulary.INCIDENT_STATUS_NAMES) == schema.STATUSES
    assert tuple(vocabulary.HANDLING_LEVEL_NAMES) == schema.HANDLING_LEVELS
    assert tuple(vocabulary.WORKER_ROLE_NAMES) == schema.WORKER_ROLES
    assert tuple(vocabulary.WARNING_LEVEL_NAMES) == schema.WARNING_LEVELS
    assert tuple(vocabulary.WARNING_STATUS_NAMES) == schema.WARNING_STATUSES
    assert set(vocabulary.ACCOUNT_ROLE_NAMES) == {*schema.ROLES, "kiosk"}
    assert set(vocabulary.WARNING_RULE_NAMES) == set(warnings.RULES)
    assert set(warning_desk.TRANSITIONS) <= set(vocabulary.WARNING_ACTION_NAMES)


def test_imp007_old_names_are_the_vocabulary():
    """Every former definition site now reads the one list (no copy left to drift)."""
    from dashboard import auth
    from dashboard.demo import texts
    from dashboard.opinion_text import lexicon
    from data_access import briefing, grid, opinion, schema, ticker, vocabulary, warning_desk, warnings
    from layouts import admin, incidents
    from layouts import opinion as opinion_view
    from layouts import warnings as warnings_view
    assert schema.TOPICS is lexicon.TOPICS is texts.TOPICS is vocabulary.TOPICS
    assert texts.INCIDENT_CATEGORIES is incidents.CATEGORIES is vocabulary.INCIDENT_CATEGORIES
    assert auth.ROLE_NAMES is admin.ROLE_NAMES is vocabulary.ACCOUNT_ROLE_NAMES
    assert grid.ROLE_NAMES is warnings_view.ROLE_NAMES is vocabulary.WORKER_ROLE_NAMES
    assert ticker.SOURCE_NAMES is incidents.SOURCES is vocabulary.SOURCE_NAMES
    assert opinion_view.CHANNEL_NAMES is vocabulary.CHANNEL_NAMES
    assert opinion.APPEAL_KPIS is opinion_view.KPI_KEYS is vocabulary.APPEAL_KPIS
    assert warnings.LEVEL_NAMES is warnings_view.LEVEL_NAMES is vocabulary.WARNING_LEVEL_NAMES
    assert warnings.RULE_NAMES is warnings_view.RULE_NAMES is vocabulary.WARNING_RULE_NAMES
    assert warning_desk.STATUS_NAMES is warnings_view.STATUS_NAMES is vocabulary.WARNING_STATUS_NAMES
    assert incidents.SEVERITY is warnings_view.SEVERITY is vocabulary.SEVERITY_NAMES
    assert briefing.UNCLASSIFIED == opinion.UNCLASSIFIED == vocabulary.UNCLASSIFIED_TOPIC
