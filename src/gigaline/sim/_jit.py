"""The one switch between the compiled kernel and pure Python.

The kernel is plain Python over numpy arrays. By default every kernel function is compiled with
``numba.njit(cache=True)``; with the setting ``GIGALINE_SIM_JIT=0`` (read once, at
import) the very same functions run as ordinary Python, slowly, for debugging and for the tests
that check both modes give the same numbers.

**No negative indices.** numba, like Python, reads ``a[-1]`` as the last element, so every
array access with a signed index first tests the sign and adds the length: three instructions
on the address of each of the kernel's several hundred accesses, which measured 17 % of the
kernel's time on the SimPy benchmark line. The kernel never indexes from the end (an index is
always a position it computed, and ``-1`` sentinels are tested before use), so its functions
are compiled by a numba pipeline that lowers signed indices as they are. Compiled with
``NUMBA_BOUNDSCHECK=1``, a negative index raises ``IndexError`` instead of wrapping around;
``tests/sim/test_jit.py`` runs the test lines that way. Nothing outside gigaline's kernel is
affected: the change applies only while numba lowers these functions, under numba's compiler
lock.

**The cache.** Compiling takes about a minute, once: the compiled kernel is kept in
``GIGALINE_CACHE_DIR`` (``NUMBA_CACHE_DIR``, if set, wins), one directory per version of the
kernel's sources. A directory that cannot be written is a :class:`KernelCacheWarning` naming it
and the reason; numba then keeps the kernel where it can (next to the sources, or in the
user's cache), and where it can nowhere, the kernel is compiled on every run, which the warning
says. :func:`kernel_cache` tells whether the kernel is compiled and cached already, so that the
command line says so, with a spinner, before the minute of silence.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from gigaline.settings import Settings

__all__ = ["JIT_ENABLED", "KernelCache", "KernelCacheWarning", "jit", "jit_inline", "kernel_cache"]

F = TypeVar("F", bound=Callable[..., Any])

#: numba options; ``_nrt`` is not in numba's type stubs, hence the plain dict.
_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False, "error_model": "numpy"}

#: False when ``GIGALINE_SIM_JIT`` is ``0``, ``false``, ``no`` or ``off``
#: (:class:`gigaline.settings.Settings`; read once, at import).
JIT_ENABLED: bool = Settings.load().sim_jit


_KERNEL_FILES = ("_jit.py", "_layout.py", "_random.py", "kernel.py", "bottleneck.py")
#: The modules whose functions are compiled (their dispatchers are the cache's entries).
_KERNEL_MODULES = ("gigaline.sim._random", "gigaline.sim.kernel", "gigaline.sim.bottleneck")
#: Functions that numba could cache nowhere: compiled again on every run.
_UNCACHED: list[str] = []


class KernelCacheWarning(UserWarning):
    """The compiled kernel cannot be kept where gigaline's settings put it."""


def _cache_dir() -> str:
    """Where compiled kernels are cached: one directory per version of the kernel's sources.

    numba checks only the timestamp of the file that defines a cached function, not of the
    functions it calls from other modules (the samplers, the layout constants), so a changed
    sampler would otherwise keep running its old compiled code. Keying the directory by a hash
    of every kernel source file rules that out. ``NUMBA_CACHE_DIR``, if set, is respected.
    """
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in _KERNEL_FILES:
        digest.update((here / name).read_bytes())
    return str(Settings.load().kernel_cache_dir / digest.hexdigest()[:16])


