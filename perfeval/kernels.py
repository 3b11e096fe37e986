"""Warm kernels: start a kernel once, import what the notebooks need, then run many reports on it.

Starting a Python kernel and importing pandas, matplotlib and perfeval costs about three seconds,
more than running a report. A :class:`WarmKernel` pays that once: it starts this Python's
``python3`` kernel (as :func:`perfeval.runner.run_report` does), runs the import statements of
the notebook, and before every report calls :func:`restore_state` inside the kernel, which gives the
report the state a freshly started kernel would have:

* the user namespace, ``In``/``Out``, the input history and the execution counter are reset
  (IPython's ``reset(new_session=True)``), so execution counts start at 1 as in a new kernel;
* matplotlib's ``rcParams`` are put back to what they were after start-up;
* every module's ``__warningregistry__`` is cleared, so a warning shown once is shown again;
* the working directory is the notebook's folder.

Modules stay imported, which is the point; a module that keeps its own mutable state between calls
would be shared between reports (perfeval's only cache, the parameter checks' dataset, is keyed by
the data files' modification times and sizes). The batch tests check that a report built on a
warm kernel has exactly the key figures of a standalone ``perfeval run``.

A warm kernel belongs to the thread that started it (its client's sockets live on that thread's
event loop), and every call on it must run through :func:`in_thread_context`.
:func:`thread_kernel` keeps one per thread; :func:`shutdown_all` stops every kernel
this process started, and runs by itself when the process exits.
"""

from __future__ import annotations

import ast
import atexit
import contextvars
import multiprocessing.util
import os
import threading
from pathlib import Path
from typing import Any

from perfeval.exceptions import RunError

__all__ = ["WarmKernel", "notebook_imports", "restore_state", "snapshot_state", "thread_kernel",
           "discard_thread_kernel", "in_thread_context", "shutdown_all", "ENGINE_NAME"]

ENGINE_NAME = "perfeval_warm"
_SETUP_TIMEOUT = 120
_ALL: list["WarmKernel"] = []
_ALL_LOCK = threading.Lock()
_LOCAL = threading.local()
_SNAPSHOT: dict[str, Any] = {}


# ---------------------------------------------------------------------------------------------
# Run inside the kernel


def snapshot_state() -> None:
    """Remember the kernel's start-up state that :func:`restore_state` puts back (in the kernel).

    Call once, after the warm-up imports.
    """
    import sys

    if "matplotlib" in sys.modules:
        _SNAPSHOT["rcParams"] = dict(sys.modules["matplotlib"].rcParams)


def restore_state(cwd: str) -> None:
    """Give the next report the state of a freshly started kernel (in the kernel).

    Parameters
    ----------
    cwd : str
        The folder of the notebook about to run (papermill runs a notebook in its own folder).
    """
    import gc
    import sys

    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        raise RunError("restore_state runs inside an IPython kernel only")
    shell.reset(new_session=True)
    if "rcParams" in _SNAPSHOT and "matplotlib" in sys.modules:
        rc = sys.modules["matplotlib"].rcParams
        rc.clear()
        rc.update(_SNAPSHOT["rcParams"])
    for module in list(sys.modules.values()):
        registry = getattr(module, "__warningregistry__", None)
        if isinstance(registry, dict):
            registry.clear()
    os.chdir(cwd)
    gc.collect()


# ---------------------------------------------------------------------------------------------
# Driver side


