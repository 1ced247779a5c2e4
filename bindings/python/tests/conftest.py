import os
import pathlib

import pytest

ROOT = pathlib.Path(os.environ.get("CRMKIT_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[3]))
DATA = ROOT / "data"


@pytest.fixture
def data():
    return DATA
