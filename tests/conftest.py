"""Shared test set-up: assertion rewriting for the report-page helpers."""

import pytest

pytest.register_assert_rewrite("report_pages")
