"""gunicorn.conf.py, which gunicorn reads from the checkout it runs in."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded():
    hooks = runpy.run_path(str(CONF))
    try:
        gc.unfreeze()
        assert gc.get_freeze_count() == 0
        hooks["post_worker_init"](worker=None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
