"""SIGTERM and SIGINT during a run: stop cleanly, but never half-way through the swap.

:class:`Interruptions` is the one place where a run handles signals: within its ``with`` block
SIGTERM stops the run as Ctrl+C (SIGINT) does, by raising KeyboardInterrupt, so that cleanup runs
(the temporary folder is removed, the kernel stopped, the partial notebook kept); inside
:meth:`Interruptions.held` both signals wait until the block ends, so the report folder is never
left half swapped. Outside the main thread (where Python cannot set handlers) it does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

__all__ = ["Interruptions"]


class Interruptions:
    """Within the ``with`` block SIGTERM stops the run as Ctrl+C (SIGINT) does, by raising
    KeyboardInterrupt, so cleanup runs; inside :meth:`held` both signals wait until the block
    ends, so the report folder is never left half swapped."""

    def __init__(self) -> None:
        self._active = threading.current_thread() is threading.main_thread()
        self._holding = False
        self._pending: int | None = None
        self._saved: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self._holding:
            self._pending = signum
            return
        raise KeyboardInterrupt(f"run stopped by {signal.Signals(signum).name}")

    def __enter__(self) -> Interruptions:
        if self._active:
            self._saved[signal.SIGTERM] = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold SIGTERM and SIGINT until the block ends, then stop if one came meanwhile."""
        old_int = signal.signal(signal.SIGINT, self._handle) if self._active else None
        self._holding = True
        try:
            yield
        finally:
            self._holding = False
            if self._active:
                signal.signal(signal.SIGINT, old_int)
            if self._pending is not None:
                raise KeyboardInterrupt(f"run stopped by {signal.Signals(self._pending).name}")
