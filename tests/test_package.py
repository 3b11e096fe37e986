"""The package's public face: light import, lazy re-exports, one exception hierarchy."""

from __future__ import annotations

import subprocess
import sys

import pytest

import perfeval
from perfeval import exceptions


def test_import_perfeval_does_not_load_pandas_or_matplotlib():
    code = "import sys, perfeval; print(any(m in sys.modules for m in ('pandas', 'matplotlib')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_functions_are_reexported():
    assert perfeval.load_dataset is perfeval.data.load_dataset
    assert perfeval.xmr is perfeval.spc.xmr
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        perfeval.nope  # noqa: B018


def test_every_error_class_is_a_perfeval_error_with_a_docstring():
    classes = [getattr(exceptions, n) for n in dir(exceptions)
               if isinstance(getattr(exceptions, n), type)
               and issubclass(getattr(exceptions, n), Exception)]
    assert len(classes) >= 6
    for cls in classes:
        assert issubclass(cls, perfeval.PerfevalError)
        assert cls.__doc__.startswith("Raised when")
