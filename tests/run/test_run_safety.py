"""Runs that cannot damage a good report: locks, the folder swap, leftovers of dead runs, full
and read-only disks (perfeval.run.outputs and the run side of perfeval.run.runner).

The fast tests run ``hello`` with the fake executor of tests/fakes.py and simulate disk errors by
monkeypatching (the tests run as root, for whom ``chmod`` does not stop writes). The tests marked
``notebook`` run the tiny ``sleepy`` notebook on a real kernel in other processes: one killed
with SIGKILL at four points of a run, and two runs of one report folder at once.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from fakes import record_values_total, use_fake_kernels
from perfeval.core.exceptions import ParameterError, RunError
from perfeval.run import outputs, runner
from perfeval.run.cli import main
from perfeval.run.outputs import (
    clear_leftovers,
    hold_index,
    hold_report,
    report_problems,
    temporary_folder,
)
from perfeval.run.parameters import load_folder_schemas
from perfeval.run.runner import run_report

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
HELLO, SLEEPY = NOTEBOOKS / "hello.ipynb", NOTEBOOKS / "sleepy.ipynb"
PERFEVAL = str(Path(sys.executable).parent / "perfeval")
load_folder_schemas(NOTEBOOKS)


@pytest.fixture
def fake_kernel(monkeypatch):
    return use_fake_kernels(monkeypatch, record_values_total)


@pytest.fixture
def published(tmp_path, fake_kernel):
    """A report of hello published in ``tmp_path/out``: (root, params, result, snapshot)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "values.csv").write_text("area,value\nA,1.5\nB,2\n")
    params = {"data_dir": str(data)}
    root = tmp_path / "out"
    result = run_report(HELLO, params, outputs_root=root)
    return root, params, result, snapshot(root)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every report file and the index, by path relative to ``root``: what a failed run must
    leave exactly as it was (perfeval's hidden files and folders and _failed left out)."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and p.relative_to(root).parts[0] != "_failed"
        and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(root: Path) -> list[Path]:
    """Hidden folders and files outside .locks, and temporary-folder locks."""
    return [
        p
        for p in root.rglob("*")
        if (p.name.startswith(".") and p.relative_to(root).parts[0] != ".locks")
        or p.match(".locks/tmp-*")
    ]


def hold_in_thread(root: Path, target: Path, seconds: float) -> threading.Thread:
    """Hold ``target``'s lock from another thread for ``seconds`` (flock locks of two open
    files exclude each other even within one process); returns once it is held."""
    held = threading.Event()

    def hold():
        with hold_report(root, target, notebook="other.ipynb"):
            held.set()
            time.sleep(seconds)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(10)
    return thread


# -- one run at a time per report folder ----------------------------------------------------------


def test_a_run_on_a_busy_folder_stops_at_once_naming_the_folder_and_the_other_run(published):
    root, params, result, before = published
    thread = hold_in_thread(root, result.output_dir, 2)
    clock = time.monotonic()
    with pytest.raises(RunError) as caught:
        run_report(HELLO, params, outputs_root=root)
    assert time.monotonic() - clock < 2, "stopped at once, did not wait"
    message = str(caught.value)
    assert f"another perfeval run is publishing the report folder {result.output_dir}" in message
    assert f"other.ipynb run by process {os.getpid()}" in message and "--wait SECONDS" in message
    assert snapshot(root) == before and leftovers(root) == []
    thread.join()


def test_wait_publishes_once_the_other_run_has_finished(published):
    root, params, result, before = published
    thread = hold_in_thread(root, result.output_dir, 1)
    with pytest.raises(RunError, match="did not finish within 0.2 s"):
        run_report(HELLO, params, outputs_root=root, wait=0.2)
    again = run_report(HELLO, params, outputs_root=root, wait=30)
    thread.join()
    assert again.output_dir == result.output_dir and report_problems(again.output_dir) == []
    assert leftovers(root) == []


def test_the_lock_is_taken_beside_the_folder_not_in_it(published):
    root, _, result, _ = published
    lock = outputs.report_lock_file(root, result.output_dir)
    assert lock.parent == root / ".locks" and lock.is_file()
    assert json.loads(lock.with_suffix(".owner").read_text())["pid"] == os.getpid()
    assert sorted(p.name for p in result.output_dir.iterdir()) == [
        "hello.html",
        "hello.ipynb",
        "hello.ods",
        "hello.xlsx",
        "manifest.json",
    ]


@pytest.mark.parametrize("wait", [-1, "soon", True, float("nan")])
def test_wait_must_be_a_number_of_seconds(tmp_path, wait):
    with pytest.raises(ParameterError, match="wait: expected the seconds to wait"):
        run_report(HELLO, {}, outputs_root=tmp_path, wait=wait)


def test_cli_run_has_a_wait_option(published, capsys):
    root, params, result, _ = published
    thread = hold_in_thread(root, result.output_dir, 1)
    args = [
        "run",
        str(HELLO),
        "-p",
        "data_dir",
        params["data_dir"],
        "--outputs-root",
        str(root),
        "--no-progress",
    ]
    assert main(args) == 1
    assert "another perfeval run is publishing" in capsys.readouterr().err
    assert main(args + ["--wait", "30"]) == 0
    thread.join()


def test_two_processes_swapping_one_folder_in_a_loop_never_collide(tmp_path):
    """The folder swap alone, from two processes 200 times each, under the lock: no error (it
    was 'OSError: Directory not empty' without it), one whole report at the end, no leftovers."""
    root = tmp_path / "out"
    code = (
        "import json, sys\nfrom pathlib import Path\n"
        "from perfeval.run.outputs import hold_report, swap_in, temporary_folder\n"
        "from perfeval.run.provenance import sha256_file\n"
        "root, who = Path(sys.argv[1]), sys.argv[2]\ntarget = root / 'r'\n"
        "for n in range(200):\n"
        "    with hold_report(root, target, wait=60):\n"
        "        with temporary_folder(root, 'x') as tmp:\n"
        "            (tmp / 'a.txt').write_text(f'{who} {n}')\n"
        "            files = {'a.txt': sha256_file(tmp / 'a.txt')}\n"
        "            (tmp / 'manifest.json').write_text(json.dumps({'report_files': files}))\n"
        "            swap_in(tmp, target)\n"
    )
    root.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(root), who], stderr=subprocess.PIPE, text=True
        )
        for who in "AB"
    ]
    errors = [proc.communicate(timeout=120)[1] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], errors
    assert report_problems(root / "r") == [] and leftovers(root) == []


