"""Meta-test: imports between the project's folders go one way (read with ``ast``, never run).

Each folder is loaded by its own process: ``nlu/`` inside Rasa, ``actions/`` by the action
server, ``bot/`` by the gateway, ``bankapi/`` as the bank, runtime ``cardcare/`` by all of
them.  An import across these lines would load one process's code (and its dependencies and
import-time work) into another, so only these are allowed:

* ``nlu/``, ``bankapi/`` and runtime ``cardcare/`` import no other project folder, and runtime
  ``cardcare/`` not the developer tools either (runtime: all but ``cardcare/dev/`` and the
  command's entry ``cardcare/__main__.py``);
* ``actions/`` imports, of the project, only itself and the standard-library-only modules
  ``cardcare.conversation``, ``cardcare.masking`` and ``cardcare.escalation``;
* ``bot/`` never imports ``actions/``, ``bankapi/`` or ``desk/``;
* ``desk/`` (the agent desk's process) imports, of the project, only itself and runtime
  ``cardcare/``: it meets the gateway only in Redis (``cardcare.handoff``);
* ``rasa_sdk_plugins/`` (loaded by the action server) imports only runtime ``cardcare/``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

FOLDERS = ("nlu", "actions", "bankapi", "bot", "cardcare", "desk", "rasa_sdk_plugins", "tests",
           "tools")


def module_name(path: Path) -> str:
    """``actions/bank/_client.py`` → ``actions.bank._client``; a package is its ``__init__``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, with its line; relative imports are made absolute.

    ``from package import name`` counts as importing ``package.name`` when that is a module of
    ours, so ``from cardcare import conversation`` is ``cardcare.conversation``.
    """
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, str(path))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = parts[: len(parts) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            directory = ROOT.joinpath(*base.split("."))
            for alias in node.names:
                submodule = directory / alias.name
                if submodule.is_dir() or submodule.with_suffix(".py").is_file():
                    yield node.lineno, f"{base}.{alias.name}"
                else:
                    yield node.lineno, base


def project_folder(module: str) -> str | None:
    top = module.partition(".")[0]
    return top if top in FOLDERS else None


def is_within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def isolated(own: str) -> Callable[[str], bool]:
    """A folder that imports no other project folder."""
    return lambda module: project_folder(module) in (None, own)


def runtime_cardcare_rule(module: str) -> bool:
    return isolated("cardcare")(module) and not is_within(module, "cardcare.dev")


def is_runtime_cardcare(path: Path) -> bool:
    inside = path.relative_to(ROOT / "cardcare")
    return inside.parts[0] != "dev" and inside != Path("__main__.py")


# Modules of ``cardcare`` that import only the standard library (and each other).
_STDLIB_ONLY = ("cardcare.conversation", "cardcare.masking", "cardcare.escalation")


def actions_rule(module: str) -> bool:
    return project_folder(module) in (None, "actions") or any(
        is_within(module, allowed) for allowed in _STDLIB_ONLY)


def desk_rule(module: str) -> bool:
    return project_folder(module) in (None, "desk") or runtime_cardcare_rule(module)


def plugin_rule(module: str) -> bool:
    """The action server's plugin loads with the actions: runtime ``cardcare`` only."""
    return project_folder(module) in (None, "rasa_sdk_plugins") or runtime_cardcare_rule(module)


def bot_rule(module: str) -> bool:
    return project_folder(module) not in ("actions", "bankapi", "desk")


def everywhere(path: Path) -> bool:
    return True


@dataclass(frozen=True)
class Boundary:
    """What the modules of ``folder`` (those ``applies`` accepts) may import."""

    folder: str
    allowed: Callable[[str], bool]
    applies: Callable[[Path], bool] = everywhere


BOUNDARIES = {
    "nlu": Boundary("nlu", isolated("nlu")),
    "bankapi": Boundary("bankapi", isolated("bankapi")),
    "cardcare (runtime)": Boundary("cardcare", runtime_cardcare_rule, is_runtime_cardcare),
    "actions": Boundary("actions", actions_rule),
    "bot": Boundary("bot", bot_rule),
    "desk": Boundary("desk", desk_rule),
    "rasa_sdk_plugins": Boundary("rasa_sdk_plugins", plugin_rule),
}


def violations(boundary: Boundary) -> list[str]:
    """``file:line -> module`` for each import that crosses ``boundary``."""
    found = []
    for path in sorted((ROOT / boundary.folder).rglob("*.py")):
        if not boundary.applies(path):
            continue
        for line, module in imported_modules(path):
            if not boundary.allowed(module):
                found.append(f"{path.relative_to(ROOT)}:{line} -> {module}")
    return found


@pytest.mark.parametrize("name", BOUNDARIES)
def test_imports_between_folders_go_one_way(name):
    found = violations(BOUNDARIES[name])
    assert not found, f"{name} may not import these:\n" + "\n".join(found)


def test_imports_are_resolved_to_modules():
    source = ("from cardcare import conversation\nfrom . import _errors\n"
              "from ..flow import Context\nimport bot.messages\n"
              "def later():\n    from bankapi import contract\n")
    path = ROOT / "actions" / "bank" / "_client.py"
    assert list(imported_modules(path, source)) == [
        (1, "cardcare.conversation"), (2, "actions.bank._errors"), (3, "actions.flow"),
        (4, "bot.messages"), (6, "bankapi.contract")]


@pytest.mark.parametrize(
    ("name", "module", "allowed"),
    [
        ("nlu", "rasa.shared.nlu.constants", True),
        ("nlu", "nlu.normalize", True),
        ("nlu", "cardcare.conversation", False),
        ("bankapi", "actions.bank", False),
        ("cardcare (runtime)", "cardcare.masking", True),
        ("cardcare (runtime)", "cardcare.dev.stack", False),
        ("cardcare (runtime)", "bot.messages", False),
        ("actions", "actions.bank._client", True),
        ("actions", "cardcare.conversation", True),
        ("actions", "cardcare.masking", True),
        ("actions", "cardcare.handoff", False),
        ("actions", "bankapi.contract", False),
        ("bot", "cardcare.conversation", True),
        ("bot", "actions.flow", False),
        ("bot", "bankapi", False),
        ("bot", "desk.app", False),
        ("desk", "cardcare.handoff", True),
        ("desk", "bot.handoff", False),
        ("rasa_sdk_plugins", "cardcare.logs", True),
        ("rasa_sdk_plugins", "cardcare.dev.stack", False),
        ("rasa_sdk_plugins", "actions.flow", False),
    ],
)
def test_the_rules(name, module, allowed):
    assert BOUNDARIES[name].allowed(module) is allowed


def test_a_violation_names_the_file_the_line_and_the_module(monkeypatch):
    real = imported_modules

    def with_a_bad_import(path: Path, source: str | None = None) -> Iterator[tuple[int, str]]:
        if path == ROOT / "nlu" / "language.py":
            yield 7, "actions.flow"
        yield from real(path, source)

    monkeypatch.setattr(f"{__name__}.imported_modules", with_a_bad_import)
    assert violations(BOUNDARIES["nlu"]) == ["nlu/language.py:7 -> actions.flow"]
