"""The package's layers (docs/architecture.md), checked by import-linter's contracts in
pyproject.toml, and the old module names that still work for one release."""

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import perfeval
from perfeval import _moved

REPO = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept():
    """A broken layer rule (stats importing presentation, run importing a section, a cycle) fails
    the build, with import-linter's explanation of which import broke it."""
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_layer_is_a_package_with_its_rule_in_the_docstring():
    for layer in ("core", "data", "stats", "present", "sections", "run"):
        module = importlib.import_module(f"perfeval.{layer}")
        assert module.__doc__ and len(module.__doc__) > 80, layer


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_old_module_names_give_the_moved_module_with_a_warning(old):
    new = _moved.MOVED[old]
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught)


def test_short_names_are_attributes_of_the_package():
    from perfeval.stats import spc

    assert perfeval.spc is spc and perfeval.stats is importlib.import_module("perfeval.stats")
    assert perfeval.xmr is spc.xmr
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        perfeval.nonesuch  # noqa: B018


def test_no_module_is_left_at_the_top_level_besides_the_aliases():
    top = sorted(p.stem for p in (REPO / "perfeval").glob("*.py"))
    assert top == ["__init__", "_moved"]