def notebook_imports(nb: Any) -> str:
    """Return the top-level ``import`` statements of a notebook's code cells, one per line.

    Cells that are not plain Python (magics, shell escapes) are skipped, as are imports nested in
    functions or conditions.
    """
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        lines += [ast.unparse(node) for node in tree.body
                  if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(dict.fromkeys(lines))


class WarmKernel:
    """A started, pre-imported kernel that runs one report after another.

    Parameters
    ----------
    cwd : str or Path
        The folder the kernel starts in (the notebook's folder).
    warmup : str
        Python run once after start-up, typically :func:`notebook_imports` of the notebook.

    Use it as ``with WarmKernel(folder, warmup) as kernel: ...``, or call :meth:`start` and
    :meth:`shutdown`. Before each report call :meth:`reset`; pass the kernel to
    :func:`perfeval.runner.run_report` as ``kernel=``.
    """

    def __init__(self, cwd: str | Path, warmup: str = "") -> None:
        self.cwd = str(Path(cwd).resolve())
        self.warmup = warmup
        self.km: Any = None
        self.kc: Any = None
        self.reports = 0
        self._thread = threading.get_ident()

    def __enter__(self) -> WarmKernel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    @property
    def pid(self) -> int | None:
        """The kernel's process id, or None when it is not running."""
        process = getattr(getattr(self.km, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def start(self) -> WarmKernel:
        """Start the kernel, connect to it and run the warm-up code.

        Raises
        ------
        RunError
            If the kernel does not start or the warm-up code fails.
        """
        from jupyter_core.utils import run_sync

        from perfeval.runner import KERNEL_NAME, _kernel_manager_class

        self._thread = threading.get_ident()
        self.km = _kernel_manager_class()(kernel_name=KERNEL_NAME)
        with _ALL_LOCK:
            _ALL.append(self)
        # nbclient's default: keep IPython's history in memory, not in a shared SQLite file
        run_sync(self.km.start_kernel)(cwd=self.cwd,
                                       extra_arguments=["--HistoryManager.hist_file=:memory:"])
        self.kc = self.km.client()
        self.kc.start_channels()
        run_sync(self.kc.wait_for_ready)(timeout=_SETUP_TIMEOUT)
        self.kc.allow_stdin = False
        self.run_code(f"{self.warmup}\n__import__('perfeval.kernels').kernels.snapshot_state()")
        return self

    def is_alive(self) -> bool:
        """True while the kernel process is running."""
        from jupyter_core.utils import run_sync

        return self.km is not None and bool(run_sync(self.km.is_alive)())

    def run_code(self, code: str, timeout: float = _SETUP_TIMEOUT) -> None:
        """Run ``code`` silently (no history, no execution count) and wait until it is done.

        Raises
        ------
        RunError
            If the code raises; the message carries the kernel's error name and value.
        """
        from jupyter_core.utils import run_sync

        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        reply = run_sync(self.kc.execute_interactive)(code, silent=True, store_history=False,
                                                      timeout=timeout, output_hook=hook)
        if reply["content"]["status"] != "ok":
            content = reply["content"]
            errors.append(f"{content.get('ename', 'Error')}: {content.get('evalue', '')}")
        if errors:
            raise RunError(f"the warm kernel could not run its set-up code: {errors[0]}")

    def reset(self, cwd: str | Path | None = None) -> None:
        """Give the next report a fresh kernel state (see :func:`restore_state`), working in
        ``cwd`` (default: the folder the kernel started in)."""
        folder = str(Path(cwd).resolve()) if cwd is not None else self.cwd
        # one expression: restore_state empties the namespace, so no name may be left behind
        self.run_code(f"__import__('perfeval.kernels').kernels.restore_state({folder!r})")
        self.reports += 1

    def engine_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that make ``papermill.execute_notebook`` run on this kernel."""
        _register_engine()
        return {"engine_name": ENGINE_NAME, "warm_kernel": self}

    def shutdown(self) -> None:
        """Stop the kernel. From the owning thread the client is closed too; from another thread
        (process exit) the kernel process is killed and its connection file removed."""
        if self.km is None:
            return
        km, kc, self.km, self.kc = self.km, self.kc, None, None
        with _ALL_LOCK:
            if self in _ALL:
                _ALL.remove(self)
        if threading.get_ident() == self._thread:
            from jupyter_core.utils import run_sync

            kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
            return
        process = getattr(km.provisioner, "process", None)
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        km.cleanup_connection_file()


def in_thread_context(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` in this thread's own :mod:`contextvars` context.

    jupyter_client finds "this thread's event loop" through a context variable, which a thread
    started by another library (a Dask worker's task thread) may have inherited from the thread
    that created it; two threads would then share one loop. Running every kernel operation of a
    thread in a context of its own gives each thread its own loop, the same one every time.
    """
    context = getattr(_LOCAL, "context", None)
    if context is None:
        context = _LOCAL.context = contextvars.Context()
    return context.run(function, *args, **kwargs)


def thread_kernel(cwd: str | Path, warmup: str = "") -> WarmKernel:
    """This thread's warm kernel, started (with ``warmup``) on first use or when it died."""
    kernel = getattr(_LOCAL, "kernel", None)
    if kernel is None or not kernel.is_alive():
        if kernel is not None:
            kernel.shutdown()
        kernel = _LOCAL.kernel = WarmKernel(cwd, warmup).start()
    return kernel


def discard_thread_kernel() -> None:
    """Shut down this thread's warm kernel (the next :func:`thread_kernel` starts a new one)."""
    kernel = getattr(_LOCAL, "kernel", None)
    _LOCAL.kernel = None
    if kernel is not None:
        kernel.shutdown()


def shutdown_all() -> int:
    """Stop every warm kernel this process started; return how many were running."""
    with _ALL_LOCK:
        kernels = list(_ALL)
    for kernel in kernels:
        try:
            kernel.shutdown()
        except Exception:  # noqa: BLE001 - best effort at exit; the kernel may be gone already
            pass
    return len(kernels)


atexit.register(shutdown_all)
# multiprocessing's worker processes leave through os._exit, which skips atexit handlers
multiprocessing.util.Finalize(None, shutdown_all, exitpriority=10)


def _register_engine() -> None:
    """Register the papermill engine that runs a notebook on a :class:`WarmKernel`."""
    from papermill.engines import NBClientEngine, papermill_engines

    if ENGINE_NAME in papermill_engines._engines:
        return

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, on a kernel that is already running and stays so."""

        @classmethod
        def execute_managed_notebook(cls, nb_man: Any, kernel_name: str, log_output: bool = False,
                                     stdout_file: Any = None, stderr_file: Any = None,
                                     start_timeout: int = 60, execution_timeout: Any = None,
                                     **kwargs: Any) -> Any:
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger

            kernel = kwargs.pop("warm_kernel")
            for unused in ("input_path", "kernel_manager_class", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = PapermillNotebookClient(
                nb_man, km=kernel.km, timeout=execution_timeout, startup_timeout=start_timeout,
                kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file, **kwargs)
            client.kc = kernel.kc  # reuse the connected client: nothing to start or stop
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
