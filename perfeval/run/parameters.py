"""Report parameters: schemas, validation, coercion and parameter files.

Every report notebook has one schema: a list of :class:`Param` specs registered under the
notebook's stem (``"state_of_the_nation"`` for ``state_of_the_nation.ipynb``) with
:func:`register_schema`. The built-in notebooks' schemas live in ``perfeval/schemas.py``, which
:func:`get_schema` imports on first use. A council's own notebook declares its schema in its
metadata (:func:`load_notebook_schema`) or in a ``perfeval_schemas.py`` beside it
(:func:`load_folder_schemas`); the runner loads both (:func:`load_schemas_for`).

Values are checked twice with the same rules: by the runner before anything is executed
(:func:`validate_parameters`), and inside the notebook, in the cell right after the ``parameters``
cell (:func:`validate_notebook_namespace`), so a plain ``papermill -p`` run is checked too.
Every problem is collected and reported at once in one :class:`~perfeval.core.exceptions.ParameterError`.

Types are coerced only when nothing is lost: ``"2"`` becomes ``2`` for an ``int`` parameter (values
typed on the command line arrive as strings), ``2`` becomes ``2.0`` for a ``float`` parameter and
``2024`` becomes ``"2024"`` for a ``str`` parameter; ``2.5`` is never silently turned into ``2``.

Parameter files and command-line values are untrusted input, so what they can cost is limited, by
limits no real report comes near (the bundled parameter files are under 3 KB, nest 3 levels and
use no aliases):

- a parameter file is at most :data:`MAX_PARAMETER_FILE_BYTES` (1 MiB), checked before it is read
  and while it is read;
- its YAML may hold at most :data:`MAX_YAML_ALIASES` aliases (``*name``), at most
  :data:`MAX_YAML_VALUES` values once every alias is expanded, and nest at most
  :data:`MAX_YAML_DEPTH` levels; all three are counted while the file is composed, so an alias
  bomb ("billion laughs") is refused before any value is built;
- a text value is at most :data:`MAX_TEXT_LENGTH` characters and a list at most
  :data:`MAX_LIST_ITEMS` items;
- error messages quote at most a short prefix of any value or name (:func:`short_repr`).
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import inspect
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from perfeval.core.exceptions import ParameterError, PerfevalError
from perfeval.core.quoting import CONTAINERS as _CONTAINERS
from perfeval.core.quoting import short_repr, shorten

__all__ = ["Param", "register_schema", "get_schema", "registered_stems", "validate_parameters",
           "check_against_data",
           "validate_notebook_namespace", "describe_schema", "load_parameter_file",
           "is_path_parameter", "load_folder_schemas", "load_notebook_schema",
           "load_schemas_for", "schema_from_metadata", "NAMED_CHECKS", "NOTEBOOK_METADATA_KEY",
           "FOLDER_SCHEMA_FILE", "short_repr",
           "shorten", "parse_value_text", "MAX_PARAMETER_FILE_BYTES", "MAX_YAML_ALIASES",
           "MAX_YAML_VALUES", "MAX_YAML_DEPTH", "MAX_TEXT_LENGTH", "MAX_LIST_ITEMS"]

TYPES = ("str", "int", "float", "bool", "list[str]")
_TYPE_ALIASES: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool",
                                 list: "list[str]", list[str]: "list[str]"}
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "params"})
_SCHEMAS: dict[str, list["Param"]] = {}
FOLDER_SCHEMA_FILE = "perfeval_schemas.py"

MAX_PARAMETER_FILE_BYTES = 1024 * 1024
"""Largest parameter file read, in bytes (the bundled ones are under 3 KB)."""
MAX_YAML_ALIASES = 50
"""Most YAML aliases (``*name``) in one parameter file or value (the bundled files use none)."""
MAX_YAML_VALUES = 10_000
"""Most YAML values (scalars, lists, mappings, keys) once every alias is expanded."""
MAX_YAML_DEPTH = 20
"""Deepest nesting of YAML collections (a parameter file needs 3: mapping, list, text)."""
MAX_TEXT_LENGTH = 10_000
"""Longest text value, in characters (a council code is 9, an evaluation question about 150)."""
MAX_LIST_ITEMS = 1_000
"""Most items in a list value (every council in England is about 300 codes)."""
MAX_UNKNOWN_NAMES_SHOWN = 10
"""Unknown parameter names listed one by one in an error; the rest are counted."""
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024
"""Largest notebook whose metadata is read for a declared schema."""
NOTEBOOK_METADATA_KEY = "perfeval"
"""The notebook metadata key under which a notebook declares its parameters."""
NOTEBOOK_PARAMETER_KEYS = ("name", "type", "default", "help", "allowed", "min", "max", "check")
"""The keys of one parameter declared in a notebook's metadata."""
#: The data-aware checks a notebook's metadata may name: the function of perfeval.run.schemas, and
#: whether the value is one item of the list that function checks.
NAMED_CHECKS: dict[str, tuple[str, bool]] = {
    "council": ("check_council", False),
    "financial_year": ("check_financial_year", False),
    "year_has_data": ("check_year_has_data", False),
    "comparator_group": ("check_comparator_group", False),
    "data_dir": ("check_data_dir", False),
    "indicator": ("check_indicator_codes", True),
    "indicator_codes": ("check_indicator_codes", False),
    "survey_wave": ("check_survey_wave", False),
}

