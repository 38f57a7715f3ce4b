#!/usr/bin/env python3
"""The two commands of the README, for a machine that has nothing but Python 3.11+.

    python3 dev.py demo [--reset] [--port 5000]   the demo on http://127.0.0.1:5000/admin
    python3 dev.py test [pytest arguments]        the whole test suite

Both first make sure ``.venv`` exists and holds gridgov, every bundled plugin under
``plugins/`` and the test suite's example plugin, installed editable. The install is skipped
while a stamp of the pyproject files says nothing changed. Standard library only: this runs
before anything is installed.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / "gridgov-install.stamp"
GET_PIP = "https://bootstrap.pypa.io/get-pip.py"
DEMO_HOST = "127.0.0.1"


def say(message: str) -> None:
    print(f"[dev.py] {message}", flush=True)


def run(*command, env=None) -> None:
    result = subprocess.run([str(c) for c in command], cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(f"[dev.py] failed ({result.returncode}): {' '.join(map(str, command))}")


def projects() -> list[Path]:
    """The core, each bundled plugin, and the out-of-tree example plugin of the tests."""
    plugins = sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))
    return [ROOT, *plugins, ROOT / "tests" / "example_plugin"]


def stamp() -> str:
    digest = hashlib.sha256(sys.version.encode())
    for project in projects():
        digest.update(str(project.relative_to(ROOT)).encode())
        digest.update((project / "pyproject.toml").read_bytes())
    return digest.hexdigest()


def create_venv() -> None:
    say(f"creating the virtual environment {VENV}")
    if subprocess.run([sys.executable, "-m", "venv", str(VENV)]).returncode == 0:
        return
    # Some Linux distributions ship Python without ensurepip (Debian: python3-venv); bootstrap
    # pip the way pip documents instead.
    say("python -m venv failed (no ensurepip?); creating it without pip and bootstrapping pip")
    run(sys.executable, "-m", "venv", "--clear", "--without-pip", VENV)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "get-pip.py"
        urllib.request.urlretrieve(GET_PIP, script)
        run(PYTHON, script, "--quiet")


def ensure_environment() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"[dev.py] gridgov needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        create_venv()
    wanted = stamp()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    say("installing gridgov, its plugins and the test tools into .venv (the first time takes a minute)")
    editable = []
    for project in projects():
        target = str(project.relative_to(ROOT)) if project != ROOT else "."
        editable += ["-e", target + ("[test]" if project == ROOT else "")]
    run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--quiet", *editable)
    STAMP.write_text(wanted)


def gridgov(*args, env) -> None:
    run(BIN / "gridgov", *args, env=env)


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dev.py demo", description="Start the demo.")
    parser.add_argument("--reset", action="store_true", help="load the demo tenants afresh")
    parser.add_argument("--port", type=int, default=5000)
    options = parser.parse_args(argv)
    ensure_environment()
    env = dict(os.environ, GRIDGOV_DEMO="1", GRIDGOV_INSTANCE_PATH=str(ROOT / "instance"))
    env.pop("DATABASE_URL", None)  # the demo is the embedded SQLite database under instance/
    gridgov("db", "upgrade", env=env)
    gridgov("demo", "load", *(["--reset"] if options.reset else []), env=env)
    say(f"the demo: http://{DEMO_HOST}:{options.port}/admin (log in as above), API http://{DEMO_HOST}:{options.port}/api/v1")
    try:
        return subprocess.run([str(BIN / "gridgov"), "serve", "--host", DEMO_HOST, "--port", str(options.port)],
                              cwd=ROOT, env=env).returncode
    except KeyboardInterrupt:
        return 0


def test(argv: list[str]) -> int:
    ensure_environment()
    return subprocess.run([str(PYTHON), "-m", "pytest", *argv], cwd=ROOT).returncode


def main() -> int:
    commands = {"demo": demo, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
