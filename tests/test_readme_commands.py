"""The README's two commands are the ones CI runs, word for word."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    """The shell blocks of the README's "Two commands" section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def _ci_variable(name: str) -> str:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    match = re.search(rf"^{name}='(.*)'$", script, flags=re.M)
    assert match, f".ci/run defines no {name}"
    return match.group(1)


def test_ci_runs_the_readme_commands_exactly() -> None:
    first, test = _readme_commands()
    assert _ci_variable("FIRST_COMMAND") == first
    assert _ci_variable("TEST_COMMAND") == test


def test_ci_executes_those_variables() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'eval "${FIRST_COMMAND%% && *}"' in script  # the install, without extras
    assert "maillage demo --no-tui" in script  # then the demo, headless
    assert 'eval "$TEST_COMMAND"' in script
