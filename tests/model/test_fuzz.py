"""Fuzzing the line loader (hypothesis): whatever the text, it loads or is refused with a
LineFileError whose every problem names the file and says what is wrong; never another exception.

Four sources of input, bounded for CI (about 10 s together on the 2-core CI machine): random
text over YAML's punctuation, random documents of any shape dumped to YAML, the example line
files mutated by byte-level edits and hostile snippets, and the reference line's data with one
value swapped for a random one (deep inside the schema, where the bounds are).
"""

from __future__ import annotations

import copy
import re
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigaline.errors import LineFileError
from gigaline.model import Line, parse_line
from tests.conftest import EXAMPLES

SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
EXAMPLE_TEXTS = [
    (EXAMPLES / name).read_text(encoding="utf-8")
    for name in ("two-machine.yaml", "five-step.yaml", "abf-lfp-20gwh.yaml")
]
REFERENCE = yaml.safe_load(EXAMPLE_TEXTS[2])


def _loads_or_refuses(text: str) -> None:
    try:
        line = parse_line(text, source="fuzz.yaml")
    except LineFileError as exc:
        assert exc.problems
        for p in exc.problems:
            assert p.file == "fuzz.yaml" and p.message
            assert str(p).startswith("fuzz.yaml")
    else:
        assert isinstance(line, Line)


YAML_CHARS = (
    st.sampled_from(list("{}[]:,-?&*!|>'\"%@`#\n \t.0123456789eEinfNa_<=~")) | st.characters()
)


@SETTINGS
@given(st.text(YAML_CHARS, max_size=300))
def test_random_text(text: str) -> None:
    _loads_or_refuses(text)


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**4000, max_value=10**4400)
    | st.floats()
    | st.text(max_size=30)
    | st.sampled_from(["1 s", "-1 s", "1e308 s", "nan s", "80 m/min", "0 ms", ".inf", "1e12"])
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=40,
)


@SETTINGS
@given(documents)
def test_random_documents(doc: Any) -> None:
    try:
        text = yaml.safe_dump(doc, allow_unicode=True)
    except (yaml.YAMLError, ValueError):  # pragma: no cover - the dumper's own limits
        return
    _loads_or_refuses(text)


HOSTILE = [
    "&a [x, x]", "*a", "[*a, *a, *a, *a]", "<<: *a", "!!python/object:os.system x", "!!binary x",
    "2024-13-45", "9" * 5000, ".nan", "-.inf", "1e400 s", "? [a]\n: b", "---\n", "\x00", "\ufeff",
    "[" * 40, "{" * 40, "]" * 3, "'unclosed", "\"\\x\"", "\t", "%YAML 1.1\n", "!tag x", "~",
]  # fmt: skip


#: Where a value starts and ends in the example files (after "key: ", up to "," "}" "]" or "#").
VALUE = re.compile(r"(?<=: )[^,{}\[\]\n#]+")
VALUES = [[m.span() for m in VALUE.finditer(text)] for text in EXAMPLE_TEXTS]
NUMBERS = st.sampled_from(
    ["0", "-1", "1e308", "1.0e308", "1e-300", ".inf", ".nan", "1e308 s", "1e-300 s", "0 s", "1e12"]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    k = draw(st.integers(0, len(EXAMPLE_TEXTS) - 1))
    text = EXAMPLE_TEXTS[k]
    if draw(st.booleans()):  # one value replaced, unquoted: plain scalars reach the resolver
        i, j = draw(st.sampled_from(VALUES[k]))
        new = draw(st.sampled_from(HOSTILE) | NUMBERS | st.text(YAML_CHARS, max_size=8))
        text = text[:i] + new + text[j:]
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        edit = draw(st.sampled_from(["delete", "duplicate", "insert", "replace"]))
        if edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        elif edit == "insert":
            text = text[:i] + draw(st.sampled_from(HOSTILE)) + text[i:]
        else:
            text = text[:i] + draw(st.text(YAML_CHARS, min_size=1, max_size=3)) + text[j:]
    return text


@settings(SETTINGS, max_examples=300)
@given(mutated())
def test_mutated_example_files(text: str) -> None:
    _loads_or_refuses(text)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*path, i))
    return out


PATHS = _paths(REFERENCE)[1:]


@settings(SETTINGS, max_examples=80)
@given(st.sampled_from(PATHS), documents)
def test_one_value_of_the_reference_line_swapped(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(REFERENCE)
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    try:
        text = yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):  # pragma: no cover
        return
    _loads_or_refuses(text)
