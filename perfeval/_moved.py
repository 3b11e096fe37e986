"""Old module names (before the layers of 0.2) kept working for one release.

``import perfeval.spc`` gives the module :mod:`perfeval.stats.spc` itself (the same object, so
monkeypatching either name patches both) with a :class:`DeprecationWarning` naming the new place.
The names go in perfeval 0.3.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

#: Old name -> new name of every module that moved into a layer.
MOVED = {
    "perfeval.exceptions": "perfeval.core.exceptions",
    "perfeval.paths": "perfeval.core.paths",
    "perfeval.periods": "perfeval.core.periods",
    "perfeval.quoting": "perfeval.core.quoting",
    "perfeval.columns": "perfeval.data.columns",
    "perfeval.data_notes": "perfeval.data.notes",
    "perfeval.requirements": "perfeval.data.requirements",
    "perfeval.indicators": "perfeval.stats.indicators",
    "perfeval.spc": "perfeval.stats.spc",
    "perfeval.trend": "perfeval.stats.trend",
    "perfeval.survey": "perfeval.stats.survey",
    "perfeval.intervals": "perfeval.stats.intervals",
    "perfeval.funnel": "perfeval.stats.funnel",
    "perfeval.budget": "perfeval.stats.budget",
    "perfeval.evaluation": "perfeval.stats.evaluation",
    "perfeval.comparators": "perfeval.stats.comparators",
    "perfeval.scorecard": "perfeval.stats.scorecard",
    "perfeval.charts": "perfeval.present.charts",
    "perfeval.tables": "perfeval.present.html",
    "perfeval.narrative": "perfeval.present.narrative",
    "perfeval.report": "perfeval.sections.annual",
    "perfeval.monitoring": "perfeval.sections.monitoring",
    "perfeval.money_report": "perfeval.sections.money",
    "perfeval.survey_report": "perfeval.sections.survey",
    "perfeval.parameters": "perfeval.run.parameters",
    "perfeval.schemas": "perfeval.run.schemas",
    "perfeval.runner": "perfeval.run.runner",
    "perfeval.kernels": "perfeval.run.kernels",
    "perfeval.verify": "perfeval.run.verify",
    "perfeval.batch": "perfeval.run.batch",
    "perfeval.provenance": "perfeval.run.provenance",
    "perfeval.publish": "perfeval.run.publish",
    "perfeval.cli": "perfeval.run.cli",
    "perfeval.outputs": "perfeval.run.outputs",
    "perfeval.workspace": "perfeval.run.workspace",
    "perfeval.scaffold": "perfeval.run.scaffold",
    "perfeval.checkdata": "perfeval.run.checkdata",
}


class _Alias(importlib.abc.Loader):
    """Load an old name as the module at its new name."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} has moved to {self.new}; the old name goes in perfeval 0.3",
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.import_module(self.new)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module at the new name is already imported."""


class _MovedFinder(importlib.abc.MetaPathFinder):
    """Find the old names of moved modules (and only those)."""

    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    """Put the finder of old names on :data:`sys.meta_path` (once)."""
    if not any(isinstance(finder, _MovedFinder) for finder in sys.meta_path):
        sys.meta_path.append(_MovedFinder())
