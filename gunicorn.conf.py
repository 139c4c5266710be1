"""gunicorn's settings for Marketflow, read from the working directory (`gunicorn
marketflow.wsgi` in a checkout; command-line options win)."""

import gc


def post_worker_init(worker):
    # Everything loaded so far (Django, the project, templates) lives as long as the worker:
    # frozen, the garbage collector no longer walks it on each full collection, which the
    # slowest requests paid for (bench/README.md has the measurement).
    gc.freeze()
