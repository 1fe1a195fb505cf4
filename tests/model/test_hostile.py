"""Hostile and broken line files: each is refused quickly with a located message, never a crash.

Each case was found by a fault battery against the loader (issue 14): a "billion laughs"
document exhausted memory, ~500 levels of nesting raised RecursionError, a 50 MB file was parsed
for minutes, and a key given twice silently kept its last value.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gigaline.errors import LineFileError, Problem
from gigaline.model import load_line, parse_line
from gigaline.model._yaml import MAX_BYTES, MAX_DEPTH, MAX_NODES
from tests.conftest import ROOT
from tests.model.test_load import HEADER


def _problem(text: str, source: str = "f.yaml") -> Problem:
    with pytest.raises(LineFileError) as info:
        parse_line(text, source=source)
    assert len(info.value.problems) >= 1
    return info.value.problems[0]


def laughs(levels: int = 10, width: int = 9) -> str:
    """The billion-laughs document: each anchor repeats the one before ``width`` times."""
    rows = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        rows.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    return "\n".join(rows) + "\nname: x\n"


def test_billion_laughs_stops_at_the_value_limit() -> None:
    p = _problem(laughs())  # 9^10 = 3.5 billion values if expanded
    assert f"more than {MAX_NODES:,} values" in p.message
    assert "aliases count as the values they repeat" in p.message
    assert p.line == 7  # a6 is the first anchor whose aliases cross a million
    assert str(p).startswith("f.yaml:7: ")


def test_the_docs_show_the_message_as_it_is() -> None:
    """The billion-laughs example of docs/line-file.md ("Errors"), to the letter."""
    doc = (ROOT / "docs" / "line-file.md").read_text(encoding="utf-8")
    shown = next(row.strip() for row in doc.splitlines() if row.strip().startswith("laughs.yaml:"))
    with pytest.raises(LineFileError) as info:
        parse_line(laughs(), source="laughs.yaml")
    assert [str(p) for p in info.value.problems] == [shown]


def test_aliases_within_the_limit_load_and_merge_keys_override() -> None:
    """The example of docs/line-file.md ("Limits of the file"), as written there."""
    doc = (ROOT / "docs" / "line-file.md").read_text(encoding="utf-8")
    after = doc[doc.index("Anchors, aliases and merge keys are allowed") :]
    snippet = after[after.index("```yaml\n") + 8 : after.index("```\n", 10)]
    weld, seal, pin = parse_line(HEADER + snippet).steps
    assert weld.failures == seal.failures
    assert pin.failures is not None and pin.failures.mttr.mean_s == 45 * 60
    assert pin.failures.mtbf.mean_s == 8 * 3600


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_deep_nesting_is_refused_at_the_depth_limit(depth: int) -> None:
    p = _problem("name: " + "[" * depth + "]" * depth + "\n")
    assert f"nested more than {MAX_DEPTH} levels deep" in p.message
    assert p.line == 1


def test_nesting_at_the_limit_reaches_the_schema() -> None:
    inner = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)  # the root mapping is level 1
    p = _problem(f"name: {inner}\n")
    assert "nested" not in p.message  # parsed; the schema then refuses a list as a name


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("name: x\ndescription: >\n")
        row = "  " + "x" * 98 + "\n"
        fh.write(row * (MAX_BYTES // len(row) + 10))
    with pytest.raises(LineFileError) as info:
        load_line(big)
    (p,) = info.value.problems
    assert p.file == str(big)
    assert "a line file may be at most 16 MiB (16,777,216 bytes)" in p.message
    assert p.value == f"{big.stat().st_size:,} bytes"


def test_the_size_limit_holds_for_text_too() -> None:
    p = _problem("name: x\n#" + "x" * MAX_BYTES + "\n")
    assert "at most 16 MiB" in p.message


def test_an_endless_device_is_read_only_up_to_the_limit() -> None:
    dev = Path("/dev/zero")
    if not dev.exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(LineFileError, match="at most 16 MiB"):
        load_line(dev)


def test_a_folder_is_not_a_line_file(tmp_path: Path) -> None:
    with pytest.raises(LineFileError, match="is a folder"):
        load_line(tmp_path)


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    f = tmp_path / "latin1.yaml"
    f.write_bytes("name: Müller\n".encode("latin-1"))
    with pytest.raises(LineFileError, match="not UTF-8 text"):
        load_line(f)


DUPLICATES = {
    "top-level key": ("name: a\nname: b\n", "name", (1, 2)),
    "key of a step": (
        HEADER + "steps:\n  - id: m1\n    kind: discrete\n    cycle_time: 1 s\n    yield: 0.9\n"
        "    yield: 0.5\n",
        "steps[0].yield",
        (8, 9),
    ),
    "quoted and plain spellings": ('name: a\n"name": b\n', "name", (1, 2)),
    "in a flow mapping": ("cell: {chemistry: LFP, chemistry: NMC}\n", "cell.chemistry", (1, 1)),
    "in JSON": (
        '{"name": "t",\n "steps": [{"id": "m1",\n  "machines": 2,\n  "machines": 1}]}\n',
        "steps[0].machines",
        (3, 4),
    ),
}


@pytest.mark.parametrize("case", sorted(DUPLICATES))
def test_a_key_given_twice_is_an_error_naming_both_lines(case: str) -> None:
    text, field, (first, second) = DUPLICATES[case]
    p = _problem(text)
    assert p.field == field
    key = field.rsplit(".", 1)[-1].split("]")[-1]
    assert f"duplicate key {key!r}" in p.message
    assert p.line == second
    if first == second:
        assert f"given twice on line {second}" in p.message
    else:
        assert f"given on line {first} and again on line {second}" in p.message


def test_every_duplicate_is_reported_in_file_order() -> None:
    with pytest.raises(LineFileError) as info:
        parse_line("name: a\ncell: {a: 1, a: 2}\nname: b\n")
    assert [(p.field, p.line) for p in info.value.problems] == [("cell.a", 2), ("name", 3)]


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("a: &x [*x]\n", "inside its own anchor", 1),
        ("a: *nowhere\n", "names no anchor defined before it", 1),
        ("a: &x 1\nb: &x 2\n", "anchor &x is defined twice (first on line 1)", 2),
        ("name: a\n---\nname: b\n", "one YAML document, not several", 2),
        ("name: 2024-13-45\n", "cannot read this timestamp", 1),
        ("name: " + "9" * 5000 + "\n", "cannot read this int", 1),
        ("? [a, b]\n: 1\n", "a key must be a plain name", 1),
        ("name: !!python/object:os.system x\n", "not valid YAML", 1),
        ("name: !!binary 'not base64!'\n", "failed to decode base64", 1),
        ("name: [unclosed\n", "not valid YAML", 2),
    ],
)
def test_broken_yaml_gets_a_located_message(text: str, words: str, line: int) -> None:
    p = _problem(text)
    assert words in p.message, p.message
    assert p.line == line


def test_empty_file() -> None:
    assert "empty" in _problem("# only a comment\n").message


@pytest.mark.parametrize(
    "text",
    [
        laughs(),
        "name: " + "[" * 500 + "]" * 500 + "\n",
        "name: a\nname: b\n",
        "name: 2024-13-45\n",
        "a: &x [*x]\n",
        (ROOT / "examples" / "five-step.yaml").read_text(encoding="utf-8"),
    ],
)
def test_the_pure_python_parser_gives_the_same_answers(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where PyYAML is built without libyaml, the same composer runs on its Python parser."""
    import gigaline.model._yaml as reader

    def outcome() -> str:
        try:
            return parse_line(text, source="f.yaml").name
        except LineFileError as exc:
            return str(exc)

    fast = outcome()
    monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)
    assert outcome() == fast
