"""The layers of the code, checked on its import graph (read with ``ast``, nothing imported).

From the bottom: ``grants.models``, then ``grants.services`` (the rules and figures), then
``reports`` and ``grants.exchange`` (what is made of them), then ``grants.http`` (the request
plumbing), then the two doors, ``grants.api`` and ``grants.web``. A module imports only from
its own layer or below, so the API and the reports never depend on the web pages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("grants", "reports")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _imports(path: Path, name: str) -> Iterator[tuple[str, int]]:
    """Yield the absolute name of each module ``path`` imports, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


MODULES = _modules()
# Each rule: modules under the first name must not import anything under the others.
FORBIDDEN = [
    ("grants.api", ("grants.web",)),
    ("reports", ("grants.web", "grants.api", "grants.http")),
    ("grants.http", ("grants.web", "grants.api")),
    ("grants.exchange", ("grants.web", "grants.api", "grants.http")),
    ("grants.services", ("grants.web", "grants.api", "grants.http", "grants.exchange", "reports")),
    ("grants.models", ("grants.web", "grants.api", "grants.http", "grants.services", "reports")),
    ("grants.tables", ("grants.web", "grants.api", "grants.http", "grants.services", "reports")),
    (
        "grants.offload",
        ("grants.web", "grants.api", "grants.http", "grants.services", "grants.models", "reports"),
    ),
    ("grants.templating", ("grants.web", "grants.api", "grants.http", "reports")),
    ("grants.i18n", ("grants.web", "grants.api", "grants.http", "grants.services", "reports")),
]


def test_the_graph_is_read() -> None:
    """The check sees the packages it guards (a wrong root would pass vacuously)."""
    for package in ("grants.api", "grants.web", "grants.http", "grants.services", "reports"):
        assert any(_within(name, package) for name in MODULES), package
    imported = {found for found, _line in _imports(MODULES["grants.web.system"], "x.y")}
    assert "grants.http.deps" in imported


@pytest.mark.parametrize(("layer", "forbidden"), FORBIDDEN, ids=[rule[0] for rule in FORBIDDEN])
def test_no_layer_imports_one_above_it(layer: str, forbidden: tuple[str, ...]) -> None:
    offences = [
        f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported}"
        for name in sorted(MODULES)
        if _within(name, layer)
        for imported, line in _imports(MODULES[name], name)
        if any(_within(imported, above) for above in forbidden)
    ]
    assert not offences, "\n".join(offences)


def test_the_commands_share_their_helpers_without_importing_each_other_in_a_circle() -> None:
    """``grants.cli`` registers the other command modules; they import only ``cli_common``."""
    for name in ("grants.cli_exchange", "grants.cli_reports", "grants.cli_common"):
        imported = {found for found, _line in _imports(MODULES[name], name)}
        assert not any(_within(found, "grants.cli") for found in imported), name


def test_nothing_reaches_into_a_service_for_its_private_names() -> None:
    """A service's ``_private`` helpers stay inside it: others call its public operations."""
    offences = [
        f"{MODULES[name].relative_to(ROOT)}:{line} imports {imported}"
        for name in sorted(MODULES)
        for imported, line in _imports(MODULES[name], name)
        if _within(imported, "grants.services")
        and imported.rpartition(".")[2].startswith("_")
        and not imported.rpartition(".")[2].startswith("__")
        and not _within(name, imported.rpartition(".")[0])
    ]
    assert not offences, "\n".join(offences)
