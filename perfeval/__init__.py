"""perfeval: evaluation and reporting workbook for UK local-government performance teams.

The public API is re-exported here. Modules load on first use, so ``import perfeval`` stays light
(pandas, matplotlib and papermill are imported only when a function that needs them is used).
"""

from importlib import import_module

from perfeval.exceptions import (AnalysisError, DataValidationError, ParameterError, PerfevalError,
                                 PeriodError, Problem, RecordError, RunError, VerificationError)

__version__ = "0.1.0"

_MODULES = ("budget", "charts", "columns", "comparators", "data", "evaluation", "indicators",
            "narrative", "parameters", "periods", "provenance", "report", "runner", "scaffold",
            "scorecard", "spc", "survey", "survey_report", "tables", "monitoring",
            "money_report", "trend", "verify", "workspace")
_FUNCTIONS = {
    "load_dataset": "data", "LoadLimits": "data", "parse_period": "periods",
    "record": "provenance", "Workspace": "workspace", "find_workspace": "workspace",
    "init_workspace": "scaffold",
    "run_report": "runner", "verify_report": "verify", "validate_parameters": "parameters",
    "validate_notebook_namespace": "parameters", "xmr": "spc", "estimate": "survey",
    "assess_against_target": "indicators", "direction_of_travel": "indicators",
    "benchmark": "indicators", "build_scorecard": "scorecard", "mann_kendall": "trend",
}

__all__ = ["AnalysisError", "DataValidationError", "ParameterError", "PerfevalError",
           "PeriodError", "Problem", "RecordError", "RunError", "VerificationError", "__version__",
           *_MODULES, *_FUNCTIONS]


def __getattr__(name: str):
    if name in _MODULES:
        return import_module(f"perfeval.{name}")
    if name in _FUNCTIONS:
        return getattr(import_module(f"perfeval.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module 'perfeval' has no attribute {name!r}")
