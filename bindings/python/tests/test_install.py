"""`pip install ./bindings/python` works offline and the installed package finds its library."""
import os
import pathlib
import subprocess
import sys

import pytest

PKG = pathlib.Path(__file__).resolve().parents[1]


def test_pip_install_offline(tmp_path):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip("pip is not installed for this interpreter")
    target = tmp_path / "site"
    env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--target", str(target), str(PKG)],
                   check=True, env=env, cwd=tmp_path)
    assert (target / "crmkit" / "libcrmkit.so").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("CRMKIT_LIBRARY", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    out = subprocess.run([sys.executable, "-c", "import crmkit; print(crmkit.version(), crmkit.__file__)"],
                         check=True, env=env, capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(target) in out
    # The shipped tier rules travel in the wheel: the installed package's default is that file.
    shipped = PKG.parents[1] / "data" / "tiers" / "default.json"
    packaged = target / "crmkit" / "data" / "tiers" / "default.json"
    assert packaged.read_bytes() == shipped.read_bytes()
    code = ("from crmkit import tiers\n"
            "print(tiers.default_config_path())\n"
            "print(tiers.individual([50, 49.99, 18, 4, 3.99])['tier'])\n")
    out = subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True,
                         cwd=tmp_path).stdout.splitlines()
    assert out[0] == str(packaged)
    assert out[1] == "['diamond', 'gold', 'gold', 'silver', 'basic']"
