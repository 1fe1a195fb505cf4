"""One settings object: environment variables, defaults, the database choice, a server's check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.settings import Settings, SettingsError

from .conftest import ROOT


def test_defaults_and_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("GIGALINE_DB", "GIGALINE_SIM_JIT", "GIGALINE_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    s = Settings.load()
    assert (s.db, s.sim_jit, s.cache_dir) == (None, True, tmp_path / "xdg" / "gigaline")
    assert s.kernel_cache_dir == tmp_path / "xdg" / "gigaline" / "numba"
    monkeypatch.setenv("GIGALINE_DB", "postgresql+psycopg://u@h/plant")
    monkeypatch.setenv("GIGALINE_SIM_JIT", "off")
    monkeypatch.setenv("GIGALINE_CACHE_DIR", str(tmp_path / "c"))
    s = Settings.load()
    assert (s.db, s.sim_jit, s.cache_dir) == (
        "postgresql+psycopg://u@h/plant",
        False,
        tmp_path / "c",
    )
    assert Settings.load(db="x.db").db == "x.db"  # explicit values win over the environment


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIGALINE_SIM_JIT", "maybe")
    with pytest.raises(SettingsError) as err:
        Settings.load()
    assert err.value.field == "GIGALINE_SIM_JIT" and err.value.value == "maybe"
    assert str(err.value).startswith("GIGALINE_SIM_JIT 'maybe': ")


def test_the_database_choice_and_the_servers_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    s = Settings.load()
    assert (s.database().value, s.database().source) == ("gigaline.db", "default")
    assert s.database().implicit and not s.database("a.db").implicit
    assert s.database("a.db").source == "--db"
    with pytest.raises(SettingsError, match="a server needs its database named"):
        s.require_explicit_database()
    assert s.require_explicit_database("sqlite:///plant.db") == "sqlite:///plant.db"
    monkeypatch.setenv("GIGALINE_DB", "plant.db")
    s = Settings.load()
    assert s.database().source == "GIGALINE_DB" and s.require_explicit_database() == "plant.db"


def test_the_cli_says_which_file_it_uses_when_none_is_given(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("GIGALINE_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["mes", "init", str(ROOT / "tests/mes/lines/mini.yaml"), "--json"]) == 0
    out = capsys.readouterr()
    assert f"database: {tmp_path / 'gigaline.db'} (the default" in out.err
    assert '"stations":18' in out.out  # stdout keeps the one JSON object
    assert main(["holds", "--db", str(tmp_path / "gigaline.db")]) == 0
    assert "database:" not in capsys.readouterr().err  # named: nothing to say


def test_configuration_doc_lists_every_setting() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`GIGALINE_{name.upper()}`" in doc, name
    documented = set(re.findall(r"`(GIGALINE_[A-Z_]+)`", doc))
    code = {f"GIGALINE_{n.upper()}" for n in Settings.model_fields}
    # beyond the settings, only the variables of the tests and benchmarks, marked as such
    assert documented - code <= {"GIGALINE_REQUIRE_SERVICES", "GIGALINE_TEST_PG_URL",
                                 "GIGALINE_BENCH_PG"}  # fmt: skip
