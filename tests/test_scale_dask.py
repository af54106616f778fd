"""The Dask engine: the same inputs give the same records as the local process pool."""

from __future__ import annotations

import shutil

import pytest

from test_batch_scale import comparable, small_photo, write_jpeg
from test_scale_video import write_clip
from vision.batch import run_scan
from vision.report import read_results

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as c:
        yield c


def test_dask_engine_gives_the_local_records(tmp_path, cluster):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        write_jpeg(folder / f"p{i}.jpg", small_photo(20 + i))
    shutil.copy(folder / "p0.jpg", folder / "p0_copy.jpg")
    (folder / "empty.jpg").write_bytes(b"")
    write_clip(folder / "clip.avi", seconds=2)
    local = run_scan([folder], tmp_path / "local", progress=False, jobs=2)
    dask = run_scan([folder], tmp_path / "dask", progress=False, engine="dask", scheduler=cluster.scheduler_address)
    assert (dask.total, dask.ok, dask.errors, dask.duplicates) == (local.total, local.ok, local.errors, local.duplicates) == (9, 9, 1, 1)
    assert comparable(read_results(tmp_path / "dask")) == comparable(read_results(tmp_path / "local"))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"engine": "dask"}, "scheduler: expected a Dask scheduler address"),
        ({"scheduler": "tcp://127.0.0.1:8786"}, "scheduler: expected a Dask scheduler address"),
        ({"engine": "spark"}, "engine must be 'local' or 'dask'"),
    ],
)
def test_engine_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_scan([tmp_path], tmp_path / "out", progress=False, **kwargs)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--engine", "dask"], "--scheduler ADDRESS is required with --engine dask"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler ADDRESS is required with --engine dask"),
        (["--engine", "spark"], "invalid choice"),
    ],
)
def test_cli_engine_usage_errors(tmp_path, capsys, extra, message):
    from vision.cli import main

    photo = write_jpeg(tmp_path / "p.jpg", small_photo(1))
    with pytest.raises(SystemExit) as exc:
        main(["scan", str(photo), "--out", str(tmp_path / "out"), *extra])
    assert exc.value.code == 2 and message in capsys.readouterr().err
