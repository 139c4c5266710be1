"""The README stays true: its settings table lists every variable the settings read, `make
help` lists every target, and its `createorganizer` command works as written."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()

# os.environ.get("X"...), os.environ["X"], env_bool("X"...), env_list("X"...)
ENV_READ = re.compile(r"(?:os\.environ\.get\(|os\.environ\[|env_bool\(|env_list\()\"([A-Z0-9_]+)\"")


def settings_variables() -> set[str]:
    return set(ENV_READ.findall((ROOT / "marketflow" / "settings.py").read_text()))


def readme_table_variables() -> set[str]:
    section = README.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split("|")[1])}


def test_the_settings_table_lists_every_variable_the_settings_read():
    read = settings_variables()

    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "MARKETFLOW_TRUSTED_PROXY_COUNT"} <= read
    assert read - readme_table_variables() == set()


def test_env_example_lists_every_variable_the_settings_read():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, flags=re.MULTILINE))

    assert settings_variables() - listed == set()


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.MULTILINE))
    shown = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    ).stdout

    assert {"run", "test", "help", "bench"} <= targets
    assert {target for target in targets if f"make {target} " not in shown} == set()


def test_the_readme_createorganizer_command_works_as_written(tmp_path):
    """Run from the checkout with DEBUG off and no secret key, on a database of its own."""
    block = README.split("### Creating organizers", 1)[1].split("```sh\n", 1)[1].split("```")[0]
    command = shlex.split(block.strip())
    assert command[:4] == [".venv/bin/python", "manage.py", "createorganizer", "EMAIL"]
    filled = {
        "EMAIL": "readme@example.com",
        "PASSWORD": "plum-orchard-42-lantern",
        "free|paid": "paid",
        "NAME": "Read Me",
    }
    command = [filled.get(part.strip("[]"), part.strip("[]")) for part in command]
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL"))
    }
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=environment, check=True, timeout=300)

    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "readme@example.com" in result.stdout


def make_run_dry(*assignments: str, **environment: str) -> str:
    """What `make run ...` would run (make -n), and the address its links would carry."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("MARKETFLOW_")}
    env.pop("DJANGO_ALLOWED_HOSTS", None)
    env.update(environment)
    return subprocess.run(
        ["make", "--no-print-directory", "-n", "run", *assignments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def test_make_run_serves_on_port_and_host_and_links_there():
    assert "runserver 127.0.0.1:8000" in make_run_dry()
    assert "http://127.0.0.1:8000/admin/" in make_run_dry()

    dry = make_run_dry("PORT=8001", "HOST=192.168.1.20")
    assert "runserver 192.168.1.20:8001" in dry
    assert "API docs: http://192.168.1.20:8001/api/docs/" in dry

    everywhere = make_run_dry("HOST=0.0.0.0", "PORT=8002")
    assert "runserver 0.0.0.0:8002" in everywhere
    assert "http://127.0.0.1:8002/admin/" in everywhere

    chosen = make_run_dry("PORT=8003", MARKETFLOW_BASE_URL="https://demo.example")
    assert "https://demo.example/admin/" in chosen