# -- leftovers of dead runs -----------------------------------------------------------------------


def test_leftovers_of_dead_runs_go_and_those_of_live_ones_stay(tmp_path):
    root = tmp_path
    dead_tmp = root / f".tmp-hello-{'a' * 32}"
    (dead_tmp / "half").mkdir(parents=True)
    (root / ".index-k2j3h4").write_text("<html>half")
    with temporary_folder(root, "hello") as live_tmp:
        assert clear_leftovers(root) == [dead_tmp, root / ".index-k2j3h4"]
        assert live_tmp.is_dir() and not dead_tmp.exists()
        (root / ".index-live").write_text("being written")
        with hold_index(root):
            assert clear_leftovers(root) == [] and (root / ".index-live").exists()
    assert not live_tmp.exists() and not list((root / ".locks").glob("tmp-*"))


def test_a_swap_cut_between_its_two_renames_is_put_back(published):
    root, params, result, before = published
    target = result.output_dir
    old = target.with_name(f".{target.name}.old-{time.time_ns()}")
    os.rename(target, old)  # what a run killed between the two renames leaves
    assert clear_leftovers(root) == [old]
    assert snapshot(root) == before and leftovers(root) == []


def test_a_previous_copy_is_removed_when_the_report_is_there_and_never_while_its_run_lives(
    published,
):
    root, params, result, before = published
    target = result.output_dir
    stale = target.with_name(f".{target.name}.old-1")
    shutil.copytree(target, stale)
    thread = hold_in_thread(root, target, 1)  # a live run is swapping the folder
    assert clear_leftovers(root) == [] and stale.is_dir()
    thread.join()
    assert clear_leftovers(root) == [stale] and snapshot(root) == before


