"""Parameter schemas of the tiny test notebooks in this folder.

perfeval's runner imports ``perfeval_schemas.py`` from a notebook's folder before validating, and
each notebook imports it in its validation cell (the notebook runs in this folder), so both sides
check the same schema.
"""

from perfeval.run.parameters import Param, register_schema

register_schema(
    "hello",
    [
        Param(
            "name",
            str,
            "world",
            "Who to greet",
            check=lambda v, _: (
                None if v.strip() else "must not be blank; give a name such as 'Rutland'"
            ),
        ),
        Param("year", int, 2024, "Calendar year of the greeting", min=2000, max=2100),
        Param("ratio", float, 0.5, "A fraction", min=0.0, max=1.0),
        Param("colour", str, "green", "Traffic-light colour", choices=["red", "amber", "green"]),
        Param("message", str, "", "Free text recorded verbatim as a key figure"),
        Param("data_dir", str, "", "Folder holding values.csv"),
    ],
)

register_schema(
    "broken",
    [
        Param("fail", bool, True, "Raise in the fourth cell when true"),
    ],
)

register_schema(
    "sleepy",
    [
        Param("seconds", float, 0.0, "How long the second code cell sleeps", min=0.0),
        Param("marker_file", str, "", "File created just before sleeping ('' = none)"),
    ],
)
