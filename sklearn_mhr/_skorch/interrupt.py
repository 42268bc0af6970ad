"""Ctrl-C during training, kept even where Python would drop it.

Python raises KeyboardInterrupt wherever the main thread is when SIGINT
arrives. Raised inside a finaliser (an object's ``__del__``, a weakref or
garbage-collector callback: a progress bar closed at the end of an epoch, a
data loader's iterator) or inside code that catches it, the exception is
printed or dropped and training goes on. While a fit runs in the main thread
with Python's default handler in place, `interrupt_kept` installs one that
also records the signal, and every training step calls `raise_if_pending`,
so a Ctrl-C that was lost still stops training at the next batch.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["interrupt_kept", "raise_if_pending"]

_pending = False


def _record_and_raise(signum, frame):
    global _pending
    _pending = True
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupt_kept():
    """Record SIGINT while the block runs (main thread, default handler only)."""
    global _pending
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield  # another thread, or a handler of the caller's own: leave it alone
        return
    _pending = False
    signal.signal(signal.SIGINT, _record_and_raise)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _pending = False


def raise_if_pending() -> None:
    """Raise KeyboardInterrupt if a SIGINT was recorded and not yet acted on."""
    global _pending
    if _pending:
        _pending = False
        raise KeyboardInterrupt
