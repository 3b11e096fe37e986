"""Report parameters: looking up their declarations, validating values, describing them.

Every report notebook has one schema: a list of :class:`~perfeval.run.declarations.Param`
registered under the notebook's stem (``"state_of_the_nation"`` for ``state_of_the_nation.ipynb``)
with :func:`~perfeval.run.declarations.register_schema`. The built-in notebooks' schemas are in
:mod:`perfeval.run.schemas`, imported here. A council's own notebook declares its schema in its
metadata (:func:`load_notebook_schema`) or in a ``perfeval_schemas.py`` beside it
(:func:`load_folder_schemas`); the runner loads both (:func:`load_schemas_for`).

Values are checked twice with the same rules: by the runner before anything is executed
(:func:`validate_parameters`), and inside the notebook, in the cell right after the ``parameters``
cell (:func:`validate_notebook_namespace`), so a plain ``papermill -p`` run is checked too.
Every problem is collected and reported at once in one
:class:`~perfeval.core.exceptions.ParameterError`.

The modules below this one: :mod:`perfeval.run.declarations` (the ``Param`` type, coercion and
the registry; what a module of declarations imports) and :mod:`perfeval.run.paramfiles` (parameter
files and values typed as text, read within limits). Their public names are re-exported here, so
``from perfeval.run.parameters import Param, load_parameter_file`` keeps working.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import inspect
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from perfeval.core.exceptions import ParameterError, PerfevalError
from perfeval.core.periods import Period, parse_period
from perfeval.core.quoting import short_repr, shorten
from perfeval.run import paramtext, schemas
from perfeval.run.declarations import (
    MAX_LIST_ITEMS,
    MAX_TEXT_LENGTH,
    TYPES,
    Check,
    Param,
    _Invalid,
    declared_schema,
    declared_stems,
    is_path_parameter,
    register_schema,
)
from perfeval.run.paramfiles import (
    MAX_PARAMETER_FILE_BYTES,
    MAX_UNKNOWN_NAMES_SHOWN,
    MAX_YAML_ALIASES,
    MAX_YAML_DEPTH,
    MAX_YAML_VALUES,
    load_parameter_file,
    parse_value_text,
)

__all__ = [
    "Param",
    "register_schema",
    "get_schema",
    "validate_parameters",
    "check_against_data",
    "parameters_cell",
    "default_parameters_yaml",
    "describe_default_differences",
    "validated_period",
    "validated_periods",
    "validate_notebook_namespace",
    "describe_schema",
    "load_parameter_file",
    "is_path_parameter",
    "load_folder_schemas",
    "load_notebook_schema",
    "load_schemas_for",
    "schema_from_metadata",
    "NAMED_CHECKS",
    "NOTEBOOK_METADATA_KEY",
    "FOLDER_SCHEMA_FILE",
    "short_repr",
    "Check",
    "TYPES",
    "shorten",
    "parse_value_text",
    "MAX_PARAMETER_FILE_BYTES",
    "MAX_YAML_ALIASES",
    "MAX_YAML_VALUES",
    "MAX_YAML_DEPTH",
    "MAX_TEXT_LENGTH",
    "MAX_LIST_ITEMS",
]

_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "params"})
FOLDER_SCHEMA_FILE = "perfeval_schemas.py"
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
    digest = hashlib.sha256(str(module_file).encode()).hexdigest()[:16]
    module_name = f"_perfeval_folder_schemas_{digest}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, module_file)
        if spec is None or spec.loader is None:
            raise ParameterError(
                [f"{module_file}: cannot be imported as a Python module; rename it or remove it"]
            )
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
        return getattr(schemas, function_name)([value] if single else value, values)

    check.__name__ = f"check_{name}"
    return check


def _spec_problems(where: str, spec: Any) -> list[str]:
    """What is wrong with one declared parameter's keys (before the Param is built)."""
    if not isinstance(spec, dict):
        return [
            f'{where}: expected an object such as {{"name": "year", "type": '
            f'"str", "default": "2024/25"}}; got {short_repr(spec)}'
        ]
    problems = [
        f"{where}: unknown key {short_repr(key)}; the keys are {', '.join(NOTEBOOK_PARAMETER_KEYS)}"
        for key in spec
        if key not in NOTEBOOK_PARAMETER_KEYS
    ]
    problems += [
        f"{where}: {key!r} is missing" for key in ("name", "type", "default") if key not in spec
    ]
    if not isinstance(spec.get("name", ""), str) or not isinstance(spec.get("help", ""), str):
        problems.append(f"{where}: 'name' and 'help' must be text")
    if not isinstance(spec.get("allowed", []), list):
        problems.append(f"{where}: 'allowed' must be a list of the allowed values")
    for key in ("min", "max"):
        bound = spec.get(key)
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            problems.append(f"{where}: {key!r} must be a number; got {short_repr(bound)}")
    if spec.get("check") is not None and spec.get("check") not in NAMED_CHECKS:
        problems.append(
            f"{where}: check {short_repr(spec.get('check'))} is not one of "
            f"{', '.join(NAMED_CHECKS)}"
        )
    return problems


