"""Parameter files and parameter values typed as text, read safely.

Parameter files and command-line values are untrusted input, so what they can cost is limited, by
limits no real report comes near (the bundled parameter files are under 3 KB, nest 3 levels and
use no aliases):

- a parameter file is at most :data:`MAX_PARAMETER_FILE_BYTES` (1 MiB), checked before it is read
  and while it is read;
- its YAML may hold at most :data:`MAX_YAML_ALIASES` aliases (``*name``), at most
  :data:`MAX_YAML_VALUES` values once every alias is expanded, and nest at most
  :data:`MAX_YAML_DEPTH` levels; all three are counted while the file is composed, so an alias
  bomb ("billion laughs") is refused before any value is built;
- error messages quote at most a short prefix of any value or name (:func:`short_repr`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import yaml

from perfeval.core.exceptions import ParameterError
from perfeval.core.quoting import CONTAINERS as _CONTAINERS
from perfeval.core.quoting import short_repr, shorten
from perfeval.run.declarations import MAX_TEXT_LENGTH

__all__ = [
    "load_parameter_file",
    "parse_value_text",
    "MAX_PARAMETER_FILE_BYTES",
    "MAX_YAML_ALIASES",
    "MAX_YAML_VALUES",
    "MAX_YAML_DEPTH",
    "MAX_UNKNOWN_NAMES_SHOWN",
]

MAX_PARAMETER_FILE_BYTES = 1024 * 1024
"""Largest parameter file read, in bytes (the bundled ones are under 3 KB)."""
MAX_YAML_ALIASES = 50
"""Most YAML aliases (``*name``) in one parameter file or value (the bundled files use none)."""
MAX_YAML_VALUES = 10_000
"""Most YAML values (scalars, lists, mappings, keys) once every alias is expanded."""
MAX_YAML_DEPTH = 20
"""Deepest nesting of YAML collections (a parameter file needs 3: mapping, list, text)."""
MAX_UNKNOWN_NAMES_SHOWN = 10
"""Unknown parameter names listed one by one in an error; the rest are counted."""


_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    """Internal: YAML text refused before any value is built (a limit passed, or a tag)."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else 1


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that also rejects duplicate and merge (``<<``) keys, and reports a
    value that cannot be built (a date such as 2024-13-45, an integer of 5,000 digits) as a YAML
    error at its line instead of a bare ValueError."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as err:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"this value cannot be read ({shorten(str(err).split(';')[0], 120)});"
                f" put it in quotes if it is meant as text",
                node.start_mark,
            ) from err


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == _MERGE_TAG:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "merge keys ('<<') are not allowed in a parameter file; write each value out",
                key_node.start_mark,
            )
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if isinstance(key, _CONTAINERS):
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a {type(key).__name__} cannot be a name; parameter names are text",
                key_node.start_mark,
            )
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{short_repr(key)} is given twice (lines {seen[key]} and {line})",
                key_node.start_mark,
            )
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
            return cast(yaml.Node, super().compose_node(parent, index))
        finally:
            self._depth -= 1
            self._open_anchors.discard(event.anchor)

    def _compose_alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: Any
    ) -> yaml.Node:
        alias = f"*{shorten(event.anchor or '', 40)}"
        self._aliases += 1
        if self._aliases > MAX_YAML_ALIASES:
            raise _Refused(
                f"more than {MAX_YAML_ALIASES} aliases ({alias} is one); write the "
                f"values out instead of repeating them with aliases",
                event.start_mark,
            )
        if event.anchor in self._open_anchors:
            raise _Refused(
                f"alias {alias} is inside the value it names, so that value would "
                f"contain itself; write the values out",
                event.start_mark,
            )
        # the anchored node (or an undefined alias, which raises)
        node = cast(yaml.Node, super().compose_node(parent, index))
        values, height = self._measure(node)
        self._values += values
        self._check(event.start_mark, self._depth + height, alias)
        return node

    def _measure(self, node: yaml.Node) -> tuple[int, int]:
        """(values, levels) of ``node`` with every alias in it expanded."""
        key = id(node)
        if key not in self._measured:
            parts = [self._measure(child) for child in _children(node)]
            self._measured[key] = (
                1 + sum(values for values, _ in parts),
                1 + max((height for _, height in parts), default=0),
            )
        return self._measured[key]

    def _check(self, mark: Any, depth: int, alias: str | None = None) -> None:
        through = f" once alias {alias} is expanded" if alias else ""
        if self._values > MAX_YAML_VALUES:
            fix = (
                "write each value out once, without aliases that repeat other aliases"
                if alias
                else "give only the parameters the report needs"
            )
            raise _Refused(
                f"more than {MAX_YAML_VALUES:,} values{through}; a parameter file "
                f"holds a few dozen: {fix}",
                mark,
            )
        if depth > MAX_YAML_DEPTH:
            raise _Refused(
                f"values nested more than {MAX_YAML_DEPTH} levels deep{through}; a "
                f"parameter is text, a number, true/false or a list of text",
                mark,
            )


class _ParameterFileLoader(_LimitedLoader):
    """The loader of parameter files: limited, and refusing every explicit tag while scanning,
    so that no tag ever reaches a constructor."""

    def scan_tag(self) -> yaml.TagToken:
        token = super().scan_tag()
        tag = "".join(part or "" for part in token.value)
        raise _Refused(
            f"YAML tag {short_repr(tag)} is not allowed in a parameter file; write "
            f"plain values (strings, numbers, true/false, lists)",
            token.start_mark,
        )


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
        raise ParameterError(
            [f"the value {short_repr(raw)}, line {err.line}: {err.message}"]
        ) from None
    except yaml.YAMLError:
        return raw
    return value if isinstance(value, (str, int, float, bool, list)) else raw


def _read_bounded(path: Path) -> str:
    """The text of ``path``, refusing a file larger than MAX_PARAMETER_FILE_BYTES before reading
    it (and while reading, for a file whose size is not known in advance, such as a pipe)."""

    def too_large(size: str) -> ParameterError:
        return ParameterError(
            [
                f"parameter file {str(path)!r} is {size} bytes; a parameter file "
                f"may have at most {MAX_PARAMETER_FILE_BYTES:,} (the bundled ones "
                f"are under 3 KB): check that --params names the YAML file of "
                f"parameter values"
            ]
        )

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
        raise ParameterError(
            [f"cannot read parameter file {str(path)!r}: {shorten(str(err), 300)}"]
        ) from err


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
        raise ParameterError(
            [
                f"{path}: expected a mapping of parameter names to values "
                f"(e.g. `year: 2024`), got a {type(data).__name__}"
            ]
        )
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        shown = bad_keys[:MAX_UNKNOWN_NAMES_SHOWN]
        more = len(bad_keys) - len(shown)
        raise ParameterError(
            [f"{path}: parameter names must be text, got {short_repr(k)}" for k in shown]
            + ([f"... and {more:,} more names that are not text"] if more else [])
        )
    return data
