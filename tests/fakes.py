"""Stand-ins for the tests that run reports without a real kernel (fast, no processes)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from perfeval.run import runner


class NoKernel:
    """Stand-in for a launched :class:`perfeval.run.kernels.WarmKernel`: nothing to start; counts
    the stops."""

    def __init__(self) -> None:
        self.stops = 0

    def shutdown_in_background(self) -> None:
        self.stops += 1

    def shutdown(self) -> None:
        self.stops += 1


def use_fake_kernels(monkeypatch: pytest.MonkeyPatch, execute: Callable) -> list[NoKernel]:
    """Make ``run_report`` launch :class:`NoKernel` stand-ins and run notebooks with
    ``execute(source, output, values, progress, kernel)``; return the stand-ins launched."""
    launched: list[NoKernel] = []

    def launch(nb_path):
        launched.append(NoKernel())
        return launched[-1]

    monkeypatch.setattr(runner, "_launch_kernel", launch)
    monkeypatch.setattr(runner, "_execute_notebook", execute)
    return launched


def refuse_kernels(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Fail if anything starts a kernel or executes a notebook; return the attempts."""
    attempts: list[tuple] = []

    def refuse(*args):
        attempts.append(args)
        raise AssertionError("a kernel was started or a notebook was executed")

    monkeypatch.setattr(runner, "_launch_kernel", refuse)
    monkeypatch.setattr(runner, "_execute_notebook", refuse)
    return attempts


def record_values_total(source, output, values, progress, kernel) -> None:
    """Stand-in for a kernel running a notebook of tests/notebooks: it 'runs' by recording the
    sum of ``values.csv`` in its ``data_dir`` as key figure ``total`` on its last code cell.
    Every notebook 'run' is appended to ``record_values_total.sources``."""
    import nbformat
    import pandas as pd
    from nbformat.v4 import new_output

    from perfeval.run.provenance import KEY_FIGURE_MIME, key_figure_payload

    nb = nbformat.read(source, as_version=4)
    total = float(pd.read_csv(Path(values["data_dir"]) / "values.csv")["value"].sum())
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    code[-1].outputs = [
        new_output("display_data", data={KEY_FIGURE_MIME: key_figure_payload("total", total)})
    ]
    nbformat.write(nb, output)
    record_values_total.sources.append(Path(source))


record_values_total.sources = []