def test_a_previous_copy_that_is_not_a_whole_report_is_not_restored(published):
    root, _, result, _ = published
    target = result.output_dir
    old = target.with_name(f".{target.name}.old-7")
    os.rename(target, old)
    (old / "hello.html").write_text("changed")
    assert report_problems(old) == [f"{old / 'hello.html'}: sha256 differs from the manifest"]
    clear_leftovers(root)
    assert not target.exists() and not old.exists()


def test_the_next_run_clears_what_a_dead_run_left(published):
    root, params, result, _ = published
    dead = root / f".tmp-hello-{'b' * 32}"
    dead.mkdir()
    (dead / "hello.ipynb").write_text("{half")
    run_report(HELLO, params, outputs_root=root)
    assert leftovers(root) == []


# -- full and read-only disks ---------------------------------------------------------------------


def _raise_for(monkeypatch, owner, name, code, when):
    """Make ``owner.name`` raise OSError(code) when ``when(*args)`` is true."""
    real = getattr(owner, name)

    def failing(*args, **kwargs):
        if when(*args):
            raise OSError(code, os.strerror(code), str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, failing)


def test_a_full_disk_while_writing_the_report_is_a_run_error_and_the_report_stays(
    published, monkeypatch
):
    root, params, _, before = published
    _raise_for(
        monkeypatch,
        Path,
        "write_text",
        errno.ENOSPC,
        lambda path, *a: path.name == "hello.html" and path.parent.name.startswith(".tmp-"),
    )
    with pytest.raises(RunError) as caught:
        run_report(HELLO, params, outputs_root=root)
    message = str(caught.value)
    assert "hello.ipynb could not be published: could not write " in message
    assert "hello.html: the disk is full (no space left on the device) (ENOSPC)" in message
    assert "previous report in" in message and "is intact" in message
    assert snapshot(root) == before and leftovers(root) == []
    assert len(list((root / "_failed").glob("hello-*.ipynb"))) == 1


def test_a_read_only_disk_at_the_swap_is_a_run_error_and_the_report_stays(published, monkeypatch):
    root, params, result, before = published
    _raise_for(
        monkeypatch,
        os,
        "rename",
        errno.EROFS,
        lambda src, dst, *a: Path(src).name.startswith(".tmp-"),
    )
    with pytest.raises(RunError) as caught:
        run_report(HELLO, params, outputs_root=root)
    assert "the file system is read-only (EROFS)" in str(caught.value)
    assert f"The previous report in {result.output_dir} (if any) is intact." in str(caught.value)
    assert snapshot(root) == before and leftovers(root) == []


def test_a_previous_report_that_cannot_be_moved_back_is_said_and_put_back_later(
    published, monkeypatch
):
    root, params, result, before = published
    _raise_for(
        monkeypatch, os, "rename", errno.EROFS, lambda src, dst, *a: Path(dst) == result.output_dir
    )
    with pytest.raises(
        RunError,
        match=r"could not be moved back from .*\.2024_[0-9a-f]{8}\.old-\d+"
        r" .*it is complete there: the next perfeval run puts it "
        r"back",
    ):
        run_report(HELLO, params, outputs_root=root)
    monkeypatch.undo()
    clear_leftovers(root)
    assert snapshot(root) == before and leftovers(root) == []


def test_a_read_only_outputs_root_stops_before_anything_runs(published, monkeypatch):
    root, params, _, before = published
    shutil.rmtree(root / ".locks")
    _raise_for(monkeypatch, os, "mkdir", errno.EROFS, lambda path, *a: Path(path).name == ".locks")
    executed = []
    monkeypatch.setattr(runner, "_execute_notebook", lambda *args: executed.append(args))
    with pytest.raises(
        RunError,
        match=r"could not write .*\.locks: the file system is read-only"
        r" \(EROFS\); give a writable folder with --outputs-root",
    ):
        run_report(HELLO, params, outputs_root=root)
    assert executed == [] and snapshot(root) == before


