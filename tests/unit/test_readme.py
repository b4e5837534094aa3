"""The README's two set-up commands are the ones CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.startswith("python3 -m venv")]


def test_readme_has_exactly_two_setup_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert commands[0].endswith("flashsac train")
    assert "pytest" in commands[1]
    for command in commands:
        assert "torch==2.13.0" in command  # never an unpinned torch: that pulls a CUDA build on CPU machines


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    match = re.search(r'readme_test_command="(.*)"', ci)
    assert match is not None
    assert match.group(1) == _readme_commands()[1]
