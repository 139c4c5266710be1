"""Granian's target in the bench: the project's WSGI application, loaded in each worker, then
frozen for the garbage collector as gunicorn.conf.py's post_worker_init does (Granian has no
per-worker hook)."""

import gc

from marketflow.wsgi import application  # noqa: F401

gc.freeze()
