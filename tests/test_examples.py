"""The example lines are package data: one copy, listed and copied by ``gigaline examples``,
and the commands that default to the reference line work from an installed wheel outside the
repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from gigaline.cli import main
from gigaline.errors import FieldError, GigalineError
from gigaline.model import load_line
from gigaline.model.examples import (
    REFERENCE_LINE,
    copy_example,
    examples,
    examples_dir,
    reference_line_path,
)
from gigaline.sim import load_scenarios
from tests.conftest import ROOT

PACKAGE_EXAMPLES = ROOT / "src" / "gigaline" / "examples"


def test_the_repository_examples_folder_is_the_package_data() -> None:
    # one copy: examples/ of the checkout is a link to the package's folder, never a second copy
    link = ROOT / "examples"
    assert link.is_symlink(), "examples/ must be a symbolic link to src/gigaline/examples"
    assert link.resolve() == PACKAGE_EXAMPLES.resolve()
    assert examples_dir().resolve() == PACKAGE_EXAMPLES.resolve()


def test_every_example_is_listed_described_and_loads() -> None:
    shipped = {e.name: e for e in examples()}
    on_disk = {p.stem for p in PACKAGE_EXAMPLES.glob("*.yaml")}
    assert set(shipped) == on_disk
    assert {"abf-lfp-20gwh", "two-machine", "five-step", "oee-example"} <= set(shipped)
    # every file of the folder is copied with some example (nothing shipped is unreachable)
    copied = {f for e in shipped.values() for f in e.files}
    assert copied == {p.name for p in PACKAGE_EXAMPLES.iterdir()}
    for e in shipped.values():
        assert e.title and len(e.description) > 20, e.name
        if e.kind == "line":
            assert len(load_line(e.path).steps) == e.steps
        else:
            scenarios = load_scenarios(e.path)
            assert len(scenarios.base.steps) == e.steps, e.name
            assert scenarios.base.name == load_line(PACKAGE_EXAMPLES / e.files[1]).name
    assert shipped["oee-example"].files == ("oee-example.yaml", "oee-example.ndjson")
    assert shipped["buffer-study"].files == ("buffer-study.yaml", "two-machine.yaml")
    assert reference_line_path() == shipped[REFERENCE_LINE].path
    assert load_line(reference_line_path()).steps[0].id


def test_copy_writes_every_needed_file_and_refuses_to_overwrite(tmp_path: Path) -> None:
    dest = tmp_path / "new" / "folder"
    written = copy_example("buffer-study", dest)
    assert [p.name for p in written] == ["buffer-study.yaml", "two-machine.yaml"]
    for p in written:
        assert p.read_bytes() == (PACKAGE_EXAMPLES / p.name).read_bytes()
    assert len(load_scenarios(dest / "buffer-study.yaml").scenarios) == 3  # runs where copied
    # one of the two files exists: nothing is written, and the message names it
    (dest / "buffer-study.yaml").unlink()
    (dest / "two-machine.yaml").write_text("mine", encoding="utf-8")
    with pytest.raises(GigalineError, match=r"two-machine\.yaml already there; give --force"):
        copy_example("buffer-study", dest)
    assert not (dest / "buffer-study.yaml").exists()
    assert (dest / "two-machine.yaml").read_text(encoding="utf-8") == "mine"
    copy_example("buffer-study.yaml", dest, force=True)
    assert (dest / "two-machine.yaml").read_bytes() == (
        PACKAGE_EXAMPLES / "two-machine.yaml"
    ).read_bytes()


@pytest.mark.parametrize("name", ["nope", "", "../abf-lfp-20gwh", "examples/two-machine"])
def test_an_unknown_example_names_the_known_ones(name: str, tmp_path: Path) -> None:
    with pytest.raises(FieldError, match="one of the shipped examples: abf-lfp-20gwh, "):
        copy_example(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_copy_into_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    with pytest.raises(FieldError, match="must be a folder"):
        copy_example("two-machine", tmp_path / "f")


def test_the_command_lists_and_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["examples", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in listed] == [e.name for e in examples()]
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    for e in examples():
        assert e.name in out
    assert main(["examples", "copy", "oee-example"]) == 0
    assert "wrote oee-example.ndjson" in capsys.readouterr().out
    assert main(["examples", "copy", "oee-example"]) == 2
    assert "give --force" in capsys.readouterr().err
    assert main(["examples", "copy", "oee-example", "--force"]) == 0
    assert main(["examples", "copy", "missing"]) == 2
    assert "error: example 'missing': one of the shipped examples" in capsys.readouterr().err


# -- from an installed wheel, outside the repository -----------------------------------------

_OUTSIDE = r"""
import json, sys
import gigaline
from pathlib import Path
assert not Path(gigaline.__file__).resolve().is_relative_to(Path(sys.argv[1])), gigaline.__file__
from fastapi.testclient import TestClient
from gigaline.api import create_app
from gigaline.settings import Settings
client = TestClient(create_app(Settings(db="sqlite:///api.db", api_demo=True)))
r = client.get("/api/v1/plan/reference")
print(json.dumps({"file": gigaline.__file__, "status": r.status_code, "plan": r.json()}))
"""


@pytest.mark.slow
def test_an_installed_wheel_ships_the_examples_and_runs_outside_the_repository(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    (wheel,) = wheels.glob("gigaline-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for p in PACKAGE_EXAMPLES.iterdir():
        assert f"gigaline/examples/{p.name}" in names
    # a fresh environment: the wheel installed alone, the test venv's site for its dependencies
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    site = Path(
        sysconfig.get_path("purelib", vars={"base": str(env_dir), "platbase": str(env_dir)})
    )
    (site / "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
         "--no-deps", "--no-index", "-q", str(wheel)],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["COLUMNS"] = "200"
    exe = env_dir / "bin" / "gigaline"

    def run(*args: str) -> str:
        done = subprocess.run([str(exe), *args], cwd=work, env=env, capture_output=True,
                              text=True, timeout=600)  # fmt: skip
        assert done.returncode == 0, (args, done.stderr[-2000:])
        return done.stdout

    listing = run("examples")
    assert "abf-lfp-20gwh" in listing and str(env_dir) in listing.replace("\n", "")
    run("examples", "copy", REFERENCE_LINE)
    plan = json.loads(run("plan", f"{REFERENCE_LINE}.yaml", "--json"))
    assert plan["gwh_per_year"] == pytest.approx(20)
    # the API's reference plan reads the package's line, from a folder without examples/
    done = subprocess.run([str(env_dir / "bin" / "python"), "-c", _OUTSIDE, str(ROOT)], cwd=work,
                          env=env, capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    api = json.loads(done.stdout)
    assert api["status"] == 200 and str(env_dir) in api["file"]
    assert api["plan"]["gwh_per_year"] == pytest.approx(20)
    # gigaline demo on its default line, short (the numbers are tested in tests/cli/test_demo.py)
    out = run(
        "demo", "--no-serve", "--days", "1", "--warmup-days", "0", "--mes-days", "0.1", "--out", "d"
    )
    assert "ABF-style LFP prismatic 20 GWh reference line" in out
    assert (work / "d" / "plant.db").is_file()
