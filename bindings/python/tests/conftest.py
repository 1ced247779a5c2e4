import os
import pathlib

import pytest

ROOT = pathlib.Path(os.environ.get("CRMKIT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[3]))
DATA = ROOT / "data"


@pytest.fixture
def data():
    return DATA


@pytest.fixture(scope="module")
def client():
    """A 2-process Dask LocalCluster for one test module (its workers inherit CRMKIT_LIBRARY)."""
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()
