"""Read the YAML of a line file safely: bounded size, depth and alias expansion, no duplicate
keys, and the line of every key and item.

PyYAML alone loads hostile text in ways a loader facing users must not: a "billion laughs"
document (aliases of aliases) expands to 10^9 values in whatever walks it, ~500 levels of
nesting overflow the recursive composer (RecursionError), a 50 MB file is parsed for tens of
seconds, and a key given twice silently keeps the last value. Here the event stream of
libyaml's parser (iterative: no recursion, whatever the nesting) is composed by a loop that
stops at the first limit crossed and names it, with the file, the line and what was found.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gigaline.errors import LineFileError, Problem

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "LineIndex",
    "Path_",
    "dotted",
    "read_yaml",
    "too_large",
]

#: Largest line file [bytes]. The 20 GWh reference line is 28 kB and a generated 10,000-step
#: line about 1.3 MB: 16 MiB leaves room for long empirical time lists, and stays a few seconds
#: of parsing.
MAX_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and lists. The schema needs 6 (steps, a step, failures, mttr,
#: values, a value); 32 is far below any recursion limit of what validates the data.
MAX_DEPTH = 32
#: Most values (mappings, lists and scalars) a file may stand for, counting every alias as the
#: values it repeats. A generated 10,000-step line holds ~180,000; "billion laughs" stops here.
MAX_NODES = 1_000_000

Path_ = tuple[str | int, ...]

# libyaml's parser where PyYAML was built with it (the PyPI wheels are): 10-20x faster.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = frozenset((_STR, _MERGE, "tag:yaml.org,2002:value"))


def _fail(source: str, line: int | None, message: str, value: object = None) -> LineFileError:
    return LineFileError([Problem(source, line, "", value, message)])


def read_yaml(text: str, source: str) -> tuple[Any, LineIndex]:
    """Parse one YAML document; returns the data and the 1-based line of every key and item."""
    if len(text) * 4 > MAX_BYTES:  # at most 4 bytes a character: encode only near the limit
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_BYTES:
            raise too_large(source, size)
    try:
        loader = _Loader(text)
    except UnicodeEncodeError as exc:
        raise _fail(source, None, f"not valid YAML: not UTF-8 text ({exc.reason})") from None
    try:
        composer = _Composer(loader, source)
        node = composer.compose()
        if node is None:
            raise _fail(source, None, "the file is empty")
        index = LineIndex(node)
        if composer.duplicates:
            dups = sorted(composer.duplicates, key=lambda d: d.line)
            raise LineFileError([index.duplicate(d, source) for d in dups])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        if "nesting depth" in str(exc.problem):  # libyaml's own limit (1,000), met while scanning
            raise _too_deep(source, line, "over 1,000") from None
        raise _fail(source, line, f"not valid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise _fail(source, None, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return data, index


def _too_deep(source: str, line: int | None, level: str) -> LineFileError:
    return _fail(
        source,
        line,
        f"nested more than {MAX_DEPTH} levels deep; a line file needs 6",
        f"level {level}",
    )


def too_large(source: str, size: int) -> LineFileError:
    """The error for a file of ``size`` bytes above :data:`MAX_BYTES`."""
    return _fail(
        source,
        None,
        f"the file is {size / 2**20:,.1f} MiB; a line file may be at most "
        f"{MAX_BYTES / 2**20:g} MiB ({MAX_BYTES:,} bytes)",
        f"{size:,} bytes",
    )


@dataclass(slots=True)
class _Open:
    """A mapping or list being composed."""

    node: MappingNode | SequenceNode
    anchor: str | None
    #: values counted before this one started (its expanded size = count at its end - this)
    count_before: int
    seq: bool
    key: Node | None = None


@dataclass(frozen=True)
class _Duplicate:
    """A key given twice in one mapping."""

    mapping: MappingNode
    key: str
    first_line: int
    line: int


class _Composer:
    """Builds the node graph from parser events in a loop, counting values as aliases expand.

    (PyYAML's stubs do not type its event API, the parser's ``get_event`` and the events'
    marks: the loader and the events are ``Any`` here.)
    """

    def __init__(self, loader: Any, source: str) -> None:
        self.loader = loader
        self.source = source
        self.open: list[_Open] = []
        #: anchor -> (node, expanded size); size -1 while the node is still open
        self.anchors: dict[str, tuple[Node, int]] = {}
        self.count = 0
        self.root: Node | None = None
        self.duplicates: list[_Duplicate] = []

    def compose(self) -> Node | None:
        ld = self.loader
        ld.get_event()  # stream start
        if ld.check_event(yaml.StreamEndEvent):
            return None
        ld.get_event()  # document start
        # The hot loop: scalars (most events) are handled here, the rest in _event.
        get, resolve = ld.get_event, ld.resolve
        scalar_event: Any = yaml.ScalarEvent
        tags: dict[tuple[str, tuple[bool, bool]], str] = {}  # plain scalars repeat (keys, ids)
        while self.root is None:
            ev: Any = get()
            if type(ev) is not scalar_event:
                self._event(ev)
                continue
            tag = ev.tag
            if tag is None or tag == "!":
                memo = (ev.value, ev.implicit)
                tag = tags.get(memo)
                if tag is None:
                    tag = tags[memo] = resolve(ScalarNode, ev.value, ev.implicit)
            node = ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
            self.count += 1
            if self.count > MAX_NODES:
                self._too_many(ev)
            if ev.anchor is not None:
                self._anchor(ev, node, 1)
            if tag not in _PLAIN_TAGS:
                self._construct(node)
            self._attach(node)
        ld.get_event()  # document end
        if not ld.check_event(yaml.StreamEndEvent):
            line = ld.peek_event().start_mark.line + 1
            raise _fail(self.source, line, "a line file holds one YAML document, not several")
        return self.root

    def _event(self, event: Any) -> None:
        ev: Any = event  # PyYAML's event classes type their marks loosely
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(self.open) >= MAX_DEPTH:
                raise _too_deep(self.source, ev.start_mark.line + 1, str(len(self.open) + 1))
            seq = isinstance(event, yaml.SequenceStartEvent)
            kind = SequenceNode if seq else MappingNode
            tag = ev.tag
            if tag is None or tag == "!":
                tag = self.loader.resolve(kind, None, ev.implicit)
            coll = kind(tag, [], ev.start_mark, None, flow_style=ev.flow_style)
            self._anchor(ev, coll, -1)
            self.open.append(_Open(coll, ev.anchor, self.count, seq))
            self.count += 1
            if self.count > MAX_NODES:
                self._too_many(ev)
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            done = self.open.pop()
            done.node.end_mark = ev.end_mark
            if done.anchor is not None:
                self.anchors[done.anchor] = (done.node, self.count - done.count_before)
            if not done.seq:
                self._keys_once(done.node)  # type: ignore[arg-type]
            self._attach(done.node)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(ev)

    def _keys_once(self, mapping: MappingNode) -> None:
        seen: dict[tuple[str, str], int] = {}
        for key, _ in mapping.value:
            line = key.start_mark.line + 1
            if not isinstance(key, ScalarNode):
                raise _fail(self.source, line, "a key must be a plain name, not a list or mapping")
            if key.tag == _MERGE:
                continue  # '<<: *base' merges keys; a key given beside it overrides
            ident = (key.tag, key.value)
            first = seen.get(ident)
            if first is None:
                seen[ident] = line
            else:
                self.duplicates.append(_Duplicate(mapping, key.value, first, line))

    def _alias(self, ev: Any) -> None:
        line = ev.start_mark.line + 1
        entry = self.anchors.get(str(ev.anchor))
        if entry is None:
            raise _fail(self.source, line, f"alias *{ev.anchor} names no anchor defined before it")
        node, size = entry
        if size < 0:
            raise _fail(self.source, line, f"alias *{ev.anchor} is inside its own anchor (a cycle)")
        self.count += size
        if self.count > MAX_NODES:
            self._too_many(ev)
        self._attach(node)

    def _too_many(self, ev: Any) -> None:
        what = "an alias" if isinstance(ev, yaml.AliasEvent) else "a value"
        raise _fail(
            self.source,
            ev.start_mark.line + 1,
            f"the file stands for more than {MAX_NODES:,} values (aliases count as the "
            f"values they repeat); {what} here crosses the limit",
            f"{self.count:,} values",
        )

    def _anchor(self, ev: Any, node: Node, size: int) -> None:
        if ev.anchor is None:
            return
        first = self.anchors.get(ev.anchor)
        if first is not None:
            raise _fail(
                self.source,
                ev.start_mark.line + 1,
                f"anchor &{ev.anchor} is defined twice (first on line "
                f"{first[0].start_mark.line + 1}); give each anchor its own name",
            )
        self.anchors[ev.anchor] = (node, size)

    def _construct(self, node: ScalarNode) -> None:
        """Build a typed scalar now, so that a bad one is reported at its line.

        PyYAML's constructors raise plain ValueError or OverflowError for some scalars that
        match a type's pattern (``2024-13-45`` as a date, an integer of over 4,300 digits).
        """
        try:
            self.loader.construct_object(node)
        except yaml.MarkedYAMLError:
            raise
        except (ValueError, OverflowError, TypeError, yaml.YAMLError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            raise _fail(
                self.source,
                node.start_mark.line + 1,
                f"cannot read this {kind}: {exc}",
                node.value,
            ) from None

    def _attach(self, node: Node) -> None:
        if not self.open:
            self.root = node
            return
        top = self.open[-1]
        if top.seq:
            top.node.value.append(node)
        elif top.key is None:
            top.key = node
        else:
            top.node.value.append((top.key, node))
            top.key = None


class LineIndex(Mapping[Path_, int]):
    """The 1-based line of every key and list item, by path; built on first use (only a file
    with a problem needs it)."""

    def __init__(self, root: Node) -> None:
        self._root = root
        self._lines: dict[Path_, int] | None = None
        self._paths: dict[int, Path_] = {}

    def _built(self) -> dict[Path_, int]:
        if self._lines is None:
            self._lines = {}
            self._walk(self._root, ())
        return self._lines

    def _walk(self, node: Node, path: Path_) -> None:
        lines = self._lines
        assert lines is not None
        lines[path] = node.start_mark.line + 1
        self._paths.setdefault(id(node), path)
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode):
                    line = key.start_mark.line + 1
                    self._walk(value, (*path, key.value))
                    lines[(*path, key.value)] = line  # the key's line, not its value's
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                self._walk(item, (*path, i))

    def duplicate(self, dup: _Duplicate, source: str) -> Problem:
        """The problem of a key given twice, at the path of its mapping."""
        self._built()
        path = (*self._paths.get(id(dup.mapping), ()), dup.key)
        return Problem(
            source,
            dup.line,
            dotted(path),
            dup.key,
            f"duplicate key {dup.key!r}: given on line {dup.first_line} and again on line "
            f"{dup.line}; a key may appear once in a mapping"
            if dup.first_line != dup.line
            else f"duplicate key {dup.key!r}: given twice on line {dup.line}; a key may appear "
            "once in a mapping",
        )

    def __getitem__(self, path: Path_) -> int:
        return self._built()[path]

    def __iter__(self) -> Iterator[Path_]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def dotted(path: Path_) -> str:
    """``("steps", 0, "yield")`` as ``steps[0].yield``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