def _unwritable(path: Path) -> str | None:
    """Why ``path`` cannot hold cache files (``None``: it can), tried as numba tries it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


@cache
def _cache_choice() -> tuple[Path, str | None]:
    """The directory the settings ask for, and why it cannot be written (``None``: it can)."""
    given = os.environ.get("NUMBA_CACHE_DIR")
    wanted = Path(given) if given else Path(_cache_dir())
    problem = _unwritable(wanted)
    if problem is not None:
        source = "NUMBA_CACHE_DIR" if given else "GIGALINE_CACHE_DIR"
        problem = f"the kernel cache directory {wanted} ({source}) cannot be written: {problem}"
        warnings.warn(
            f"{problem}; the compiled simulation kernel is kept elsewhere if it can be, else "
            "compiled again on every run (about a minute): set GIGALINE_CACHE_DIR to a "
            "writable directory",
            KernelCacheWarning,
            stacklevel=2,
        )
    return wanted, problem


def _configure_cache() -> None:
    import numba

    wanted, _ = _cache_choice()
    if not os.environ.get("NUMBA_CACHE_DIR"):
        numba.config.CACHE_DIR = str(wanted)  # type: ignore[attr-defined]


@cache
def _loading_cache() -> type:
    """numba's function cache, loading a cached kernel without first "refreshing" the target.

    numba refreshes its CPU target before every load from its cache: that imports and
    registers the implementation of every feature numba has (its linear algebra, and with it
    scipy.linalg; the random generators, the typed containers ...), 0.5 to 0.9 s of a warm
    ``gigaline simulate`` on this machine. A cached kernel needs none of it: its machine code
    is linked already, and calls only numba's C helpers, which are registered with LLVM when
    the target is created. So this cache loads first and refreshes only when the load misses,
    just before numba compiles (which does need every registry). numba's runtime (NRT) is
    not initialised either (it compiles LLVM code of its own, 0.1 s): the kernel is compiled
    without it (``_nrt=False``), so its machine code names no NRT symbol. Only the kernel's
    functions use this cache (:func:`_njit`).
    """
    from numba.core.caching import FunctionCache

    class KernelFunctionCache(FunctionCache):  # type: ignore[misc]
        def load_overload(self, sig: Any, target_context: Any) -> Any:
            with self._guard_against_spurious_io_errors():  # type: ignore[no-untyped-call]
                loaded = self._load_overload(sig, target_context)  # type: ignore[no-untyped-call]
            if loaded is None:  # numba compiles next: it needs the whole target
                target_context.refresh()
            return loaded

    return KernelFunctionCache


def _njit(fn: F, **options: Any) -> F:
    """``numba.njit`` with the kernel's options; uncached where numba can cache nowhere."""
    import numba
    from numba.core.caching import FunctionCache

    _configure_cache()
    options = {**_OPTIONS, **options, "pipeline_class": _pipeline()}
    try:
        compiled: F = numba.njit(**options)(fn)
    except RuntimeError as exc:  # numba: "cannot cache function ...: no locator available"
        if "no locator available" not in str(exc):
            raise
        _UNCACHED.append(fn.__qualname__)
        compiled = numba.njit(**{**options, "cache": False})(fn)
    cache_: Any = getattr(compiled, "_cache", None)
    if type(cache_) is FunctionCache and options["_nrt"] is False:
        cache_.__class__ = _loading_cache()  # the same cache, loading faster (no state added)
    return compiled


@dataclass(frozen=True)
class KernelCache:
    """Where the compiled kernel is kept, and whether it is compiled already."""

    #: False in pure-Python mode (``GIGALINE_SIM_JIT=0``): nothing is compiled.
    enabled: bool
    #: The directory gigaline's settings ask for.
    wanted: Path | None
    #: Where numba keeps the kernel (``None``: nowhere, it is compiled on every run).
    used: Path | None
    #: Every kernel function has a compiled version in the cache for these sources.
    warm: bool
    #: Why ``wanted`` is not used (``None``: it is).
    problem: str | None

    @property
    def message(self) -> str | None:
        """The warning a user should read about this cache, or ``None``."""
        if self.problem is None and self.used is not None:
            return None
        where = (
            f"kept in {self.used} instead"
            if self.used is not None
            else "cached nowhere: every run compiles it again (about a minute)"
        )
        what = self.problem or "numba found no writable cache directory"
        return (
            f"{what}; the compiled simulation kernel is {where}. Set GIGALINE_CACHE_DIR to a "
            "writable directory"
        )


