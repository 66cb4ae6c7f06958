"""The tests mirror famlink/, and what more than one folder builds with lives in tests/common/.

A test of ``famlink/services/rights/export.py`` sits in
``tests/services/rights/``. A helper two folders use is kept in one place,
not imported out of another folder's test module, where it is easily
changed for that folder's tests alone.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parent
FAMLINK = TESTS.parent / "famlink"
#: Folders that stand for no package: the browser tests drive the whole site; common holds the shared builders.
NOT_A_PACKAGE = {"browser", "common", "fixtures"}
COMMON = "tests.common"


def _sources() -> dict[str, str]:
    """Every Python file under tests/, by module name."""
    return {
        ".".join(p.relative_to(TESTS.parent).with_suffix("").parts): p.read_text(encoding="utf-8")
        for p in sorted(TESTS.rglob("*.py"))
        if "__pycache__" not in p.parts
    }


def _folder(module: str) -> str:
    """The package a module sits in (a package's ``__init__`` sits in itself)."""
    if module.endswith(".__init__"):
        return module.removesuffix(".__init__")
    return module.rsplit(".", 1)[0]


def imports_of_tests(module: str, source: str) -> set[str]:
    """Every ``tests...`` name the module imports, anywhere in it (inside functions too, relative or not)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "tests"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module and node.module.split(".")[0] == "tests":
                found |= {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            folder = _folder(module).split(".")
            base = folder[: len(folder) - node.level + 1]
            found |= {".".join([*base, *([node.module] if node.module else []), a.name]) for a in node.names}
    return found


def _home(name: str, modules: set[str]) -> str:
    """The folder an imported name comes from: ``tests.web.routewalk.fill`` -> ``tests.web``."""
    while name not in modules and f"{name}.__init__" not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if f"{name}.__init__" in modules else _folder(name)


def crossings(sources: dict[str, str]) -> list[str]:
    """Each import of a helper from another folder than the importer's own, other than tests/common/."""
    modules = set(sources)
    found = []
    for module, source in sources.items():
        for name in sorted(imports_of_tests(module, source)):
            home = _home(name, modules)
            if home != _folder(module) and home != COMMON and not home.startswith(f"{COMMON}."):
                found.append(f"{module} imports {name} from {home}")
    return found


def test_every_test_folder_mirrors_a_famlink_package() -> None:
    folders = {p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts and p.parent != TESTS}
    strays = sorted(
        str(f.relative_to(TESTS.parent)) for f in folders
        if f.relative_to(TESTS).parts[0] not in NOT_A_PACKAGE and not (FAMLINK / f.relative_to(TESTS) / "__init__.py").exists()
    )
    assert strays == [], f"move these under the tests folder of the package they test: {strays}"


def test_every_test_folder_is_a_package_so_two_test_modules_may_share_a_name() -> None:
    folders = {p.parent for p in TESTS.rglob("*.py") if "__pycache__" not in p.parts}
    assert sorted(str(f) for f in folders if not (f / "__init__.py").exists()) == []


def test_a_test_imports_helpers_from_its_own_folder_or_tests_common_only() -> None:
    found = crossings(_sources())
    assert found == [], "a helper used by two folders belongs in tests/common/:\n" + "\n".join(found)


def test_the_check_finds_a_helper_taken_from_another_folders_test_module() -> None:
    sources = {
        "tests.__init__": "", "tests.web.__init__": "", "tests.cli.__init__": "", "tests.common.__init__": "",
        "tests.common.builders": "def family(): ...",
        "tests.cli.test_audit": "def witness(): ...",
        "tests.web.checking_client": "class CheckingClient: ...",
        "tests.web.test_page": (
            "from tests.common import builders\nfrom tests.common.builders import family\n"
            "from tests.web.checking_client import CheckingClient\nfrom .checking_client import CheckingClient\n"
            "def test_it():\n    from ..cli.test_audit import witness\n    from tests.cli import test_audit\n"
        ),
    }
    assert crossings(sources) == [
        "tests.web.test_page imports tests.cli.test_audit from tests.cli",
        "tests.web.test_page imports tests.cli.test_audit.witness from tests.cli",
    ]


def test_tests_common_holds_only_helpers_two_or_more_folders_use() -> None:
    sources = _sources()
    users: dict[str, set[str]] = defaultdict(set)
    for module, source in sources.items():
        for name in imports_of_tests(module, source):
            users[_owner(name, set(sources))].add(_folder(module))
    shared = sorted(m for m in sources if m.startswith(f"{COMMON}.") and not m.endswith(".__init__"))
    assert shared, "tests/common/ holds the shared builders"
    assert [m for m in shared if m.rsplit(".", 1)[1].startswith("test_")] == [], "tests/common/ holds no test modules"
    alone = {m: sorted(users[m] - {COMMON}) for m in shared if len(users[m] - {COMMON}) < 2}
    assert alone == {}, f"used from one folder only: move each beside the tests that use it: {alone}"


def _owner(name: str, modules: set[str]) -> str:
    """The module an imported name is defined in: ``tests.common.builders.family`` -> ``tests.common.builders``."""
    while name not in modules and "." in name:
        name = name.rsplit(".", 1)[0]
    return name
