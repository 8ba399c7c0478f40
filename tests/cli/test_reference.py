from pathlib import Path

from everydoor.cli.reference import command_paths, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_every_command_is_documented_and_the_reference_is_current():
    text = DOC.read_text(encoding="utf-8")
    missing = [path for path, _ in command_paths() if f"## `{path}`" not in text]
    assert not missing, f"undocumented commands {missing}: run `make docs`"
    assert text == render(), "docs/cli.md is out of date: run `make docs`"