def test_a_full_failed_folder_is_said_beside_the_notebook_error(published, monkeypatch):
    root, params, _, before = published

    def fails(source, output, values, progress, kernel):
        nbformat.write(nbformat.read(source, as_version=4), output)
        raise ValueError("the notebook broke")

    monkeypatch.setattr(runner, "_execute_notebook", fails)
    _raise_for(monkeypatch, shutil, "move", errno.EDQUOT, lambda *a: True)
    with pytest.raises(RunError) as caught:
        run_report(HELLO, params, outputs_root=root)
    message = str(caught.value)
    assert "hello.ipynb could not be run: ValueError: the notebook broke" in message
    assert f"could not be kept in {root / '_failed'}" in message
    assert "the disk quota is used up (EDQUOT)" in message and "is intact" in message
    assert caught.value.failed_notebook is None
    assert snapshot(root) == before and leftovers(root) == []


def test_a_full_disk_at_the_index_is_a_warning_after_publishing(published, monkeypatch):
    root, params, result, _ = published
    _raise_for(
        monkeypatch,
        os,
        "replace",
        errno.ENOSPC,
        lambda src, dst, *a: Path(dst).name == "index.html",
    )
    index = (root / "index.html").read_bytes()
    with pytest.warns(
        UserWarning,
        match="the report is published, but the index of reports .* "
        "was not updated .*the disk is full",
    ):
        run_report(HELLO, params, outputs_root=root)
    assert report_problems(result.output_dir) == []
    assert (root / "index.html").read_bytes() == index and leftovers(root) == []


