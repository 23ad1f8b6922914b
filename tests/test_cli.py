"""The `practice-search` command: every subcommand is registered and documented."""

from __future__ import annotations

import subprocess
import sys

import pytest

from practice_search.cli import SUBCOMMANDS, main


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_each_subcommand_has_its_own_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        main([name, "--help"])
    assert exc.value.code == 0
    assert name in capsys.readouterr().out


def test_no_subcommand_prints_help_and_fails():
    proc = subprocess.run(
        [sys.executable, "-m", "practice_search.cli"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "COMMAND" in proc.stdout
