"""The console's layers, read from the source: the command line and the Textual app are two
front ends side by side — no module of one imports a module of the other — and every
command of the tree lives in the module its path names."""

from __future__ import annotations

import ast
from pathlib import Path

import console
from console.cli import build_parser

ROOT = Path(console.__file__).parent
CLI = "console.cli"
TUI = "console.tui"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                name = module_name(path)
                package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def crossings(source: str, target: str) -> list[str]:
    """``module -> imported`` for each module of ``source`` importing one of ``target``."""
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        name = module_name(path)
        if within(name, source):
            found += [f"{name} -> {i}" for i in sorted(imported(path)) if within(i, target)]
    return found


def test_no_screen_or_widget_imports_the_command_line() -> None:
    assert crossings(TUI, CLI) == []


def test_no_command_module_imports_the_textual_app() -> None:
    """Only the launcher (``maillage`` without a command) opens the app; no command module
    reaches into its screens or widgets."""
    assert {c.split(" -> ")[0] for c in crossings(CLI, TUI)} <= {"console.cli.tui"}
    assert {c.split(" -> ")[1] for c in crossings(CLI, TUI)} <= {
        "console.tui.app",
        "console.tui.app.MaillageApp",
    }


def test_the_integration_packages_import_neither_front_end() -> None:
    for package in (
        "console.recording",
        "console.decoding",
        "console.importing",
        "console.demo",
        "console.texts",
    ):
        assert crossings(package, CLI) == [], package
        assert crossings(package, TUI) == [], package


def test_the_walk_sees_a_crossing_when_there_is_one(tmp_path: Path) -> None:
    """The check itself: a screen importing a command module is found."""
    screen = tmp_path / "screen.py"
    screen.write_text("from console.cli.meals import rounds\nimport console.cli.geo\n")
    assert {i for i in imported(screen) if within(i, CLI)} == {
        "console.cli.meals",
        "console.cli.meals.rounds",
        "console.cli.geo",
    }


def leaves(parser, path=()):  # type: ignore[no-untyped-def]
    """Every command of the tree: its words and its parser."""
    import argparse

    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield path, parser
    for action in subs:
        for word, child in action.choices.items():
            yield from leaves(child, (*path, word))


def test_every_command_lives_where_its_path_says() -> None:
    """``maillage meals rounds load`` is handled in ``console.cli.meals.rounds`` (or, for a
    command directly under a group, in a module of that group's package)."""
    seen = 0
    for path, parser in leaves(build_parser()):
        handler = parser.get_default("handler")
        assert parser.get_default("command_path") == " ".join(path)
        module = handler.__module__
        assert module.startswith(CLI + "."), (path, module)
        words = module.removeprefix(CLI + ".").split(".")
        # The module's package names the command's groups, in order.
        groups = [w.replace("-", "_") for w in path[: len(words) - 1]]
        assert words[: len(groups)] == groups, (path, module)
        seen += 1
    assert seen > 90


def test_sessions_process_is_in_its_own_module() -> None:
    parser = dict(leaves(build_parser()))[("sessions", "process")]
    assert parser.get_default("handler").__module__ == "console.cli.sessions.process"
