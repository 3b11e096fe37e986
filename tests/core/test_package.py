"""The package's public face: light import, lazy re-exports, one exception hierarchy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import perfeval
from perfeval.core import exceptions


def test_import_perfeval_does_not_load_pandas_or_matplotlib():
    code = "import sys, perfeval; print(any(m in sys.modules for m in ('pandas', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_command_reaches_the_kernel_launch_without_heavy_imports():
    """Everything ``perfeval run`` does before it starts the kernel is light, so the kernel starts
    early; pandas, nbformat and matplotlib are imported while the kernel starts."""
    code = (
        "import sys, perfeval.run.cli, perfeval.run.runner, perfeval.run.kernels\n"
        "from perfeval.run.parameters import validate_parameters\n"
        "validate_parameters('state_of_the_nation', {'year': '2024/25'}, data_checks=False)\n"
        "print(sorted(m for m in ('pandas', 'nbformat', 'matplotlib', 'papermill')"
        " if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_console_script_skips_the_slow_optional_iri_grammar(monkeypatch):
    from perfeval.run import cli

    monkeypatch.setitem(sys.modules, "rfc3987_syntax", None)  # restored after the test
    monkeypatch.delitem(sys.modules, "rfc3987_syntax")
    monkeypatch.setattr(sys, "argv", ["perfeval", "params", "state_of_the_nation"])
    with pytest.raises(SystemExit) as exit_:
        cli.console_main()
    assert exit_.value.code == 0 and sys.modules["rfc3987_syntax"] is None


def test_public_functions_are_reexported():
    assert perfeval.load_dataset is perfeval.data.loader.load_dataset
    assert perfeval.LoadLimits is perfeval.data.loader.LoadLimits
    assert perfeval.xmr is perfeval.stats.spc.xmr
    assert perfeval.find_workspace is perfeval.run.workspace.find_workspace
    assert perfeval.Workspace is perfeval.run.workspace.Workspace
    assert perfeval.init_workspace is perfeval.run.scaffold.init_workspace
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        perfeval.nope  # noqa: B018


def test_every_error_class_is_a_perfeval_error_with_a_docstring():
    classes = [
        getattr(exceptions, n)
        for n in dir(exceptions)
        if isinstance(getattr(exceptions, n), type)
        and issubclass(getattr(exceptions, n), Exception)
    ]
    assert len(classes) >= 6
    for cls in classes:
        assert issubclass(cls, perfeval.PerfevalError)
        assert cls.__doc__.startswith("Raised when")


def test_the_old_layouts_path_names_still_import_with_a_deprecation_warning():
    from perfeval.core import paths

    with pytest.warns(
        DeprecationWarning,
        match="perfeval.core.paths.ROOT .* is deprecated .* use "
        "perfeval.run.workspace.find_workspace\\(\\).root",
    ):
        assert paths.ROOT == paths.PACKAGE_DIR.parent
    with pytest.warns(DeprecationWarning, match="use perfeval.core.paths.BUNDLED_NOTEBOOKS_DIR"):
        from perfeval.core.paths import NOTEBOOKS_DIR
    assert NOTEBOOKS_DIR == paths.BUNDLED_NOTEBOOKS_DIR
    with pytest.raises(AttributeError, match="no attribute 'NOPE'"):
        paths.NOPE  # noqa: B018
