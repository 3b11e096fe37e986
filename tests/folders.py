"""Data folders for tests: copies of ``tests/data/minimal/`` with some tables replaced or
removed."""

from __future__ import annotations

import shutil
from pathlib import Path

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal"


def minimal_folder(tmp_path: Path, *, remove: tuple[str, ...] = (), **tables: str) -> Path:
    """``minimal/`` copied to ``tmp_path/data``: each table in ``remove`` deleted, and each
    keyword's table (``budget="..."``) replaced by the text given (written as UTF-8)."""
    root = tmp_path / "data"
    shutil.copytree(MINIMAL, root)
    for name in remove:
        (root / f"{name}.csv").unlink()
    for name, text in tables.items():
        (root / f"{name}.csv").write_text(text, encoding="utf-8")
    return root
