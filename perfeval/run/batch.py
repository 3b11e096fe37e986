"""Run many reports of one notebook: on local worker processes or on a Dask cluster.

:func:`plan_batch` turns parameter files and ``--over`` expansions into one parameter set per
report; :func:`run_batch` runs them and returns a :class:`BatchResult`. Every report is built by
:func:`perfeval.run.runner.run_report` exactly as ``perfeval run`` builds it (validation, safe
publication, manifest), so a batch report has the key figures of a standalone run. What a batch
saves is start-up: each worker starts one kernel, imports what the notebook imports, and runs its
reports one after another on it, resetting the kernel to a fresh state before each
(:mod:`perfeval.run.kernels`). A report that fails is recorded and the batch goes on.

Executors:

``local``
    ``workers`` threads of this process, each with its own warm kernel (a separate process, so
    reports run in parallel); reports are written straight into the outputs root.
``dask``
    one task per report on a Dask distributed cluster (``scheduler`` = its address, or a
    ``distributed.Client``). Every worker keeps a warm kernel per thread. The notebook and the data
    directory must be at the same paths on the workers (a shared file system or the same
    checkout): each worker checks that its notebook has the client's checksum, and the client
    checks that the report was built from data with the client's checksums. Each report is built
    in a temporary folder on the worker and its files are sent back and published in the client's
    outputs root.

Every report writes its Word document (``<stem>.docx``) when the batch says so (``docx=True``,
``perfeval batch --docx``) or, by default, when the workspace's ``[outputs] docx`` does; the
client decides once for every report, on whichever executor.

Reports are published as ``perfeval run`` publishes them (:mod:`perfeval.run.outputs`): under the
report folder's lock, so a ``perfeval run`` of the same folder at the same time is refused rather
than mixed in. A batch stopped by Ctrl+C or SIGTERM says which reports it published (they are in
the index) and which it did not get to (their previous reports are unchanged).
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import socket
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError, PerfevalError, RunError
from perfeval.run.outputs import (
    clear_leftovers,
    describe_os_error,
    hold_report,
    swap_in,
    temporary_folder,
)
from perfeval.run.workspace import Workspace, find_workspace, gather_parameters

__all__ = [
    "ReportOutcome",
    "BatchResult",
    "parse_over",
    "expand_over",
    "plan_batch",
    "run_batch",
    "run_task",
    "interruption_report",
    "decide_docx",
    "EXECUTORS",
    "CallOutcome",
    "run_calls",
]

EXECUTORS = ("local", "dask")


@dataclass(frozen=True)
class ReportOutcome:
    """What became of one report of a batch.

    Attributes
    ----------
    parameters : dict
        The parameter values given for the report.
    output_dir : str or None
        The published report folder, or None when the report failed.
    error : str or None
        Why the report failed (the runner's message), or None.
    seconds : float
        Wall time of the report on its worker.
    worker : str
        Which worker built it (host and process id).
    """

    parameters: dict[str, Any]
    output_dir: str | None
    error: str | None
    seconds: float
    worker: str

    @property
    def ok(self) -> bool:
        """True when the report was published."""
        return self.error is None


@dataclass(frozen=True)
class BatchResult:
    """The outcome of :func:`run_batch`: one :class:`ReportOutcome` per parameter set, in order."""

    outcomes: list[ReportOutcome]
    seconds: float
    index: Path | None = None
    workers: int = 1

    @property
    def failed(self) -> list[ReportOutcome]:
        """The reports that failed."""
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        """True when every report was published."""
        return not self.failed

    def summary(self) -> str:
        """A plain-text account for people: counts, time, then one paragraph per failure."""
        done = len(self.outcomes) - len(self.failed)
        rate = len(self.outcomes) / self.seconds * 60 if self.seconds > 0 else 0.0
        lines = [
            f"{done} of {len(self.outcomes)} reports published, {len(self.failed)} failed, "
            f"in {self.seconds:.1f} s on {self.workers} worker(s) "
            f"({rate:.1f} reports a minute)."
        ]
        if self.index is not None:
            lines.append(f"Index: {self.index}")
        for outcome in self.failed:
            lines.append(f"FAILED {_describe(outcome.parameters)}:")
            lines += [f"  {line}" for line in (outcome.error or "").splitlines()]
        return "\n".join(lines)


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items()) or "(defaults)"


# ---------------------------------------------------------------------------------------------
# Planning


def parse_over(text: str) -> tuple[str, list[str] | None]:
    """Parse one ``--over`` option, ``NAME=all`` or ``NAME=V1,V2,...``.

    Returns
    -------
    (name, values)
        ``values`` is None for ``all``.

    Raises
    ------
    ParameterError
        If the text has no ``=``, no name, or no values.
    """
    name, sep, raw = text.partition("=")
    values = [v.strip() for v in raw.split(",") if v.strip()]
    if not sep or not name.strip().isidentifier() or not values:
        raise ParameterError(
            [
                f"--over {text!r}: write NAME=all or NAME=VALUE1,VALUE2,... "
                f"(e.g. council=all or council=E06000017,E06000005)"
            ]
        )
    return name.strip(), None if values == ["all"] else values


def _all_values(stem: str, name: str, base: Mapping[str, Any]) -> list[Any]:
    """What ``NAME=all`` stands for: for ``council`` the members of the report's comparator group
    (or every authority when the notebook has no ``comparator_group``), else the parameter's
    choices."""
    from perfeval.run.parameters import get_schema
    from perfeval.run.schemas import dataset_for

    schema = {p.name: p for p in get_schema(stem)}
    if name not in schema:
        raise ParameterError(
            [
                f"--over {name}=all: {stem} has no parameter {name!r}; its "
                f"parameters: {', '.join(schema)}"
            ],
            notebook=stem,
        )
    values = {p.name: p.default for p in schema.values()} | dict(base)
    if name == "council":
        data = dataset_for(values)
        if "comparator_group" not in schema:
            return list(data.authorities["code"])
        groups = data.comparator_groups
        members = list(groups.loc[groups["group"] == values["comparator_group"], "authority"])
        if not members:
            raise ParameterError(
                [
                    f"--over council=all: comparator group "
                    f"{values['comparator_group']!r} has no members"
                ],
                notebook=stem,
            )
        return members
    choices = schema[name].choices
    if choices is None:
        raise ParameterError(
            [
                f"--over {name}=all: {name!r} has no fixed list of values; list "
                f"them, e.g. --over {name}=A,B"
            ],
            notebook=stem,
        )
    return list(choices)


def expand_over(
    stem: str, base: Mapping[str, Any], over: Sequence[tuple[str, list[str] | None]]
) -> list[dict[str, Any]]:
    """Return one parameter set per combination of the ``over`` values, on top of ``base``.

    Several ``over`` entries multiply: ``council=all`` then ``year=2024/25,2023/24`` give every
    council for both years, the last entry varying fastest.
    """
    axes = [
        (name, values if values is not None else _all_values(stem, name, base))
        for name, values in over
    ]
    if not axes:
        return [dict(base)]
    names = [name for name, _ in axes]
    return [
        dict(base) | dict(zip(names, combo))
        for combo in itertools.product(*(values for _, values in axes))
    ]


def plan_batch(
    notebook: str | Path,
    *,
    param_files: Sequence[str | Path] = (),
    over: Sequence[str] = (),
    overrides: Mapping[str, Any] | None = None,
    workspace: Workspace | None = None,
) -> list[dict[str, Any]]:
    """Return the parameter sets of a batch: each parameter file (or the defaults) expanded by
    every ``--over`` option, with ``overrides`` applied to all.

    Parameters
    ----------
    notebook : str or Path
        Notebook path or stem.
    param_files : sequence of paths
        YAML parameter files; each is the base of its own reports.
    over : sequence of str
        ``NAME=all`` or ``NAME=V1,V2`` (see :func:`parse_over`).
    overrides : mapping, optional
        Values set in every report (``-p NAME VALUE``); they win over the files, not over ``over``.
    workspace : perfeval.run.workspace.Workspace, optional
        The workspace: its notebooks are found by name, and each base is
        :func:`perfeval.run.workspace.gather_parameters` of its file (with no file, the workspace's
        default parameter file, else the built-in one), so the workspace's council, comparator
        group and data folder are the defaults. Without one, each base is its file's values
        (or none).

    Raises
    ------
    ParameterError
        If an option is malformed, or two reports would be written to the same folder.
    """
    from perfeval.run.parameters import get_schema, load_parameter_file, load_schemas_for
    from perfeval.run.runner import (
        report_slug,
        resolve_notebook,
        resolve_path_parameters,
        run_defaults,
    )

    nb_path = resolve_notebook(notebook, workspace)
    load_schemas_for(nb_path)
    axes = [parse_over(text) for text in over]
    if workspace is None:
        bases = [load_parameter_file(f) for f in param_files] or [{}]
    else:
        names = [p.name for p in get_schema(nb_path.stem)]
        files: list[str | Path | None] = [*param_files] if param_files else [None]
        bases = [gather_parameters(nb_path.stem, names, workspace, param_file=f) for f in files]
    sets = [
        values
        for base in bases
        for values in expand_over(nb_path.stem, base | dict(overrides or {}), axes)
    ]
    defaults = run_defaults(nb_path.stem, workspace)
    slugs: dict[str, dict[str, Any]] = {}

    def slug_of(values: Mapping[str, Any]) -> str:
        return report_slug(resolve_path_parameters(defaults | dict(values)), defaults)

    for values in sets:
        slug = slug_of(values)
        if slug in slugs and slugs[slug] != values:
            raise ParameterError(
                [
                    f"two reports would be written to the same folder {slug!r}: "
                    f"{_describe(slugs[slug])} and {_describe(values)}; make "
                    f"council or year differ, or run them as separate batches"
                ],
                notebook=nb_path.stem,
            )
        slugs[slug] = values
    return list({slug_of(v): v for v in sets}.values())


# ---------------------------------------------------------------------------------------------
# One report on a worker


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.current_thread().name}"


def run_task(task: Mapping[str, Any]) -> ReportOutcome:
    """Build one report on this thread's warm kernel and return its outcome (never raises a
    :class:`~perfeval.core.exceptions.PerfevalError`).

    ``task`` holds ``notebook`` (absolute path), ``values``, ``outputs_root``, ``warmup`` (the
    notebook's imports) and optionally ``status``, ``docx`` (True or False: write the Word
    document; None: the workspace's default) and ``workspace`` (whose defaults the report
    folder's name is compared with).
    """
    from perfeval.run.kernels import in_thread_context

    return in_thread_context(_run_task, task)


def _run_task(task: Mapping[str, Any]) -> ReportOutcome:
    from perfeval.run.kernels import discard_thread_kernel, thread_kernel
    from perfeval.run.runner import run_report

    nb_path = Path(task["notebook"])
    clock = time.monotonic()
    try:
        kernel = thread_kernel(nb_path.parent, task.get("warmup", ""))
        kernel.reset(nb_path.parent)
        result = run_report(
            nb_path,
            task["values"],
            outputs_root=task["outputs_root"],
            progress=False,
            status=task.get("status"),
            docx=task.get("docx"),
            kernel=kernel,
            workspace=task.get("workspace"),
        )
    except PerfevalError as err:
        return ReportOutcome(
            dict(task["values"]), None, str(err), time.monotonic() - clock, _worker_name()
        )
    except Exception as err:  # noqa: BLE001 - a broken kernel must not end the batch
        discard_thread_kernel()
        return ReportOutcome(
            dict(task["values"]),
            None,
            f"{type(err).__name__}: {err}",
            time.monotonic() - clock,
            _worker_name(),
        )
    return ReportOutcome(
        dict(task["values"]), str(result.output_dir), None, time.monotonic() - clock, _worker_name()
    )


def _run_local(
    tasks: list[dict[str, Any]],
    workers: int,
    done: Callable[[int, Any], None],
    run: Callable[[Mapping[str, Any]], Any] = run_task,
) -> None:
    """Run the tasks on ``workers`` threads of this process, each with its own warm kernel (the
    kernels are separate processes, so the reports run in parallel; a thread only waits for its
    kernel and exports the report). ``run`` does one task (default :func:`run_task`)."""
    from perfeval.run.kernels import discard_thread_kernel, in_thread_context, shutdown_all

    pending: queue.SimpleQueue = queue.SimpleQueue()
    for i, task in enumerate(tasks):
        pending.put((i, task))
    stop = threading.Event()

    def work() -> None:
        try:
            while not stop.is_set():
                try:
                    i, task = pending.get_nowait()
                except queue.Empty:
                    return
                done(i, run(task))
        finally:
            in_thread_context(discard_thread_kernel)

    threads = [
        threading.Thread(target=work, name=f"perfeval-batch-{n}", daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short waits, so Ctrl+C reaches this thread
    except BaseException:
        stop.set()
        shutdown_all()  # the running reports fail at once; their threads then end
        for thread in threads:
            thread.join(30)
        raise


@dataclass(frozen=True)
class CallOutcome:
    """What became of one call of :func:`run_calls`: its keyword arguments, the error (None when
    it succeeded), the seconds it took and the worker that made it."""

    arguments: dict[str, Any]
    error: str | None
    seconds: float
    worker: str

    @property
    def ok(self) -> bool:
        """True when the call returned without an error."""
        return self.error is None


#: Longest a call of :func:`run_calls` may take on its kernel, in seconds.
CALL_TIMEOUT = 1800.0


def call_code(function: str, arguments: Mapping[str, Any]) -> str:
    """The one expression a warm kernel runs for :func:`run_calls`: import ``module:function``
    and call it with the arguments (plain JSON data, so nothing but data crosses over)."""
    module, _, name = function.partition(":")
    if not module or not name.isidentifier():
        raise ParameterError([f"a call needs 'module:function'; got {function!r}"])
    text = json.dumps(dict(arguments))
    return (
        f"getattr(__import__('importlib').import_module({module!r}), {name!r})"
        f"(**__import__('json').loads({text!r}))"
    )


def _call_task(task: Mapping[str, Any]) -> CallOutcome:
    from perfeval.run.kernels import discard_thread_kernel, in_thread_context, thread_kernel

    def call() -> CallOutcome:
        clock = time.monotonic()
        try:
            kernel = thread_kernel(task["cwd"], task.get("warmup", ""))
            kernel.reset(task["cwd"])
            kernel.run_code(call_code(task["function"], task["arguments"]), timeout=CALL_TIMEOUT)
        except PerfevalError as err:
            error: str | None = str(err).replace(
                "the warm kernel could not run its set-up code: ", ""
            )
        except Exception as err:  # noqa: BLE001 - a broken kernel must not end the others
            discard_thread_kernel()
            error = f"{type(err).__name__}: {err}"
        else:
            error = None
        return CallOutcome(dict(task["arguments"]), error, time.monotonic() - clock, _worker_name())

    return in_thread_context(call)


def run_calls(
    function: str,
    calls: Sequence[Mapping[str, Any]],
    *,
    workers: int = 2,
    cwd: str | Path = ".",
    warmup: str = "",
) -> list[CallOutcome]:
    """Call a function once per set of keyword arguments on the batch's warm kernels.

    Each of ``workers`` threads keeps one warm kernel (:func:`perfeval.run.kernels.thread_kernel`,
    started once with ``warmup`` imported), resets it before every call, and runs
    ``module.function(**arguments)`` in it, so the calls run in parallel in separate processes,
    as the reports of :func:`run_batch` do. A call that fails is recorded and the rest go on.

    Parameters
    ----------
    function : str
        ``"package.module:function"``.
    calls : sequence of mappings
        The keyword arguments of each call, as plain JSON data.
    workers : int
        Threads (kernels) at once.
    cwd : str or Path
        The kernels' working folder.
    warmup : str
        Import statements every kernel runs once at start-up.

    Returns
    -------
    list of CallOutcome
        In the order of ``calls``.

    Raises
    ------
    ParameterError
        If ``function`` is not ``module:function`` or ``workers`` is not at least 1.
    """
    if not isinstance(workers, int) or workers < 1:
        raise ParameterError([f"workers must be a whole number of at least 1; got {workers!r}"])
    for arguments in calls:
        call_code(function, arguments)  # refuse a bad name or arguments before anything runs
    tasks = [
        {
            "function": function,
            "arguments": dict(a),
            "cwd": str(Path(cwd).resolve()),
            "warmup": warmup,
        }
        for a in calls
    ]
    outcomes: list[CallOutcome | None] = [None] * len(tasks)

    def done(i: int, outcome: CallOutcome) -> None:
        outcomes[i] = outcome

    if tasks:
        _run_local(tasks, min(workers, len(tasks)), done, _call_task)
    return [o for o in outcomes if o is not None]


def run_remote(task: Mapping[str, Any]) -> tuple[ReportOutcome, dict[str, bytes]]:
    """Dask task: build one report in a temporary outputs root on the worker and return its
    outcome with the report's files (relative path -> bytes) for the client to publish."""
    from perfeval.run.provenance import sha256_file

    nb_path = Path(task["notebook"])
    if not nb_path.is_file() or sha256_file(nb_path) != task["notebook_sha256"]:
        problem = "does not exist" if not nb_path.is_file() else "differs from the client's"
        return ReportOutcome(
            dict(task["values"]),
            None,
            f"on worker {_worker_name()} the "
            f"notebook {nb_path} {problem}; install the same checkout on every "
            f"worker or share the folder",
            0.0,
            _worker_name(),
        ), {}
    with tempfile.TemporaryDirectory(prefix="perfeval-batch-") as scratch:
        outcome = run_task(dict(task) | {"outputs_root": scratch})
        files: dict[str, bytes] = {}
        if outcome.ok and outcome.output_dir is not None:
            folder = Path(outcome.output_dir)
            files = {
                str(p.relative_to(folder)): p.read_bytes()
                for p in sorted(folder.rglob("*"))
                if p.is_file()
            }
            outcome = ReportOutcome(
                outcome.parameters,
                str(folder.relative_to(scratch)),
                None,
                outcome.seconds,
                outcome.worker,
            )
    return outcome, files


def _publish_gathered(
    root: Path, relative: str, files: Mapping[str, bytes], notebook: str = "a batch report"
) -> Path:
    """Write a report sent back by a worker into ``root/relative``, as a run publishes: under the
    folder's lock, built in a temporary folder and swapped in only once complete.

    Raises
    ------
    RunError
        If the folder or a file name lies outside the outputs root, or another run is publishing
        the same folder.
    OSError
        If the disk is full or read-only; the previous report is then intact.
    """
    target = (root / relative).resolve()
    if not target.is_relative_to(root) or target == root:
        raise RunError(f"a worker sent a report for {relative!r}, outside the outputs root {root}")
    with hold_report(root, target, notebook=notebook):
        clear_leftovers(root, holding=target)
        with temporary_folder(root, "gather") as tmp:
            for name, content in files.items():
                path = (tmp / name).resolve()
                if not path.is_relative_to(tmp.resolve()):
                    raise RunError(f"a worker sent a file {name!r} outside its report folder")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(content)
            swap_in(tmp, target)
    return target


def _data_mismatch(values: Mapping[str, Any], manifest: Mapping[str, Any]) -> str | None:
    """Why the worker's input files differ from the client's, or None when their checksums
    agree (the client hashes its own files for the same parameters, as the runner does)."""
    from perfeval.run.manifest import compare_inputs, input_file_hashes

    differ = compare_inputs(manifest.get("input_files", {}), input_file_hashes(values))
    if not differ:
        return None
    return (
        f"the worker's data differ from the client's in {len(differ)} file(s), first "
        f"{differ[0]}; share the data directory or copy the same files to every worker"
    )


def _gather(outcome: ReportOutcome, files: Mapping[str, bytes], root: Path) -> ReportOutcome:
    import json

    if not outcome.ok or outcome.output_dir is None:
        return outcome
    manifest = json.loads(files["manifest.json"])
    problem = _data_mismatch(outcome.parameters, manifest)
    if problem is None:
        try:
            target = _publish_gathered(
                root, outcome.output_dir, files, Path(manifest["notebook"]["path"]).name
            )
        except OSError as err:
            problem = (
                f"the report could not be written to {root}: {describe_os_error(err)}; "
                f"the previous report there (if any) is intact"
            )
        except RunError as err:
            problem = f"the report could not be written to {root}: {err}"
    if problem is not None:
        return ReportOutcome(outcome.parameters, None, problem, outcome.seconds, outcome.worker)
    return ReportOutcome(outcome.parameters, str(target), None, outcome.seconds, outcome.worker)


def _run_dask(
    tasks: list[dict[str, Any]],
    scheduler: Any,
    root: Path,
    done: Callable[[int, ReportOutcome], None],
) -> int:
    """Run the tasks on a Dask cluster; return the number of worker threads used."""
    from distributed import Client, as_completed

    from perfeval.run.kernels import shutdown_all
    from perfeval.run.provenance import sha256_file

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler)
    try:
        digest = sha256_file(Path(tasks[0]["notebook"]))
        futures = {
            client.submit(
                run_remote,
                task | {"notebook_sha256": digest},
                pure=False,
                key=f"perfeval-report-{i}-{uuid.uuid4().hex[:8]}",
            ): i
            for i, task in enumerate(tasks)
        }
        for future in as_completed(futures):
            i = futures[future]
            try:
                outcome, files = future.result()
                outcome = _gather(outcome, files, root)
            except Exception as err:  # noqa: BLE001 - a worker died or lost the task
                outcome = ReportOutcome(
                    tasks[i]["values"],
                    None,
                    f"the Dask task failed ({type(err).__name__}: {err})",
                    0.0,
                    "?",
                )
            done(i, outcome)
        return sum(client.nthreads().values())
    finally:
        client.run(shutdown_all)  # kernels are per batch: leave nothing running on the cluster
        if client is not scheduler:
            client.close()


