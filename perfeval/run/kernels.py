"""Warm kernels: start a kernel once, import what the notebooks need, then run many reports on it.

Starting a Python kernel and importing pandas, matplotlib and perfeval costs about two to three
seconds, about half of running a report. A :class:`WarmKernel` starts this Python's ``python3``
kernel with the import statements of the notebook run during its start-up (:func:`preload`,
through IPython's ``exec_lines``, in a throwaway namespace), so the imports happen before the
kernel says it is ready and while the caller does other work: :meth:`WarmKernel.launch` returns as
soon as the process is started, :meth:`WarmKernel.ready` waits for it. A single
:func:`perfeval.run.runner.run_report` checks its parameters against the data while its kernel
starts and stops the kernel in the background (:meth:`WarmKernel.shutdown_in_background`) while it
writes the HTML. A batch pays the start once per worker: before every further report it calls
:func:`restore_state` inside the kernel, which gives the report the state a freshly started kernel
would have:

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
event loop); in a thread that another library started (a Dask worker's) every call on it must
run through :func:`in_thread_context`.
:func:`thread_kernel` keeps one per thread; :func:`shutdown_all` stops every kernel
this process started, and runs by itself when the process exits.
"""

from __future__ import annotations

import ast
import atexit
import contextvars
import json
import multiprocessing.util
import os
import threading
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import RunError

__all__ = [
    "WarmKernel",
    "notebook_imports",
    "read_notebook_imports",
    "preload",
    "restore_state",
    "snapshot_state",
    "thread_kernel",
    "discard_thread_kernel",
    "in_thread_context",
    "shutdown_all",
    "ENGINE_NAME",
]

#: The Jupyter kernel every report runs on.
KERNEL_NAME = "python3"

ENGINE_NAME = "perfeval_warm"
_SETUP_TIMEOUT = 120
_ALL: list[WarmKernel] = []
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


def preload(code: str) -> None:
    """Run import statements in a throwaway namespace, then :func:`snapshot_state` (in the kernel).

    Called through IPython's ``exec_lines`` while the kernel starts, so the modules are imported
    but no name is defined in the notebook's namespace. An import that fails is left for the
    notebook's own import cell to report (with the cell and the traceback); it is remembered in
    ``_SNAPSHOT["preload_error"]``.
    """
    try:
        exec(compile(code, "<perfeval preload>", "exec"), {})  # noqa: S102 - the notebook's imports
    except Exception as err:  # noqa: BLE001 - reported by the notebook's import cell instead
        _SNAPSHOT["preload_error"] = f"{type(err).__name__}: {err}"
    snapshot_state()


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

    ``nb`` is an ``nbformat.NotebookNode`` or the notebook's JSON as read by :mod:`json`. Cells
    that are not plain Python (magics, shell escapes) are skipped, as are imports nested in
    functions or conditions.
    """
    lines: list[str] = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"]
        try:
            tree = ast.parse(source if isinstance(source, str) else "".join(source))
        except SyntaxError:
            continue
        lines += [
            ast.unparse(node)
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom))
        ]
    return "\n".join(dict.fromkeys(lines))


def read_notebook_imports(path: str | Path) -> str:
    """:func:`notebook_imports` of the notebook file at ``path``, read as plain JSON (without
    nbformat, whose import is slow)."""
    return notebook_imports(json.loads(Path(path).read_text(encoding="utf-8")))


def kernel_manager_class() -> type:
    """jupyter_client's kernel manager, provisioning CurveZMQ keys when the kernel supports
    them, so the local kernel's traffic is encrypted (and ipykernel does not warn about it)."""
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import default

    class ReportKernelManager(AsyncKernelManager):
        @default("transport_encryption")
        def _default_transport_encryption(self) -> str:
            return "auto"

    return ReportKernelManager


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
    :func:`perfeval.run.runner.run_report` as ``kernel=``.
    """

    def __init__(self, cwd: str | Path, warmup: str = "") -> None:
        self.cwd = str(Path(cwd).resolve())
        self.warmup = warmup
        self.km: Any = None
        self.kc: Any = None
        self.reports = 0
        self._thread = threading.get_ident()
        self._ready = False
        self._stopping: threading.Thread | None = None

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
        """Start the kernel, with the warm-up code run during its start-up, and wait until it is
        ready (:meth:`launch`, then :meth:`ready`).

        Raises
        ------
        RunError
            If the kernel does not start.
        """
        return self.launch().ready()

    def launch(self) -> WarmKernel:
        """Start the kernel process and connect to it, without waiting for it to be ready.

        The warm-up code runs in the kernel (:func:`preload`) while the caller goes on.
        """
        from jupyter_core.utils import run_sync

        self._thread = threading.get_ident()
        self._ready = False
        self._stopping = None
        self.km = kernel_manager_class()(kernel_name=KERNEL_NAME)
        with _ALL_LOCK:
            _ALL.append(self)
        preload_line = f"__import__('perfeval.run.kernels').run.kernels.preload({self.warmup!r})"
        # nbclient's default: keep IPython's history in memory, not in a shared SQLite file
        run_sync(self.km.start_kernel)(
            cwd=self.cwd,
            extra_arguments=[
                "--HistoryManager.hist_file=:memory:",
                f"--IPKernelApp.exec_lines={preload_line}",
            ],
        )
        self.kc = self.km.client()
        self.kc.start_channels()
        return self

    def ready(self) -> WarmKernel:
        """Wait until the launched kernel has run its warm-up code and answers.

        Raises
        ------
        RunError
            If the kernel was not launched or does not answer within two minutes.
        """
        from jupyter_core.utils import run_sync

        if self.kc is None:
            raise RunError("the warm kernel is not running; call launch() or start() first")
        if not self._ready:
            try:
                run_sync(self.kc.wait_for_ready)(timeout=_SETUP_TIMEOUT)
            except RuntimeError as err:
                raise RunError(f"the report kernel did not start: {err}") from err
            self.kc.allow_stdin = False
            self._ready = True
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

        reply = run_sync(self.kc.execute_interactive)(
            code, silent=True, store_history=False, timeout=timeout, output_hook=hook
        )
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
        self.run_code(f"__import__('perfeval.run.kernels').run.kernels.restore_state({folder!r})")
        self.reports += 1

    def engine_kwargs(self) -> dict[str, Any]:
        """The keyword arguments that make ``papermill.execute_notebook`` run on this kernel."""
        _register_engine()
        return {"engine_name": ENGINE_NAME, "warm_kernel": self}

    def shutdown(self) -> None:
        """Stop the kernel. From the owning thread the client is closed too; from another thread
        (process exit) the kernel process is killed and its connection file removed. After
        :meth:`shutdown_in_background`, wait until the kernel has stopped."""
        if self.km is None:
            if self._stopping is not None:
                self._stopping.join()
                self._stopping = None
            return
        km, kc = self._detach()
        if threading.get_ident() == self._thread:
            from jupyter_core.utils import run_sync

            if kc is not None:
                kc.stop_channels()
            if km.has_kernel:
                run_sync(km.shutdown_kernel)(now=True)
            return
        _kill(km)

    def shutdown_in_background(self) -> threading.Thread | None:
        """Stop the kernel without waiting for it: close the client now (from the owning thread)
        and kill the process in a thread, which is returned for the caller to ``join``."""
        if self.km is None:
            return None
        km, kc = self._detach()
        kc.stop_channels()
        self._stopping = threading.Thread(target=_kill, args=(km,), name="perfeval-kernel-stop")
        self._stopping.start()
        return self._stopping

    def _detach(self) -> tuple[Any, Any]:
        km, kc, self.km, self.kc, self._ready = self.km, self.kc, None, None, False
        with _ALL_LOCK:
            if self in _ALL:
                _ALL.remove(self)
        return km, kc


def _kill(km: Any) -> None:
    """Kill a kernel's process, wait for it and remove its connection file (from any thread)."""
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


