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
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from gigaline.settings import Settings

__all__ = ["JIT_ENABLED", "jit", "jit_inline"]

F = TypeVar("F", bound=Callable[..., Any])

#: numba options; ``_nrt`` is not in numba's type stubs, hence the plain dict.
_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False, "error_model": "numpy"}

#: False when ``GIGALINE_SIM_JIT`` is ``0``, ``false``, ``no`` or ``off``
#: (:class:`gigaline.settings.Settings`; read once, at import).
JIT_ENABLED: bool = Settings.load().sim_jit


_KERNEL_FILES = ("_jit.py", "_layout.py", "_random.py", "kernel.py", "bottleneck.py")


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


def _configure_cache() -> None:
    import numba

    if not os.environ.get("NUMBA_CACHE_DIR"):
        numba.config.CACHE_DIR = _cache_dir()  # type: ignore[attr-defined]


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
    import numba

    _configure_cache()
    # _nrt=False: the kernel allocates nothing, and without the runtime numba does not count
    # references on every array passed between kernel functions (atomic operations that
    # otherwise took most of the time).
    compiled: F = numba.njit(**_OPTIONS, pipeline_class=_pipeline())(fn)
    return compiled


def jit_inline(fn: F) -> F:
    """Like :func:`jit`, but always inlined into its callers by LLVM.

    For the helpers on the hot path: a call passes the whole state tuple (about 250 machine
    words), which costs more than most helpers themselves. LLVM-level inlining (``forceinline``)
    removes that and keeps the first compilation at about 20 s; numba's own IR-level inlining
    (``inline="always"``) ran just as fast but took minutes to compile.
    """
    if not JIT_ENABLED:
        return fn
    import numba

    _configure_cache()
    compiled: F = numba.njit(**_OPTIONS, forceinline=True, pipeline_class=_pipeline())(fn)
    return compiled
