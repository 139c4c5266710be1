"""Every app's own tests run under `make test`: an app missing from pytest's testpaths would
have its tests silently left out (as the seasons app's were at first)."""

import tomllib
from pathlib import Path

from conftest import DOMAIN_APPS


def test_every_apps_tests_are_collected():
    config = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    testpaths = config["tool"]["pytest"]["ini_options"]["testpaths"]
    assert set(DOMAIN_APPS) <= set(testpaths)