def kernel_cache() -> KernelCache:
    """The state of the compiled kernel's cache, read without compiling anything.

    Loads the kernel's modules (their functions are numba dispatchers, compiled on first call)
    and reads each function's cache index: ``warm`` when every one has a compiled version for
    the sources as they are now (numba drops an index whose source file changed).
    """
    if not JIT_ENABLED:
        return KernelCache(False, None, None, True, None)
    import importlib

    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KernelCacheWarning)  # said by .message instead
        modules = [importlib.import_module(name) for name in _KERNEL_MODULES]
        wanted, problem = _cache_choice()
    dispatchers = {id(v): v for m in modules for v in vars(m).values() if isinstance(v, Dispatcher)}
    used: Path | None = None
    warm = True
    for d in dispatchers.values():
        cache_: Any = d._cache  # type: ignore[attr-defined]
        if isinstance(cache_, NullCache):
            warm = False
            continue
        used = Path(cache_._cache_path)
        if d.overloads:  # compiled (or loaded) in this process already
            continue
        try:
            warm = warm and bool(cache_._cache_file._load_index())
        except Exception:  # an unreadable index: numba compiles again, so do we say
            warm = False
    if _UNCACHED:
        used = None
    if used is not None and used.parent != wanted and problem is None:
        problem = f"the kernel cache directory {wanted} is not used by numba"
    return KernelCache(True, wanted, used, warm, problem)


@contextmanager
def _signed_indices_as_is() -> Iterator[None]:
    """While numba lowers a kernel function: index arrays without wrapping negative indices."""
    from numba.core import types
    from numba.np import arrayobj

    def fix_integer_index(context: Any, builder: Any, idxty: Any, idx: Any, size: Any) -> Any:
        if idxty.signed:
            return context.cast(builder, idx, idxty, types.intp)
        return context.cast(builder, idx, idxty, types.uintp)

    original = arrayobj.fix_integer_index
    arrayobj.fix_integer_index = fix_integer_index
    try:
        yield
    finally:
        arrayobj.fix_integer_index = original


@cache
def _pipeline() -> type:
    """numba's nopython pipeline, its lowering pass under :func:`_signed_indices_as_is`."""
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import register_pass
    from numba.core.typed_passes import NativeLowering

    @register_pass(mutates_CFG=True, analysis_only=False)  # type: ignore[no-untyped-call]
    class KernelLowering(NativeLowering):  # type: ignore[misc]
        # numba refuses a second pass of the same name: unique per load of this module
        _name = f"gigaline_kernel_lowering_{id(_signed_indices_as_is):x}"

        def run_pass(self, state: Any) -> bool:
            with _signed_indices_as_is():
                return bool(super().run_pass(state))  # type: ignore[no-untyped-call]

    class KernelCompiler(CompilerBase):  # type: ignore[misc]
        def define_pipelines(self) -> list[Any]:
            pm = DefaultPassBuilder.define_nopython_pipeline(self.state)  # type: ignore[no-untyped-call]
            swapped = [(p, d) for p, d in pm.passes if p is NativeLowering]
            if len(swapped) != 1:  # a numba whose pipeline we do not know: lower as numba does
                return [pm]
            pm.passes = [(KernelLowering if p is NativeLowering else p, d) for p, d in pm.passes]
            pm.finalize()
            return [pm]

    return KernelCompiler


def jit(fn: F) -> F:
    """Compile ``fn`` with numba (cached on disk), or return it unchanged in pure-Python mode."""
    if not JIT_ENABLED:
        return fn
    # _nrt=False: the kernel allocates nothing, and without the runtime numba does not count
    # references on every array passed between kernel functions (atomic operations that
    # otherwise took most of the time).
    return _njit(fn)


def jit_inline(fn: F) -> F:
    """Like :func:`jit`, but always inlined into its callers by LLVM.

    For the helpers on the hot path: a call passes the whole state tuple (about 250 machine
    words), which costs more than most helpers themselves. LLVM-level inlining (``forceinline``)
    removes that and keeps the first compilation at about 20 s; numba's own IR-level inlining
    (``inline="always"``) ran just as fast but took minutes to compile.
    """
    if not JIT_ENABLED:
        return fn
    return _njit(fn, forceinline=True)