Check = Callable[[Any, dict[str, Any]], "str | None"]


class _Invalid(Exception):
    """Internal: a single value failed a type or range rule (message says why)."""


@dataclass(frozen=True)
class Param:
    """The specification of one report parameter.

    Parameters
    ----------
    name : str
        The variable name used in the notebook's ``parameters`` cell.
    type : {"str", "int", "float", "bool", "list[str]"} or the matching Python type
        ``str``, ``int``, ``float``, ``bool`` and ``list[str]`` (or ``list``) are accepted too.
    default : object
        The value used when none is given; must itself be valid.
    description : str
        One line saying what the parameter does, shown by ``perfeval params``.
    choices : sequence, optional
        The only values allowed (for ``list[str]``: allowed for every element).
    min, max : float, optional
        Inclusive range for ``int`` and ``float`` parameters.
    check : callable, optional
        ``check(value, all_values) -> str | None``: a data-aware check (e.g. "the council code
        exists in the data"). Return a message saying what is wrong, or ``None`` if the value is
        fine. Checks run only once every value has the right type and range, because they usually
        depend on other parameters such as ``data_dir``.
    """

    name: str
    type: Any
    default: Any
    description: str = ""
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    check: Check | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        type_name = _TYPE_ALIASES.get(self.type, self.type)
        if type_name not in TYPES:
            raise ParameterError([f"Param {self.name!r}: type must be one of "
                                  f"{', '.join(TYPES)}; got {short_repr(self.type)}"])
        object.__setattr__(self, "type", type_name)
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ParameterError([f"Param name must be a Python identifier not starting with "
                                  f"'_'; got {short_repr(self.name)}"])
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))
        if (self.min is not None or self.max is not None) and type_name not in ("int", "float"):
            raise ParameterError([f"Param {self.name!r}: min/max apply only to int and float "
                                  f"parameters, not {type_name}"])
        try:
            object.__setattr__(self, "default", self.coerce(self.default))
        except _Invalid as err:
            raise ParameterError([f"Param {self.name!r}: the default is not valid: {err}"]
                                 ) from None

    def coerce(self, value: Any) -> Any:
        """Return ``value`` converted to this parameter's type, checked against choices and range.

        Raises ``_Invalid`` (internal) with a message saying what was expected and what was found.
        """
        _check_size(value, listed=self.type == "list[str]")
        converted = _COERCERS[self.type](value)
        items = converted if self.type == "list[str]" else [converted]
        if self.choices is not None:
            bad = [item for item in items if item not in self.choices]
            if bad:
                raise _Invalid(f"{short_repr(bad[0])} is not allowed; choose one of "
                               f"{', '.join(repr(c) for c in self.choices)}")
        below = self.min is not None and converted < self.min
        if below or (self.max is not None and converted > self.max):
            raise _Invalid(f"{short_repr(converted)} is out of range; allowed: {self.allowed()}")
        return converted

    def allowed(self) -> str:
        """Describe the allowed values in words (for help tables and error messages)."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.min is not None and self.max is not None:
            return f"{self.min} to {self.max}"
        if self.min is not None:
            return f">= {self.min}"
        if self.max is not None:
            return f"<= {self.max}"
        return "any"


def _type_error(expected: str, value: Any, hint: str = "") -> _Invalid:
    return _Invalid(f"expected {expected}, got {type(value).__name__} {short_repr(value)}{hint}")


def _check_size(value: Any, listed: bool) -> None:
    """Refuse text longer than MAX_TEXT_LENGTH and, for a list parameter (``listed``), lists
    longer than MAX_LIST_ITEMS or holding such text, before any conversion works on them."""
    if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
        raise _Invalid(f"{short_repr(value)} is too long: a parameter's text may have at most "
                       f"{MAX_TEXT_LENGTH:,} characters; give a code, a year or a line of text")
    if listed and isinstance(value, (list, tuple)):
        if len(value) > MAX_LIST_ITEMS:
            raise _Invalid(f"{short_repr(value)} has too many items: a list parameter may "
                           f"have at most {MAX_LIST_ITEMS:,}; give only the items the report "
                           f"needs")
        for item in value:
            if isinstance(item, str) and len(item) > MAX_TEXT_LENGTH:
                raise _Invalid(f"an item is too long: {short_repr(item)}; an item may have at "
                               f"most {MAX_TEXT_LENGTH:,} characters")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    hint = (" (give one value, not a list)" if isinstance(value, _CONTAINERS)
            else " (put quotes around it in YAML, e.g. '2024/25')")
    raise _type_error("a string", value, hint)


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise _type_error("a whole number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise _type_error("a whole number", value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise _type_error("a number", value)
    result: float | None = None
    if isinstance(value, (int, float)):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value.strip())
        except ValueError:
            result = None
    if result is None or not math.isfinite(result):
        raise _type_error("a finite number", value)
    return result


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _type_error("true or false", value)


def _to_str_list(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)):
        raise _type_error("a list of strings", value,
                          " (write a YAML list, e.g. [E06000017, E07000026])")
    try:
        return [_to_str(item) for item in value]
    except _Invalid as err:
        raise _Invalid(f"every item must be a string: {err}") from None


_COERCERS: dict[str, Callable[[Any], Any]] = {"str": _to_str, "int": _to_int, "float": _to_float,
                                              "bool": _to_bool, "list[str]": _to_str_list}


def is_path_parameter(name: str) -> bool:
    """Return True when a parameter holds a path: ``data_dir`` or a name ending in
    ``_dir``, ``_file`` or ``_path``."""
    return name == "data_dir" or name.endswith(("_dir", "_file", "_path"))


def register_schema(stem: str, params: list[Param]) -> None:
    """Register (or replace) the parameter schema of the notebook ``stem``.

    Parameters
    ----------
    stem : str
        The notebook's file name without ``.ipynb``.
    params : list of Param
        One spec per variable of the notebook's ``parameters`` cell.

    Raises
    ------
    ParameterError
        If two specs share a name or an item is not a :class:`Param` (a ``ValueError`` too).
    """
    names = [p.name for p in params if isinstance(p, Param)]
    if len(names) != len(params):
        raise ParameterError([f"schema {stem!r}: every item must be a perfeval.run.parameters.Param"])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParameterError([f"schema {stem!r}: parameter(s) defined twice: "
                              f"{', '.join(duplicates)}"])
    _SCHEMAS[stem] = list(params)


def _load_bundled_schemas() -> None:
    try:
        importlib.import_module("perfeval.run.schemas")
    except ModuleNotFoundError as err:
        if err.name != "perfeval.run.schemas":
            raise


def load_folder_schemas(folder: str | Path) -> bool:
    """Register the schemas of notebooks kept outside perfeval (a workspace's ``notebooks/``).

    A folder of notebooks may hold a module named :data:`FOLDER_SCHEMA_FILE`
    (``perfeval_schemas.py``) that calls :func:`register_schema`; the runner imports it before
    validating, and the notebooks import it in their validation cell (``import perfeval_schemas``
    works there because a notebook runs in its own folder). Each folder's module is imported once.

    Parameters
    ----------
    folder : str or Path
        The notebook's folder.

    Returns
    -------
    bool
        True if the folder has such a module.
    """
    module_file = Path(folder).resolve() / FOLDER_SCHEMA_FILE
    if not module_file.is_file():
        return False
    _load_bundled_schemas()  # first, so that a folder's schema of a built-in stem stays in force
    digest = hashlib.sha256(str(module_file).encode()).hexdigest()[:16]
    module_name = f"_perfeval_folder_schemas_{digest}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    return True


def _named_check(name: str) -> Check:
    """The data-aware check a notebook's metadata names (see :data:`NAMED_CHECKS`)."""
    function_name, single = NAMED_CHECKS[name]

    def check(value: Any, values: dict[str, Any]) -> str | None:
        from perfeval.run import schemas# imported here: perfeval.run.schemas imports this module

        return getattr(schemas, function_name)([value] if single else value, values)

    check.__name__ = f"check_{name}"
    return check


def _spec_problems(where: str, spec: Any) -> list[str]:
    """What is wrong with one declared parameter's keys (before the Param is built)."""
    if not isinstance(spec, dict):
        return [f"{where}: expected an object such as {{\"name\": \"year\", \"type\": "
                f"\"str\", \"default\": \"2024/25\"}}; got {short_repr(spec)}"]
    problems = [f"{where}: unknown key {short_repr(key)}; the keys are "
                f"{', '.join(NOTEBOOK_PARAMETER_KEYS)}"
                for key in spec if key not in NOTEBOOK_PARAMETER_KEYS]
    problems += [f"{where}: {key!r} is missing" for key in ("name", "type", "default")
                 if key not in spec]
    if not isinstance(spec.get("name", ""), str) or not isinstance(spec.get("help", ""), str):
        problems.append(f"{where}: 'name' and 'help' must be text")
    if not isinstance(spec.get("allowed", []), list):
        problems.append(f"{where}: 'allowed' must be a list of the allowed values")
    for key in ("min", "max"):
        bound = spec.get(key)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            problems.append(f"{where}: {key!r} must be a number; got {short_repr(bound)}")
    if spec.get("check") is not None and spec.get("check") not in NAMED_CHECKS:
        problems.append(f"{where}: check {short_repr(spec.get('check'))} is not one of "
                        f"{', '.join(NAMED_CHECKS)}")
    return problems


def _declared_param(spec: dict[str, Any]) -> Param:
    check = spec.get("check")
    allowed = spec.get("allowed")
    return Param(spec["name"], spec["type"], spec["default"], spec.get("help", ""),
                 choices=tuple(allowed) if allowed is not None else None,
                 min=spec.get("min"), max=spec.get("max"),
                 check=_named_check(check) if check is not None else None)


def schema_from_metadata(metadata: Mapping[str, Any], source: str = "the notebook"
                         ) -> list[Param] | None:
    """The parameter schema a notebook declares in its metadata, or None if it declares none.

    A notebook declares its parameters as ``"perfeval": {"parameters": [...]}`` in its
    metadata, one object per parameter of its ``parameters`` cell::

        {"name": "indicator", "type": "str", "default": "NI192",
         "help": "Indicator compared", "check": "indicator"}

    with the optional keys ``allowed`` (a list of the only values allowed), ``min`` and ``max``
    (for numbers) and ``check`` (a data-aware check by name: one of :data:`NAMED_CHECKS`).

    Parameters
    ----------
    metadata : mapping
        The notebook's metadata.
    source : str
        The notebook, as messages name it.

    Returns
    -------
    list of Param or None

    Raises
    ------
    ParameterError
        Listing every problem of every declared parameter (unknown keys, missing name, type or
        default, a default that breaks its own rules, an unknown check).
    """
    block = metadata.get(NOTEBOOK_METADATA_KEY)
    if block is None:
        return None
    specs = block.get("parameters") if isinstance(block, dict) else None
    if not isinstance(specs, list):
        raise ParameterError([f"{source}: metadata {NOTEBOOK_METADATA_KEY!r} must be an object "
                              f"with a list \"parameters\""])
    problems: list[str] = []
    params: list[Param] = []
    for index, spec in enumerate(specs[:MAX_LIST_ITEMS]):
        name = spec.get("name") if isinstance(spec, dict) else None
        where = f"{source}, parameter {index + 1}" + (f" ({shorten(name, 40)})"
                                                     if isinstance(name, str) else "")
        found = _spec_problems(where, spec)
        if not found:
            try:
                params.append(_declared_param(spec))
            except ParameterError as err:
                found = [f"{where}: {problem}" for problem in err.problems]
        problems += found
    if problems:
        raise ParameterError(problems)
    return params


def _read_notebook_json(path: Path) -> dict[str, Any]:
    import json

    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            raise ParameterError([f"{path}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB; a "
                                  f"report notebook is committed without outputs"])
        with path.open("rb") as handle:
            document = json.loads(handle.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ParameterError([f"{path}: cannot be read as a notebook: "
                              f"{shorten(str(err), 200)}"]) from err
    if not isinstance(document, dict) or not isinstance(document.get("metadata", {}), dict):
        raise ParameterError([f"{path}: not a notebook (no metadata object)"])
    return document


def load_notebook_schema(notebook: str | Path) -> bool:
    """Register the parameter schema a notebook declares in its own metadata, if it does.

    Call it in the notebook's validation cell, before
    :func:`validate_notebook_namespace` (the notebook runs in its own folder)::

        load_notebook_schema("my_report.ipynb")
        params = validate_notebook_namespace("my_report", globals())

    The runner calls it too, before validating (:func:`load_schemas_for`). The schema is
    registered under the notebook's stem and replaces a schema registered before under it.

    Parameters
    ----------
    notebook : str or Path
        The notebook file.

    Returns
    -------
    bool
        True if the notebook declares its parameters.

    Raises
    ------
    ParameterError
        If the file is not a notebook, or its declaration is wrong (:func:`schema_from_metadata`).
    """
    path = Path(notebook)
    params = schema_from_metadata(_read_notebook_json(path).get("metadata", {}), str(path))
    if params is None:
        return False
    _load_bundled_schemas()  # first, so that the notebook's own schema stays in force
    register_schema(path.stem, params)
    return True


def load_schemas_for(notebook: str | Path) -> None:
    """Register the schema of a report notebook kept outside perfeval: from the
    :data:`FOLDER_SCHEMA_FILE` module beside it (:func:`load_folder_schemas`), then from its own
    metadata (:func:`load_notebook_schema`), which wins when both declare it. Built-in notebooks
    have neither; their schemas are in :mod:`perfeval.run.schemas`."""
    path = Path(notebook)
    load_folder_schemas(path.parent)
    load_notebook_schema(path)


def registered_stems() -> list[str]:
    """Return the sorted stems of every notebook with a registered schema."""
    _load_bundled_schemas()
    return sorted(_SCHEMAS)


def get_schema(stem: str) -> list[Param]:
    """Return the schema registered for the notebook ``stem``.

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem``; the message lists the known stems.
    """
    if stem not in _SCHEMAS:
        _load_bundled_schemas()
    if stem not in _SCHEMAS:
        known = ", ".join(sorted(_SCHEMAS)) or "none"
        raise ParameterError([f"no parameter schema is registered for notebook {stem!r} "
                              f"(known: {known}); declare its parameters in the notebook's "
                              f"metadata (perfeval new writes one), or call "
                              f"register_schema({stem!r}, [...]) in a {FOLDER_SCHEMA_FILE} "
                              f"beside it (a built-in report's: in perfeval/schemas.py)"],
                             notebook=stem)
    return _SCHEMAS[stem]


def _unknown_name_problem(name: Any, valid: list[str]) -> str:
    longest = max(map(len, valid), default=0)
    close = (difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
             if isinstance(name, str) and len(name) <= 3 * longest else [])
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown parameter {short_repr(name)}{hint}; valid names are: {', '.join(valid)}"


def _unknown_name_problems(names: list[Any], valid: list[str]) -> list[str]:
    """One problem per unknown name, the first MAX_UNKNOWN_NAMES_SHOWN of them, then a count."""
    problems = [_unknown_name_problem(name, valid) for name in names[:MAX_UNKNOWN_NAMES_SHOWN]]
    if len(names) > MAX_UNKNOWN_NAMES_SHOWN:
        problems.append(f"... and {len(names) - MAX_UNKNOWN_NAMES_SHOWN:,} more unknown "
                        f"parameter names; give only the valid names listed above")
    return problems


def _resolve(stem: str, values: Mapping[str, Any], missing_problem: bool,
             data_checks: bool = True) -> dict[str, Any]:
    schema = get_schema(stem)
    valid = [p.name for p in schema]
    unknown = _unknown_name_problems([name for name in values if name not in valid], valid)
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    for param in schema:
        if param.name not in values:
            if missing_problem:
                problems.append(f"{param.name!r} is in the schema but not defined in the "
                                f"notebook's parameters cell; add `{param.name} = "
                                f"{param.default!r}` there")
            resolved[param.name] = param.default
            continue
        try:
            resolved[param.name] = param.coerce(values[param.name])
        except _Invalid as err:
            problems.append(f"{param.name} ({param.type}): {err}")
    if not problems and (data_checks or unknown):
        problems = _run_checks(schema, resolved)
    if unknown or problems:
        raise ParameterError(unknown + problems, notebook=stem)
    return resolved


def _run_checks(schema: list[Param], resolved: dict[str, Any]) -> list[str]:
    problems = []
    for param in schema:
        if param.check is None:
            continue
        try:
            message = param.check(resolved[param.name], dict(resolved))
        except (PerfevalError, OSError) as err:
            message = f"could not be checked: {shorten(str(err), 300)}"
        if message:
            problems.append(f"{param.name} = {short_repr(resolved[param.name])}: "
                            f"{shorten(message, 1000)}")
    return problems


def validate_parameters(stem: str, values: Mapping[str, Any], *,
                        data_checks: bool = True) -> dict[str, Any]:
    """Check parameter values against the schema of ``stem`` and return them resolved.

    Parameters
    ----------
    stem : str
        The notebook's stem, e.g. ``"state_of_the_nation"``.
    values : mapping
        Parameter values given by the user (from a YAML file, ``-p`` options or code).
    data_checks : bool
        Also run the data-aware checks (default). With False they are skipped when every name,
        type and range is right, so a caller can run them later with :func:`check_against_data`
        (the runner starts the report's kernel in between); when something else is wrong they
        still run, so every problem is reported at once.

    Returns
    -------
    dict
        Every schema parameter, in schema order: given values coerced to their type, defaults
        for the rest.

    Raises
    ------
    ParameterError
        Listing every problem at once: unknown names (with a did-you-mean suggestion and the valid
        names), wrong types (expected vs the value found), values out of range or not among the
        choices, and failing data-aware checks.
    """
    return _resolve(stem, values, missing_problem=False, data_checks=data_checks)


def check_against_data(stem: str, resolved: Mapping[str, Any]) -> None:
    """Run the data-aware checks of ``stem`` on values resolved by :func:`validate_parameters`.

    When the report declared what it needs from its ``data_dir``
    (:mod:`perfeval.data.requirements`: every built-in report does) and that is a folder, its data are
    loaded once first: a folder with problems is reported once, grouped (not once per parameter
    that reads it), and a folder without a table the report requires
    (:func:`perfeval.data.requirements.missing_requirements`) is refused, naming the tables, before
    any check runs. (A report that declared nothing may use ``data_dir`` for files of its own.)

    Parameters
    ----------
    stem : str
        The notebook's stem.
    resolved : mapping
        Every parameter's value, from :func:`validate_parameters`.

    Raises
    ------
    DataValidationError
        When the data folder has problems: every problem, grouped one line per kind.
    ParameterError
        When the folder lacks a table the report requires; else listing every failing check
        (e.g. a council code absent from the data).
    """
    schema = get_schema(stem)
    values = dict(resolved)
    if any(p.name == "data_dir" for p in schema):
        from perfeval.core.paths import resolve_data_dir
        from perfeval.data.requirements import describe_unmet_requirements, requirements_for
        from perfeval.run.schemas import dataset_for

        folder = resolve_data_dir(values.get("data_dir", ""))
        if requirements_for(stem) is not None and folder.is_dir():  # else data_dir's check says
            unmet = describe_unmet_requirements(stem, dataset_for(values))
            if unmet:
                raise ParameterError([f"data_dir = {short_repr(values.get('data_dir', ''))}: "
                                      f"{unmet}"], notebook=stem)
    problems = _run_checks(schema, values)
    if problems:
        raise ParameterError(problems, notebook=stem)


def _is_user_variable(name: str, value: Any) -> bool:
    if name.startswith("_") or name in _IPYTHON_NAMES:
        return False
    return not (inspect.ismodule(value) or inspect.isroutine(value) or inspect.isclass(value))


def validate_notebook_namespace(stem: str, namespace: dict[str, Any]) -> dict[str, Any]:
    """Validate the parameters defined in a notebook and return them resolved.

    Call it in the cell right after the ``parameters`` cell::

        params = validate_notebook_namespace("state_of_the_nation", globals())

    Every user variable defined so far counts as a parameter: names starting with ``_``, modules,
    functions, classes and IPython's own names (``In``, ``Out``, ``exit``, ``quit``,
    ``get_ipython``, and ``params`` itself) are skipped. So a misspelt name injected by
    ``papermill -p yera 2024`` fails here. Coerced values are written back into ``namespace`` so
    later cells see e.g. ``year`` as an ``int`` even when papermill passed ``"2024"``.

    Parameters
    ----------
    stem : str
        The notebook's stem.
    namespace : dict
        The notebook's ``globals()``.

    Returns
    -------
    dict
        The resolved parameters, as from :func:`validate_parameters`.

    Raises
    ------
    ParameterError
        As :func:`validate_parameters`, and also when a schema parameter is missing from the
        notebook's ``parameters`` cell.
    """
    values = {k: v for k, v in namespace.items() if _is_user_variable(k, v)}
    resolved = _resolve(stem, values, missing_problem=True)
    namespace.update(resolved)
    return resolved


def describe_schema(stem: str) -> str:
    """Return a plain-text table of the parameters of ``stem``: name, type, default, allowed
    values and description (used by ``perfeval params``)."""
    schema = get_schema(stem)
    header = ("name", "type", "default", "allowed", "description")
    rows = [header] + [(p.name, p.type, repr(p.default), p.allowed(), p.description)
                       for p in schema]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths) + "  " + "-" * len(header[-1])
    body = [line(r) for r in rows[1:]] or ["(this notebook takes no parameters)"]
    return "\n".join([f"Parameters of {stem}:", line(header), rule] + body)


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """Internal: YAML text refused before any value is built (a limit passed, or a tag)."""

    def __init__(self, message: str, mark: yaml.Mark) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that also rejects duplicate and merge (``<<``) keys, and reports a
    value that cannot be built (a date such as 2024-13-45, an integer of 5,000 digits) as a YAML
    error at its line instead of a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"this value cannot be read ({shorten(str(err).split(';')[0], 120)});"
                f" put it in quotes if it is meant as text", node.start_mark) from err


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            raise yaml.constructor.ConstructorError(
                None, None, "merge keys ('<<') are not allowed in a parameter file; write each "
                "value out", key_node.start_mark)
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, _CONTAINERS):
            raise yaml.constructor.ConstructorError(
                None, None, f"a {type(key).__name__} cannot be a name; parameter names are text",
                key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"{short_repr(key)} is given twice (lines {seen[key]} and {line})",
                key_node.start_mark)
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