def _write_index(root: Path) -> Path | None:
    """Rewrite the outputs root's index of reports (:func:`perfeval.run.publish.write_index`); a
    failure is a warning (the reports are published already) and gives None."""
    from perfeval.run.publish import write_index

    try:
        return write_index(root)
    except (OSError, RunError) as err:
        problem = describe_os_error(err) if isinstance(err, OSError) else str(err)
        warnings.warn(
            f"the reports are published, but the index of reports "
            f"{root / 'index.html'} was not updated ({problem}); the next run updates "
            f"it",
            stacklevel=3,
        )
        return None


def _short_list(items: Sequence[str], limit: int = 30) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def interruption_report(
    outcomes: Sequence[ReportOutcome | None],
    tasks: Sequence[Mapping],
    root: Path,
    index: Path | None,
    why: str,
) -> str:
    """What a batch stopped part way (Ctrl+C, SIGTERM) did: the report folders it published
    (relative to ``root``), the reports that failed or were stopped while running, and those it
    did not get to, whose previous reports are unchanged."""
    published = [
        _relative(Path(o.output_dir), root)
        for o in outcomes
        if o and o.ok and o.output_dir is not None
    ]
    failed = [_describe(o.parameters) for o in outcomes if o and not o.ok]
    not_run = [_describe(task["values"]) for o, task in zip(outcomes, tasks) if o is None]
    parts = [
        f"batch {why} after {len(published) + len(failed)} of {len(tasks)} reports",
        f"published {len(published)}" + (f": {_short_list(published)}" if published else ""),
        f"failed or stopped {len(failed)}" + (f": {_short_list(failed)}" if failed else ""),
        f"not run {len(not_run)}" + (f": {_short_list(not_run)}" if not_run else ""),
    ]
    where = (
        f"the index {index} lists the published ones"
        if index is not None
        else f"the index {root / 'index.html'} could not be updated"
    )
    return "; ".join(parts) + f"; {where}"


