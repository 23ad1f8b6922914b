"""The settings file (TOML) beside the environment: precedence, typos, bad values, and the
command line's `--settings FILE`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from practice_search.cli import main
from practice_search.config import SETTINGS_FILE_ENV, Settings, SettingsFileError, get_settings


@pytest.fixture()
def settings_file(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "team.toml"
    monkeypatch.setenv(SETTINGS_FILE_ENV, str(path))
    yield path
    get_settings.cache_clear()


def test_the_file_sets_values_and_the_environment_overrides_it(settings_file: Path, monkeypatch):
    settings_file.write_text('max_connections = 256\nallowed_hosts = ["search.example.org"]\n'
                             'api_keys = ["a-team-key-of-24-chars!"]\n', encoding="utf-8")
    s = Settings()
    assert s.max_connections == 256 and s.allowed_hosts == ["search.example.org"]
    assert s.api_keys[0].get_secret_value() == "a-team-key-of-24-chars!"
    monkeypatch.setenv("PRACTICE_SEARCH_MAX_CONNECTIONS", "300")
    assert Settings().max_connections == 300
    assert Settings(max_connections=12).max_connections == 12


def test_a_typo_bad_toml_or_bad_value_is_refused_with_what_to_fix(settings_file: Path):
    settings_file.write_text("max_conections = 256\n", encoding="utf-8")
    with pytest.raises(SettingsFileError, match="unknown setting.*max_conections"):
        Settings()
    settings_file.write_text("max_connections = \n", encoding="utf-8")
    with pytest.raises(SettingsFileError, match="not valid TOML"):
        Settings()
    settings_file.write_text("max_connections = -1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="max_connections"):
        Settings()


def test_without_a_file_the_defaults_hold(monkeypatch):
    monkeypatch.delenv(SETTINGS_FILE_ENV, raising=False)
    assert Settings().max_connections == Settings.model_fields["max_connections"].default


def test_the_command_line_reads_the_file(tmp_path: Path, seeds_dir: Path, monkeypatch, capsys):
    from tests.service.conftest import build_fake_index

    fake_index = build_fake_index(seeds_dir, tmp_path / "index")
    monkeypatch.delenv(SETTINGS_FILE_ENV, raising=False)
    monkeypatch.setenv("PRACTICE_SEARCH_TEST_ENCODER", "tests.fakes:FakeEncoder")
    path = tmp_path / "small.toml"
    path.write_text("max_k = 3\n", encoding="utf-8")
    try:
        assert main(["--settings", str(path), "search", "migrants", "--index", str(fake_index), "--k", "5"]) == 2
        assert "from 1 to 3" in capsys.readouterr().err
        assert main(["--settings", str(path), "search", "migrants", "--index", str(fake_index), "--k", "3"]) == 0
        path.write_text("max_k = 0\n", encoding="utf-8")
        assert main(["--settings", str(path), "search", "migrants", "--index", str(fake_index)]) == 2
        assert "max_k" in capsys.readouterr().err
        assert main(["--settings", str(tmp_path / "none.toml"), "search", "x", "--index", str(fake_index)]) == 2
        assert "settings file not found" in capsys.readouterr().err
    finally:
        os.environ.pop(SETTINGS_FILE_ENV, None)  # set by main(); not monkeypatch's (it would restore it)
        get_settings.cache_clear()