def _declared_param(spec: dict[str, Any]) -> Param:
    check = spec.get("check")
    allowed = spec.get("allowed")
    return Param(
        spec["name"],
        spec["type"],
        spec["default"],
        spec.get("help", ""),
        choices=tuple(allowed) if allowed is not None else None,
        min=spec.get("min"),
        max=spec.get("max"),
        check=_named_check(check) if check is not None else None,
    )


def schema_from_metadata(
    metadata: Mapping[str, Any], source: str = "the notebook"
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
        raise ParameterError(
            [
                f"{source}: metadata {NOTEBOOK_METADATA_KEY!r} must be an object "
                f'with a list "parameters"'
            ]
        )
    problems: list[str] = []
    params: list[Param] = []
    for index, spec in enumerate(specs[:MAX_LIST_ITEMS]):
        name = spec.get("name") if isinstance(spec, dict) else None
        where = f"{source}, parameter {index + 1}" + (
            f" ({shorten(name, 40)})" if isinstance(name, str) else ""
        )
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
            raise ParameterError(
                [
                    f"{path}: larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB; a "
                    f"report notebook is committed without outputs"
                ]
            )
        with path.open("rb") as handle:
            document = json.loads(handle.read(MAX_NOTEBOOK_BYTES + 1).decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ParameterError(
            [f"{path}: cannot be read as a notebook: {shorten(str(err), 200)}"]
        ) from err
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


def get_schema(stem: str) -> list[Param]:
    """Return the schema registered for the notebook ``stem``.

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem``; the message lists the known stems.
    """
    schema = declared_schema(stem)
    if schema is None:
        known = ", ".join(declared_stems()) or "none"
        raise ParameterError(
            [
                f"no parameter schema is registered for notebook {stem!r} "
                f"(known: {known}); declare its parameters in the notebook's "
                f"metadata (perfeval new writes one), or call "
                f"register_schema({stem!r}, [...]) in a {FOLDER_SCHEMA_FILE} "
                f"beside it (a built-in report's: in perfeval/run/schemas.py)"
            ],
            notebook=stem,
        )
    return schema


def _unknown_name_problem(name: Any, valid: list[str]) -> str:
    longest = max(map(len, valid), default=0)
    close = (
        difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
        if isinstance(name, str) and len(name) <= 3 * longest
        else []
    )
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown parameter {short_repr(name)}{hint}; valid names are: {', '.join(valid)}"


def _unknown_name_problems(names: list[Any], valid: list[str]) -> list[str]:
    """One problem per unknown name, the first MAX_UNKNOWN_NAMES_SHOWN of them, then a count."""
    problems = [_unknown_name_problem(name, valid) for name in names[:MAX_UNKNOWN_NAMES_SHOWN]]
    if len(names) > MAX_UNKNOWN_NAMES_SHOWN:
        problems.append(
            f"... and {len(names) - MAX_UNKNOWN_NAMES_SHOWN:,} more unknown "
            f"parameter names; give only the valid names listed above"
        )
    return problems


def _resolve(
    stem: str, values: Mapping[str, Any], missing_problem: bool, data_checks: bool = True
) -> dict[str, Any]:
    schema = get_schema(stem)
    valid = [p.name for p in schema]
    unknown = _unknown_name_problems([name for name in values if name not in valid], valid)
    problems: list[str] = []
    resolved: dict[str, Any] = {}
    for param in schema:
        if param.name not in values:
            if missing_problem:
                problems.append(
                    f"{param.name!r} is in the schema but not defined in the "
                    f"notebook's parameters cell; add `{param.name} = "
                    f"{paramtext.python_literal(param.default)}` there"
                )
            resolved[param.name] = param.default
            continue
        try:
            resolved[param.name] = param.coerce(values[param.name])
        except _Invalid as err:
            problems += [f"{param.name} ({param.type}): {problem}" for problem in err.problems]
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
            problems.append(
                f"{param.name} = {short_repr(resolved[param.name])}: {shorten(message, 1000)}"
            )
    return problems


def validate_parameters(
    stem: str, values: Mapping[str, Any], *, data_checks: bool = True
) -> dict[str, Any]:
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
    (:mod:`perfeval.data.requirements`: every built-in report does) and that is a folder, its data
    are loaded once first: a folder with problems is reported once, grouped (not once per parameter
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

        folder = resolve_data_dir(values.get("data_dir", ""))
        if requirements_for(stem) is not None and folder.is_dir():  # else data_dir's check says
            unmet = describe_unmet_requirements(stem, schemas.dataset_for(values))
            if unmet:
                raise ParameterError(
                    [f"data_dir = {short_repr(values.get('data_dir', ''))}: {unmet}"], notebook=stem
                )
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


def validated_period(params: Mapping[str, Any], name: str = "year") -> Period:
    """Return the period a validated parameter names, as a :class:`~perfeval.core.periods.Period`.

    The notebooks receive period parameters as text (``"2024/25"``); code that works with the
    period itself takes it from here once, instead of parsing the label again.

    Parameters
    ----------
    params : mapping
        Resolved parameters, from :func:`validate_parameters` or
        :func:`validate_notebook_namespace`.
    name : str
        The parameter, e.g. ``"year"`` or ``"programme_start"``.

    Returns
    -------
    Period

    Raises
    ------
    ParameterError
        If ``params`` has no ``name``, or its value is not a period label.
    """
    if name not in params:
        raise ParameterError(
            [
                f"there is no parameter {short_repr(name)} (the parameters are "
                f"{', '.join(map(str, params)) or 'none'}); give the name of a "
                f"period parameter such as 'year'"
            ]
        )
    value = params[name]
    try:
        return parse_period(value)
    except (PerfevalError, ValueError, TypeError) as err:
        raise ParameterError(
            [
                f"{name} = {short_repr(value)}: not a period ({shorten(str(err))}); "
                f"write a financial year as '2024/25', a quarter as '2024/25 Q3' "
                f"or a month as '2024-10'"
            ]
        ) from err


def validated_periods(stem: str, params: Mapping[str, Any]) -> dict[str, Period]:
    """Return every period parameter of ``stem`` (declared with ``period=True``) that holds a
    period, as :class:`~perfeval.core.periods.Period` by name; ``""`` (none) is left out.

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem``, or a value is not a period label
        (:func:`validated_period`).
    """
    return {
        p.name: validated_period(params, p.name)
        for p in get_schema(stem)
        if p.period and params.get(p.name, p.default) != ""
    }


def parameters_cell(stem: str) -> str:
    """Return the source of the ``parameters`` cell of the notebook ``stem``, from its
    declarations: one ``name = <Python literal of the default>`` per parameter, in declaration
    order (:func:`perfeval.run.paramtext.cell_source`).

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem`` (:func:`get_schema`).
    """
    return paramtext.cell_source(get_schema(stem))


def default_parameters_yaml(stem: str) -> str:
    """Return a parameter file of the declared defaults of ``stem``, each after a comment saying
    what it does (:func:`perfeval.run.paramtext.yaml_source`).

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem`` (:func:`get_schema`).
    """
    return paramtext.yaml_source(get_schema(stem), f"{stem}: default parameters")


def describe_default_differences(stem: str, values: Mapping[str, Any]) -> list[str]:
    """Return how ``values`` (a parameter file's, as read) differ from the declared defaults of
    ``stem``: one message per missing, unknown or different name; empty when they are the same
    (:func:`perfeval.run.paramtext.default_differences`).

    Raises
    ------
    ParameterError
        If no schema is registered under ``stem`` (:func:`get_schema`).
    """
    return paramtext.default_differences(get_schema(stem), values)


def _shown(param: Param) -> tuple[str, str]:
    """The default and the allowed values as ``perfeval params`` shows them: a list of mappings
    by its number of items, its fields listed below the table (:func:`_describe_fields`)."""
    if param.item is not None:
        return f"[{len(param.default)} items]", "items with the fields below"
    return repr(param.default), param.allowed()


def _describe_fields(param: Param) -> list[str]:
    """One line per field of a ``list[dict]`` parameter's items: name, allowed, description."""
    if param.item is None:
        return []
    fields = param.item.fields
    width = max(len(f.allowed()) for f in fields)
    return ["", f"Each item of {param.name} has the fields:"] + [
        f"  {f.allowed().ljust(width)}  {f.description}".rstrip() for f in fields
    ]


def _table_lines(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows (the first a header) as aligned columns under a rule; the last column unpadded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]

    def line(row: tuple[str, ...]) -> str:
        cells = [cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths) + "  " + "-" * len(rows[0][-1])
    return [line(rows[0]), rule] + [line(row) for row in rows[1:]]


def describe_schema(stem: str) -> str:
    """Return a plain-text table of the parameters of ``stem``: name, type, default, allowed
    values and description (used by ``perfeval params``); the fields of a ``list[dict]``
    parameter's items follow the table."""
    schema = get_schema(stem)
    header = ("name", "type", "default", "allowed", "description")
    rows = [header] + [(p.name, p.type, *_shown(p), p.description) for p in schema]
    table = _table_lines(rows)
    if not schema:
        table.append("(this notebook takes no parameters)")
    fields = [line for p in schema for line in _describe_fields(p)]
    return "\n".join([f"Parameters of {stem}:"] + table + fields)
