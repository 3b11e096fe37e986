"""perfeval: evaluation and reporting workbook for UK local-government performance teams.

The package is in layers (``docs/architecture.md``): :mod:`perfeval.core` <- :mod:`perfeval.data`
<- :mod:`perfeval.stats` <- :mod:`perfeval.present` <- :mod:`perfeval.sections`, with the run side
:mod:`perfeval.run` beside the sections. The public API is re-exported here. Modules load on first
use, so ``import perfeval`` stays light (pandas, matplotlib and papermill are imported only when a
function that needs them is used). The module names from before the layers (``perfeval.spc``,
``perfeval.runner``, ...) still work, with a DeprecationWarning, until perfeval 0.3.
"""

from importlib import import_module

from perfeval import _moved
from perfeval.core.exceptions import (
    AnalysisError,
    DataValidationError,
    ParameterError,
    PerfevalError,
    PeriodError,
    Problem,
    RecordError,
    RunError,
    VerificationError,
)

__version__ = "0.1.0"

_moved.install()

#: The layers, importable as attributes (``perfeval.stats``).
_LAYERS = ("core", "data", "stats", "present", "sections", "run")
#: Modules by their short (pre-layer) name, for ``perfeval.spc`` as an attribute.
_MODULES = {old.removeprefix("perfeval."): new for old, new in _moved.MOVED.items()}
_FUNCTIONS = {
    "load_dataset": "perfeval.data.loader",
    "LoadLimits": "perfeval.data.loader",
    "parse_period": "perfeval.core.periods",
    "record": "perfeval.present.keyfigures",
    "Section": "perfeval.present.section",
    "Workspace": "perfeval.run.workspace",
    "find_workspace": "perfeval.run.workspace",
    "init_workspace": "perfeval.run.scaffold",
    "run_report": "perfeval.run.runner",
    "verify_report": "perfeval.run.verify",
    "validate_parameters": "perfeval.run.parameters",
    "validate_notebook_namespace": "perfeval.run.parameters",
    "xmr": "perfeval.stats.spc",
    "estimate": "perfeval.stats.survey",
    "assess_against_target": "perfeval.stats.indicators",
    "direction_of_travel": "perfeval.stats.indicators",
    "benchmark": "perfeval.stats.indicators",
    "build_scorecard": "perfeval.stats.scorecard",
    "mann_kendall": "perfeval.stats.trend",
}

__all__ = [
    "AnalysisError",
    "DataValidationError",
    "ParameterError",
    "PerfevalError",
    "PeriodError",
    "Problem",
    "RecordError",
    "RunError",
    "VerificationError",
    "__version__",
    *_LAYERS,
    *_FUNCTIONS,
]


def __getattr__(name: str):
    if name in _LAYERS:
        return import_module(f"perfeval.{name}")
    if name in _MODULES:
        return import_module(_MODULES[name])
    if name in _FUNCTIONS:
        return getattr(import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'perfeval' has no attribute {name!r}")