def test_the_cli_says_the_disk_is_full_without_a_traceback(published, monkeypatch, capsys):
    root, params, _, before = published
    _raise_for(
        monkeypatch, Path, "write_text", errno.ENOSPC, lambda path, *a: path.name == "manifest.json"
    )
    code = main(
        [
            "run",
            str(HELLO),
            "-p",
            "data_dir",
            params["data_dir"],
            "--outputs-root",
            str(root),
            "--no-progress",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "the disk is full" in err and "Traceback" not in err
    assert snapshot(root) == before


# -- real kernels in other processes --------------------------------------------------------------

KILLER = r'''
import os, signal, sys, threading, time
from pathlib import Path

import psutil

from perfeval.run import runner

def die():
    """SIGKILL this process (after its kernel, which would otherwise linger)."""
    for child in psutil.Process().children(recursive=True):
        child.kill()
    os.kill(os.getpid(), signal.SIGKILL)

point, root, marker = sys.argv[1:4]
params = {"seconds": 0}
if point == "notebook":  # while the notebook runs
    params = {"seconds": 60, "marker_file": marker}
    def watch():
        while not Path(marker).exists():
            time.sleep(0.02)
        die()
    threading.Thread(target=watch, daemon=True).start()
elif point == "written":  # the report complete in its temporary folder, not yet swapped in
    publish = runner._publish
    def publish_then_die(*args, **kwargs):
        publish(*args, **kwargs)
        die()
    runner._publish = publish_then_die
elif point == "swap":  # between the two renames of the swap
    rename = os.rename
    def rename_then_die(src, dst, *args, **kwargs):
        rename(src, dst, *args, **kwargs)
        if ".old-" in os.fspath(dst):
            die()
    os.rename = rename_then_die
elif point == "index":  # the new index written beside index.html, not yet moved over it
    replace = os.replace
    def die_before_index(src, dst, *args, **kwargs):
        if os.fspath(dst).endswith("index.html"):
            die()
        replace(src, dst, *args, **kwargs)
    os.replace = die_before_index
runner.run_report(sys.argv[4], params, outputs_root=root, progress=False)
'''


@pytest.mark.notebook
@pytest.mark.parametrize("point", ["notebook", "written", "swap", "index"])
def test_a_run_killed_at_any_point_harms_nothing_and_the_next_run_clears_up(tmp_path, point):
    root = tmp_path / "out"
    previous = run_report(SLEEPY, {"seconds": 0}, outputs_root=root, progress=False)
    target, before = previous.output_dir, snapshot(root)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, point, str(root), str(tmp_path / "sleeping"), str(SLEEPY)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    after = snapshot(root)
    assert after["index.html"] == before["index.html"]
    if point == "index":  # published, and whole; only the index is not yet rewritten
        assert report_problems(target) == []
        assert [p.name[:7] for p in leftovers(root)] == [".index-"]
    elif point == "swap":  # the previous report whole beside its place, put back by the next run
        assert not target.exists()
        [old] = target.parent.glob(".default.old-*")
        assert files_of(old) == {
            k.removeprefix("sleepy/default/"): v
            for k, v in before.items()
            if k.startswith("sleepy/default/")
        }
        clear_leftovers(root)
        assert snapshot(root) == before
    else:
        assert after == before
        [building] = root.glob(".tmp-sleepy-*")  # and its lock, which nobody holds now
        token = building.name.rsplit("-", 1)[1]
        assert sorted(leftovers(root)) == [root / ".locks" / f"tmp-{token}.lock", building]
    again = run_report(SLEEPY, {"seconds": 0}, outputs_root=root, progress=False)
    assert report_problems(again.output_dir) == [] and leftovers(root) == []
    assert 'href="sleepy/default/sleepy.html"' in (root / "index.html").read_text()


def _run_command(root: Path, seconds: float, *extra: str) -> list[str]:
    # one folder for every run, whatever its seconds (which would give each its own folder)
    return [
        PERFEVAL,
        "run",
        str(SLEEPY),
        "-p",
        "seconds",
        str(seconds),
        "--outputs-root",
        str(root),
        "--output-dir",
        "sleepy/default",
        "--no-progress",
        *extra,
    ]


def _start_and_wait_until_sleeping(command: list[str], marker: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        command + ["-p", "marker_file", str(marker)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the notebook never started sleeping"
        time.sleep(0.05)
    return proc


@pytest.mark.notebook
def test_two_runs_of_one_folder_at_once_one_publishes_the_other_says_why(tmp_path):
    root = tmp_path / "out"
    first = _start_and_wait_until_sleeping(_run_command(root, 3), tmp_path / "sleeping")
    try:
        second = subprocess.run(_run_command(root, 0), capture_output=True, text=True, timeout=120)
        first_out, first_err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, first_err
    assert second.returncode == 1, second.stderr
    assert (
        f"another perfeval run is publishing the report folder {root / 'sleepy' / 'default'} "
        f"(sleepy.ipynb run by process {first.pid} on "
    ) in second.stderr
    assert "Traceback" not in second.stderr
    target = root / "sleepy" / "default"
    manifest = json.loads((target / "manifest.json").read_text())
    assert report_problems(target) == [] and manifest["key_figures"]["slept"]["value"] == 3.0
    assert leftovers(root) == []


@pytest.mark.notebook
def test_with_wait_two_runs_of_one_folder_publish_one_after_the_other(tmp_path):
    root = tmp_path / "out"
    first = _start_and_wait_until_sleeping(_run_command(root, 2), tmp_path / "sleeping")
    try:
        second = subprocess.run(
            _run_command(root, 0, "--wait", "120"), capture_output=True, text=True, timeout=180
        )
        first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
    assert (first.returncode, second.returncode) == (0, 0), second.stderr
    target = root / "sleepy" / "default"
    manifest = json.loads((target / "manifest.json").read_text())
    assert report_problems(target) == [] and manifest["key_figures"]["slept"]["value"] == 0.0
    assert leftovers(root) == []


@pytest.mark.notebook
def test_a_run_never_clears_the_temporary_folder_of_a_live_run(tmp_path):
    root = tmp_path / "out"
    live = _start_and_wait_until_sleeping(_run_command(root, 60), tmp_path / "sleeping")
    try:
        [building] = root.glob(".tmp-sleepy-*")
        other = run_report(
            SLEEPY, {"seconds": 0}, output_dir="elsewhere", outputs_root=root, progress=False
        )
        assert building.is_dir() and report_problems(other.output_dir) == []
    finally:
        live.send_signal(signal.SIGTERM)
        _, err = live.communicate(timeout=60)
    assert live.returncode == 130, err
    assert not building.exists()