def _relative(folder: Path, root: Path) -> str:
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else str(folder)


class _Progress:
    """A progress bar on stderr (when asked) that also collects outcomes in order."""

    def __init__(self, total: int, show: bool) -> None:
        self.outcomes: list[ReportOutcome | None] = [None] * total
        self._lock = threading.Lock()
        self._bar = None
        if show:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="report", file=sys.stderr)

    def __call__(self, i: int, outcome: ReportOutcome) -> None:
        with self._lock:
            self.outcomes[i] = outcome
            if self._bar is not None:
                self._bar.update(1)
                failed = sum(1 for o in self.outcomes if o is not None and not o.ok)
                self._bar.set_postfix(failed=failed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_batch(
    notebook: str | Path,
    parameter_sets: Iterable[Mapping[str, Any]],
    *,
    outputs_root: str | Path | None = None,
    workers: int = 2,
    executor: str = "local",
    scheduler: Any = None,
    progress: bool | None = None,
    status: str | None = None,
    docx: bool | None = None,
    workspace: Workspace | None = None,
) -> BatchResult:
    """Run one report per parameter set, carrying on past failures, then write the index.

    Parameters
    ----------
    notebook : str or Path
        Notebook path or stem.
    parameter_sets : iterable of mappings
        One mapping of parameter values per report (see :func:`plan_batch`).
    outputs_root : str or Path, optional
        Where reports go; default the workspace's outputs folder.
    workers : int
        Local workers (``executor="local"``), each with its own kernel, running one report at a
        time.
    executor : {"local", "dask"}
        Where reports run (see the module docstring).
    scheduler : str or distributed.Client, optional
        The Dask scheduler's address (``tcp://host:8786``) or a connected client; needed for
        ``executor="dask"``.
    progress : bool, optional
        Show a progress bar; by default only when stderr is a terminal.
    status : str, optional
        The status label of every report (see :func:`perfeval.run.runner.run_report`).
    docx : bool, optional
        Also write every report as a Word document, ``<stem>.docx``; by default when the
        workspace's ``perfeval.toml`` says ``[outputs] docx = true``. It is decided here, on the
        client, so Dask workers write the document or not as this batch says.
    workspace : perfeval.run.workspace.Workspace, optional
        The workspace the reports belong to (as :func:`perfeval.run.runner.run_report` takes it);
        found from the current folder when neither it nor ``outputs_root`` is given.

    Returns
    -------
    BatchResult
        ``result.ok`` is False when any report failed; ``result.failed`` says which and why.

    Raises
    ------
    ParameterError
        Before anything runs, if ``executor``, ``workers``, ``scheduler`` or ``docx`` is not
        usable, or there is neither an outputs root nor a workspace.
    RunError
        Before anything runs, if the outputs root cannot be created (a read-only disk).
    KeyboardInterrupt
        When stopped by Ctrl+C or SIGTERM, after the running reports are stopped and the index
        is rewritten; its message is :func:`interruption_report`: what was published and what
        was not.
    """
    import nbformat

    from perfeval.run.kernels import notebook_imports
    from perfeval.run.runner import resolve_notebook

    if executor not in EXECUTORS:
        raise ParameterError([f"executor must be one of {', '.join(EXECUTORS)}; got {executor!r}"])
    if executor == "local" and (not isinstance(workers, int) or workers < 1):
        raise ParameterError([f"workers must be a whole number of at least 1; got {workers!r}"])
    if executor == "dask" and scheduler is None:
        raise ParameterError(
            [
                "the dask executor needs the scheduler's address, e.g. "
                "--scheduler tcp://scheduler-host:8786"
            ]
        )
    if outputs_root is None:
        workspace = workspace if workspace is not None else find_workspace()
        root = workspace.outputs_dir
    else:
        root = Path(outputs_root)
    docx = decide_docx(docx, workspace)
    nb_path = resolve_notebook(notebook, workspace)
    root = root.expanduser().resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunError(f"the outputs root {root} cannot be used: {describe_os_error(err)}") from err
    warmup = notebook_imports(nbformat.read(nb_path, as_version=4))
    tasks = [
        {
            "notebook": str(nb_path),
            "values": _absolute_paths(values),
            "outputs_root": str(root),
            "warmup": warmup,
            "status": status,
            "docx": docx,
            "workspace": workspace,
        }
        for values in parameter_sets
    ]
    clock = time.monotonic()
    bar = _Progress(len(tasks), sys.stderr.isatty() if progress is None else progress)
    try:
        if not tasks:
            used = 0
        elif executor == "local":
            used = min(workers, len(tasks))
            _run_local(tasks, used, bar)
        else:
            used = _run_dask(tasks, scheduler, root, bar)
    except KeyboardInterrupt as err:
        index = _write_index(root)
        why = f"stopped ({err})" if str(err) else "stopped"
        raise KeyboardInterrupt(interruption_report(bar.outcomes, tasks, root, index, why)) from err
    finally:
        bar.close()
    index = _write_index(root) if tasks else None
    done = [outcome for outcome in bar.outcomes if outcome is not None]  # all, uninterrupted
    return BatchResult(outcomes=done, seconds=time.monotonic() - clock, index=index, workers=used)


def decide_docx(docx: bool | None, workspace: Workspace | None) -> bool:
    """Whether every report of a batch writes its Word document.

    Parameters
    ----------
    docx : bool or None
        True or False as asked (``--docx``, ``--no-docx``); None for the workspace's default.
    workspace : perfeval.run.workspace.Workspace or None
        Its ``[outputs] docx`` is the default; without a workspace the default is no document.

    Returns
    -------
    bool

    Raises
    ------
    ParameterError
        If ``docx`` is neither True, False nor None.
    """
    if docx is None:
        return workspace is not None and workspace.docx
    if not isinstance(docx, bool):
        raise ParameterError(
            [
                f"docx: expected True or False (write every report's Word document or not), "
                f"or None for the workspace's default; got {docx!r}"
            ]
        )
    return docx


def _absolute_paths(values: Mapping[str, Any]) -> dict[str, Any]:
    """Path parameters made absolute here, before they travel to workers in other folders."""
    from perfeval.run.runner import resolve_path_parameters

    return resolve_path_parameters(dict(values))
