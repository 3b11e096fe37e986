"""Parameter schema of ``loads.ipynb``, the notebook that counts how often a run parses its data
(tests/run/test_runner.py). ``data_dir`` is checked against its data, so the runner loads the
folder before the kernel runs the notebook."""

from perfeval.run.parameters import Param, register_schema
from perfeval.run.schemas import check_data_dir

register_schema(
    "loads",
    [Param("data_dir", str, "", "The data folder ('' = the bundled data)", check=check_data_dir)],
)
