"""perfeval: evaluation and reporting workbook for UK local-government performance teams."""

from perfeval.exceptions import (AnalysisError, DataValidationError, ParameterError, PerfevalError,
                                 PeriodError, RunError, VerificationError)

__version__ = "0.1.0"

__all__ = ["AnalysisError", "DataValidationError", "ParameterError", "PerfevalError", "PeriodError",
           "RunError", "VerificationError", "__version__"]