class _LimitedLoader(_StrictLoader):
    """The strict loader, counting while it composes and before it builds anything: aliases,
    values once every alias is expanded, and nesting depth (see the module docstring).

    An alias is composed as the very node its anchor names, so counting its expanded size costs
    one walk of each anchored node (remembered), never the expansion itself.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._values = 0
        self._depth = 0
        self._open_anchors: set[str] = set()
        self._measured: dict[int, tuple[int, int]] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, parent, index)
        self._depth += 1
        self._values += 1
        self._check(event.start_mark, self._depth)
        if event.anchor is not None:
            self._open_anchors.add(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open_anchors.discard(event.anchor)

    def _compose_alias(self, event: yaml.AliasEvent, parent: yaml.Node | None,
                       index: Any) -> yaml.Node:
        alias = f"*{shorten(event.anchor, 40)}"
        self._aliases += 1
        if self._aliases > MAX_YAML_ALIASES:
            raise _Refused(f"more than {MAX_YAML_ALIASES} aliases ({alias} is one); write the "
                           f"values out instead of repeating them with aliases", event.start_mark)
        if event.anchor in self._open_anchors:
            raise _Refused(f"alias {alias} is inside the value it names, so that value would "
                           f"contain itself; write the values out", event.start_mark)
        node = super().compose_node(parent, index)  # the anchored node (or an undefined alias)
        values, height = self._measure(node)
        self._values += values
        self._check(event.start_mark, self._depth + height, alias)
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """(values, levels) of ``node`` with every alias in it expanded."""
        key = id(node)
        if key not in self._measured:
            parts = [self._measure(child) for child in _children(node)]
            self._measured[key] = (1 + sum(values for values, _ in parts),
                                   1 + max((height for _, height in parts), default=0))
        return self._measured[key]

    def _check(self, mark: yaml.Mark, depth: int, alias: str | None = None) -> None:
        through = f" once alias {alias} is expanded" if alias else ""
        if self._values > MAX_YAML_VALUES:
            fix = ("write each value out once, without aliases that repeat other aliases" if alias
                   else "give only the parameters the report needs")
            raise _Refused(f"more than {MAX_YAML_VALUES:,} values{through}; a parameter file "
                           f"holds a few dozen: {fix}", mark)
        if depth > MAX_YAML_DEPTH:
            raise _Refused(f"values nested more than {MAX_YAML_DEPTH} levels deep{through}; a "
                           f"parameter is text, a number, true/false or a list of text", mark)


class _ParameterFileLoader(_LimitedLoader):
    """The loader of parameter files: limited, and refusing every explicit tag while scanning,
    so that no tag ever reaches a constructor."""

    def scan_tag(self) -> yaml.TagToken:
        token = super().scan_tag()
        tag = "".join(part or "" for part in token.value)
        raise _Refused(f"YAML tag {short_repr(tag)} is not allowed in a parameter file; write "
                       f"plain values (strings, numbers, true/false, lists)", token.start_mark)


def _yaml_problem(err: yaml.YAMLError) -> tuple[str, str]:
    """(", line N" or "", the problem) of a YAML error."""
    mark = getattr(err, "problem_mark", None)
    where = f", line {mark.line + 1}" if mark is not None else ""
    return where, shorten(getattr(err, "problem", None) or str(err), 300)


def parse_value_text(raw: str, param_type: str | None = None) -> Any:
    """Return the value of a parameter typed as text (``perfeval run -p NAME VALUE``).

    For a ``str`` parameter the text is kept exactly as typed (``1.10`` stays ``"1.10"``);
    otherwise it is read as a YAML scalar or flow list, like ``papermill -p``: ``2024`` is an
    int, ``0.5`` a float, ``true`` a bool, ``[a, b]`` a list. Anything else stays text, and so
    does text longer than :data:`MAX_TEXT_LENGTH` (which validation then refuses, naming the
    parameter).

    Parameters
    ----------
    raw : str
        The text typed.
    param_type : str, optional
        The parameter's type, if the parameter is known.

    Returns
    -------
    object
        A str, int, float, bool or list.

    Raises
    ------
    ParameterError
        If the text is YAML past the limits of a parameter file (too many aliases, too many values
        once they are expanded, or nested too deep).
    """
    if param_type == "str" or len(raw) > MAX_TEXT_LENGTH:
        return raw
    try:
        value = yaml.load(raw, Loader=_LimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as err:
        raise ParameterError([f"the value {short_repr(raw)}, line {err.line}: {err.message}"]
                             ) from None
    except yaml.YAMLError:
        return raw
    return value if isinstance(value, (str, int, float, bool, list)) else raw


def _read_bounded(path: Path) -> str:
    """The text of ``path``, refusing a file larger than MAX_PARAMETER_FILE_BYTES before reading
    it (and while reading, for a file whose size is not known in advance, such as a pipe)."""
    def too_large(size: str) -> ParameterError:
        return ParameterError([f"parameter file {str(path)!r} is {size} bytes; a parameter file "
                               f"may have at most {MAX_PARAMETER_FILE_BYTES:,} (the bundled ones "
                               f"are under 3 KB): check that --params names the YAML file of "
                               f"parameter values"])
    try:
        size = path.stat().st_size
        if size > MAX_PARAMETER_FILE_BYTES:
            raise too_large(f"{size:,}")
        with path.open("rb") as handle:
            data = handle.read(MAX_PARAMETER_FILE_BYTES + 1)
        if len(data) > MAX_PARAMETER_FILE_BYTES:
            raise too_large(f"more than {MAX_PARAMETER_FILE_BYTES:,}")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError([f"cannot read parameter file {str(path)!r}: "
                              f"{shorten(str(err), 300)}"]) from err


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML parameter file safely and return its mapping of names to values.

    Only plain YAML is accepted: it is parsed with a safe loader, and any explicit tag
    (``!!python/object``, ``!!str`` ...) or merge key (``<<``) is rejected. What a file can cost
    is limited: at most :data:`MAX_PARAMETER_FILE_BYTES` bytes (checked before reading), at most
    :data:`MAX_YAML_ALIASES` aliases, at most :data:`MAX_YAML_VALUES` values once the aliases are
    expanded and at most :data:`MAX_YAML_DEPTH` levels of nesting (counted while the file is
    composed, so an alias bomb is refused before any value is built). An empty file means "all
    defaults".

    Parameters
    ----------
    path : str or Path
        The YAML file, e.g. ``params/state_of_the_nation.yaml``.

    Returns
    -------
    dict
        Parameter names to values (not yet validated: see :func:`validate_parameters`).

    Raises
    ------
    ParameterError
        If the file cannot be read, is too large, is not valid YAML, uses a tag, repeats a key,
        passes a limit, or is not a mapping of names to values; the message names the file and
        the line.
    """
    path = Path(path)
    text = _read_bounded(path)
    try:
        data = yaml.load(text, Loader=_ParameterFileLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as err:
        raise ParameterError([f"{path}, line {err.line}: {err.message}"]) from None
    except yaml.YAMLError as err:
        where, problem = _yaml_problem(err)
        raise ParameterError([f"{path}{where}: not valid YAML: {problem}"]) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError([f"{path}: expected a mapping of parameter names to values "
                              f"(e.g. `year: 2024`), got a {type(data).__name__}"])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        shown = bad_keys[:MAX_UNKNOWN_NAMES_SHOWN]
        more = len(bad_keys) - len(shown)
        raise ParameterError([f"{path}: parameter names must be text, got {short_repr(k)}"
                              for k in shown] + ([f"... and {more:,} more names that are not "
                                                  f"text"] if more else []))
    return data
