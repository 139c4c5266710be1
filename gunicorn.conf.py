"""gunicorn's settings for Marketflow, read from the working directory (`gunicorn
marketflow.wsgi` in a checkout; command-line options win)."""

import gc
import os


def post_worker_init(worker):
    # Everything loaded so far (Django, the project, templates) lives as long as the worker:
    # frozen, the garbage collector no longer walks it on each full collection, which the
    # slowest requests paid for (bench/README.md has the measurement).
    gc.freeze()


def child_exit(server, worker):
    # prometheus-client's multi-process mode (PROMETHEUS_MULTIPROC_DIR): a worker that ended
    # leaves its live gauges behind unless marked dead (marketflow/observability.py).
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
