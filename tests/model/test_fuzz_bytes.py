"""Fuzzing the line loader from the bytes of a file (issue 14, item 8).

``tests/model/test_fuzz.py`` fuzzes :func:`gigaline.model.parse_line` on text; this goes one
step earlier, through :func:`gigaline.model.load_line` on files: random bytes and the example
files edited at the byte level (bytes that are not UTF-8, byte-order marks, NUL bytes, CR line
ends, truncation). Every file loads, or is refused with a
:class:`~gigaline.errors.LineFileError` (a :class:`~gigaline.errors.GigalineError`) whose every
problem names the file and says what is wrong; never another exception. Bounded for CI: about
2 s.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gigaline.errors import GigalineError, LineFileError
from gigaline.model import Line, load_line
from tests.conftest import EXAMPLES

EXAMPLE_BYTES = [(EXAMPLES / n).read_bytes() for n in ("two-machine.yaml", "five-step.yaml")]
_PIECES = [b"\xff", b"\xfe\xff", b"\xef\xbb\xbf", b"\x00", b"\r", b"\r\n", b"\xc3", b"\xed\xa0\x80",
           b"\xf4\x90\x80\x80", b"&a [*a]", b"\t", b": ", b"- "]  # fmt: skip


@st.composite
def _files(draw: st.DrawFn) -> bytes:
    if draw(st.integers(min_value=0, max_value=3)) == 0:
        return draw(st.binary(max_size=200))
    data = bytearray(draw(st.sampled_from(EXAMPLE_BYTES)))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        i = draw(st.integers(min_value=0, max_value=len(data)))
        j = min(len(data), i + draw(st.integers(min_value=0, max_value=12)))
        data[i:j] = draw(st.sampled_from(_PIECES) | st.binary(max_size=3))
    if draw(st.integers(min_value=0, max_value=5)) == 0:
        data = data[: draw(st.integers(min_value=0, max_value=len(data)))]  # cut short
    return bytes(data)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_files())
def test_any_file_loads_or_is_refused_with_reasons(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    try:
        line = load_line(path)
    except LineFileError as exc:
        assert isinstance(exc, GigalineError) and exc.problems
        for p in exc.problems:
            assert p.file == str(path) and p.message, p
    else:
        assert isinstance(line, Line)