#: Whether :func:`_register_engine` has registered the warm-kernel engine with papermill.
_ENGINE_REGISTERED = False
#: Seconds between two saves of the executed notebook while it runs (see ``SparseSaves``).
SAVE_EVERY = 2.0


def _register_engine() -> None:
    """Register the papermill engine that runs a notebook on a :class:`WarmKernel`, once, through
    papermill's public registry (``papermill_engines.register``)."""
    global _ENGINE_REGISTERED
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if _ENGINE_REGISTERED:
        return

    class SparseSaves(NotebookExecutionManager):
        """papermill's execution manager, saving the executed notebook at most every
        :data:`SAVE_EVERY` seconds while it runs, and when it ends (finished, failed or
        interrupted: papermill's ``notebook_complete`` runs in a ``finally``), rather than at the
        start and end of every cell (46 saves of about 14 ms each, one after another with the
        cells, for State of the Nation). The partial notebook that a failed or interrupted run
        keeps is the same."""

        _final = False

        def save(self, **kwargs: Any) -> None:
            elapsed = (self.now() - self.last_save_time).total_seconds()
            if self._final or elapsed >= SAVE_EVERY:
                super().save(**kwargs)

        def notebook_complete(self, **kwargs: Any) -> None:
            self._final = True
            super().notebook_complete(**kwargs)

    class WarmKernelEngine(NBClientEngine):
        """papermill's nbclient engine, on a kernel that is already running and stays so."""

        @classmethod
        def execute_notebook(
            cls,
            nb: Any,
            kernel_name: str,
            output_path: Any = None,
            progress_bar: Any = True,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            """papermill's ``Engine.execute_notebook``, with :class:`SparseSaves`."""
            nb_man = SparseSaves(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man: Any,
            kernel_name: str,
            log_output: bool = False,
            stdout_file: Any = None,
            stderr_file: Any = None,
            start_timeout: int = 60,
            execution_timeout: Any = None,
            **kwargs: Any,
        ) -> Any:
            from papermill.clientwrap import PapermillNotebookClient
            from papermill.engines import logger

            kernel = kwargs.pop("warm_kernel")
            for unused in ("input_path", "kernel_manager_class", "timeout", "startup_timeout"):
                kwargs.pop(unused, None)
            client = PapermillNotebookClient(
                nb_man,
                km=kernel.km,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
                **kwargs,
            )
            client.kc = kernel.kc  # reuse the connected client: nothing to start or stop
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
    _ENGINE_REGISTERED = True
