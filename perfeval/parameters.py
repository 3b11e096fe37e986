"""Report parameters: schemas, validation, coercion and parameter files.

Every report notebook has one schema: a list of :class:`Param` specs registered under the
notebook's stem (``"state_of_the_nation"`` for ``notebooks/state_of_the_nation.ipynb``) with
:func:`register_schema`. The real schemas live in ``perfeval/schemas.py``, which
:func:`get_schema` imports on first use.

Values are checked twice with the same rules: by the runner before anything is executed
(:func:`validate_parameters`), and inside the notebook, in the cell right after the ``parameters``
cell (:func:`validate_notebook_namespace`), so a plain ``papermill -p`` run is checked too.
Every problem is collected and reported at once in one :class:`~perfeval.exceptions.ParameterError`.

Types are coerced only when nothing is lost: ``"2"`` becomes ``2`` for an ``int`` parameter (values
typed on the command line arrive as strings), ``2`` becomes ``2.0`` for a ``float`` parameter and
``2024`` becomes ``"2024"`` for a ``str`` parameter; ``2.5`` is never silently turned into ``2``.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.util
import sys
import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from perfeval.exceptions import ParameterError, PerfevalError

__all__ = ["Param", "register_schema", "get_schema", "registered_stems", "validate_parameters",
           "check_against_data",
           "validate_notebook_namespace", "describe_schema", "load_parameter_file",
           "is_path_parameter", "load_folder_schemas", "FOLDER_SCHEMA_FILE"]

TYPES = ("str", "int", "float", "bool", "list[str]")
_TYPE_ALIASES: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool",
                                 list: "list[str]", list[str]: "list[str]"}
_IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "params"})
_SCHEMAS: dict[str, list["Param"]] = {}
FOLDER_SCHEMA_FILE = "perfeval_schemas.py"

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
                                  f"{', '.join(TYPES)}; got {self.type!r}"])
        object.__setattr__(self, "type", type_name)
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ParameterError([f"Param name must be a Python identifier not starting with "
                                  f"'_'; got {self.name!r}"])
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
        converted = _COERCERS[self.type](value)
        items = converted if self.type == "list[str]" else [converted]
        if self.choices is not None:
            bad = [item for item in items if item not in self.choices]
            if bad:
                raise _Invalid(f"{repr(bad[0])} is not allowed; choose one of "
                               f"{', '.join(repr(c) for c in self.choices)}")
        below = self.min is not None and converted < self.min
        if below or (self.max is not None and converted > self.max):
            raise _Invalid(f"{converted!r} is out of range; allowed: {self.allowed()}")
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
    return _Invalid(f"expected {expected}, got {type(value).__name__} {value!r}{hint}")


def _to_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise _type_error("a string", value, " (put quotes around it in YAML, e.g. '2024/25')")


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
        raise ParameterError([f"schema {stem!r}: every item must be a perfeval.parameters.Param"])
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ParameterError([f"schema {stem!r}: parameter(s) defined twice: "
                              f"{', '.join(duplicates)}"])
    _SCHEMAS[stem] = list(params)


def _load_bundled_schemas() -> None:
    try:
        importlib.import_module("perfeval.schemas")
    except ModuleNotFoundError as err:
        if err.name != "perfeval.schemas":
            raise


def load_folder_schemas(folder: str | Path) -> bool:
    """Register the schemas of notebooks kept outside the repository's ``notebooks/`` folder.

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
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[module_name]
            raise
    return True


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
                              f"(known: {known}); add one to perfeval/schemas.py with "
                              f"register_schema({stem!r}, [...])"], notebook=stem)
    return _SCHEMAS[stem]


def _unknown_name_problem(name: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown parameter {name!r}{hint}; valid names are: {', '.join(valid)}"


def _resolve(stem: str, values: Mapping[str, Any], missing_problem: bool,
             data_checks: bool = True) -> dict[str, Any]:
    schema = get_schema(stem)
    valid = [p.name for p in schema]
    unknown = [_unknown_name_problem(name, valid) for name in values if name not in valid]
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
            message = f"could not be checked: {err}"
        if message:
            problems.append(f"{param.name} = {resolved[param.name]!r}: {message}")
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

    Raises
    ------
    ParameterError
        Listing every failing check (e.g. a council code absent from the data).
    """
    problems = _run_checks(get_schema(stem), dict(resolved))
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


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that also rejects duplicate keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"{key!r} is given twice (lines {seen[key]} and {line})",
                key_node.start_mark)
        seen[key] = line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _reject_tags(text: str, name: str) -> None:
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        if isinstance(token, yaml.TagToken):
            tag = "".join(token.value)
            raise ParameterError([f"{name}, line {token.start_mark.line + 1}: YAML tag {tag!r} is "
                                  f"not allowed in a parameter file; write plain values "
                                  f"(strings, numbers, true/false, lists)"])


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML parameter file safely and return its mapping of names to values.

    Only plain YAML is accepted: it is parsed with a safe loader, and any explicit tag
    (``!!python/object``, ``!!str`` ...) is rejected. An empty file means "all defaults".

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
        If the file cannot be read, is not valid YAML, uses a tag, repeats a key, or is not a
        mapping of names to values; the message names the file and the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ParameterError([f"cannot read parameter file {str(path)!r}: {err}"]) from err
    try:
        _reject_tags(text, str(path))
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ParameterError([f"{path}{where}: not valid YAML: {problem}"]) from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError([f"{path}: expected a mapping of parameter names to values "
                              f"(e.g. `year: 2024`), got a {type(data).__name__}"])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ParameterError([f"{path}: parameter names must be text, got {k!r}"
                              for k in bad_keys])
    return data
