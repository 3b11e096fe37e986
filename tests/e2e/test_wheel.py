"""perfeval as a council gets it: the built wheel, installed in a fresh virtual environment, far
from this repository.

The end-to-end test builds the wheel from a copy of the package's sources, installs it with its
dependencies into a new virtual environment (from the package index or pip's cache: the only
step that may use the network), then, in a folder outside the repository with HOME, the
matplotlib, Jupyter, IPython, XDG and temporary folders all inside it, runs the README's
"Your council's workspace" commands (``perfeval init``, ``perfeval run state_of_the_nation``),
then ``perfeval check-data`` and ``perfeval verify``. Every command must succeed, and nothing may
be written outside that folder: the repository's ``outputs/`` and the installed package's folder
are compared before and after. About a minute (most of it pip).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"


def readme_workspace_commands() -> list[str]:
    """The command lines of the first ``sh`` block of the README's "Your council's workspace"
    section, without their comments."""
    section = README.read_text(encoding="utf-8").split("## Your council's workspace", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_starts_with_make_report_and_make_test():
    text = README.read_text(encoding="utf-8")
    block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in block[:2]] == [["make", "report"], ["make", "test"]]


def test_the_readme_goes_from_the_wheel_to_a_report_in_three_commands():
    commands = readme_workspace_commands()
    assert len(commands) == 3
    assert re.fullmatch(r"pip install perfeval-[0-9.]+-py3-none-any\.whl", commands[0])
    assert commands[1].startswith("perfeval init my-council --council ")
    assert commands[2] == "cd my-council && perfeval run state_of_the_nation"


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256): what a run must not change."""
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(
    command: list[str] | str, *, cwd: Path, env: dict[str, str], timeout: float = 300
) -> subprocess.CompletedProcess:
    done = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        shell=isinstance(command, str),
        executable="/bin/bash" if isinstance(command, str) else None,
    )
    assert done.returncode == 0, (
        f"{command!r} exited {done.returncode}\n--- stdout\n"
        f"{done.stdout[-4000:]}\n--- stderr\n{done.stderr[-4000:]}"
    )
    return done


def _build_wheel(tmp: Path) -> Path:
    """Build the wheel from a copy of the sources (so that the build writes nothing here)."""
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(
        REPO / "perfeval",
        source / "perfeval",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1")
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            str(source),
            "-w",
            str(tmp / "dist"),
        ],
        cwd=tmp,
        env=env,
        timeout=600,
    )
    return next((tmp / "dist").glob("perfeval-*.whl"))


def _isolated_env(venv: Path, home: Path) -> dict[str, str]:
    """The environment of a user far from here: this venv first on PATH, and every folder a
    tool might write to (home, caches, Jupyter's and IPython's, temporary files) inside
    ``home``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("PERFEVAL_", "JUPYTER", "IPYTHON", "XDG_", "MPL", "PYTHON", "VIRTUAL_ENV", "COVERAGE")
        )
    }
    folders = {
        "HOME": "home",
        "MPLCONFIGDIR": "mpl",
        "JUPYTER_CONFIG_DIR": "jupyter/config",
        "JUPYTER_DATA_DIR": "jupyter/data",
        "JUPYTER_RUNTIME_DIR": "jupyter/runtime",
        "IPYTHONDIR": "ipython",
        "XDG_CACHE_HOME": "cache",
        "XDG_CONFIG_HOME": "config",
        "XDG_DATA_HOME": "share",
        "XDG_RUNTIME_DIR": "run",
        "TMPDIR": "tmp",
    }
    for name, relative in folders.items():
        (home / relative).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / relative)
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


@pytest.mark.slow
@pytest.mark.notebook
def test_the_wheel_in_a_fresh_environment_runs_and_verifies_a_report_far_from_here(
    tmp_path_factory,
):
    tmp = tmp_path_factory.mktemp("wheel")
    assert not tmp.is_relative_to(REPO), "the test must run outside the repository"
    wheel = _build_wheel(tmp)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    commands = readme_workspace_commands()
    assert shlex.split(commands[0])[-1] == wheel.name, "the README names the built wheel"
    _run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        cwd=tmp,
        env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"),
        timeout=900,
    )

    user = tmp / "user"
    env = _isolated_env(venv, user)
    site = Path(
        _run(
            [str(venv / "bin" / "python"), "-c", "import perfeval, sys; print(perfeval.__file__)"],
            cwd=user,
            env=env,
        ).stdout.strip()
    ).parent
    assert site.is_relative_to(venv), f"perfeval was imported from {site}, not the new venv"
    before = {"repository outputs": _tree(REPO / "outputs"), "installed package": _tree(site)}

    for command in commands[1:]:  # perfeval init ..., cd my-council && perfeval run ...
        _run(command, cwd=user, env=env)
    workspace = user / "my-council"
    checked = _run(["perfeval", "check-data"], cwd=workspace, env=env)
    assert f"Data folder: {site / 'bundled' / 'sample_data'}" in checked.stdout
    assert "No problems found." in checked.stdout
    folder = workspace / "outputs" / "state_of_the_nation" / "E06000017_2024-25"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert Path(manifest["notebook"]["path"]).is_relative_to(site / "bundled" / "notebooks")
    assert Path(manifest["inputs"]["data_dir"]).is_relative_to(site / "bundled")
    assert (folder / "state_of_the_nation.html").is_file()
    assert (workspace / "outputs" / "index.html").is_file()
    verified = _run(["perfeval", "verify", str(folder / "manifest.json")], cwd=workspace, env=env)
    assert "every key figure reproduced exactly" in verified.stdout

    after = {"repository outputs": _tree(REPO / "outputs"), "installed package": _tree(site)}
    assert after == before, "a perfeval command wrote outside the user's folder"
    assert sorted(p.name for p in tmp.iterdir()) == ["dist", "source", "user", "venv"]
