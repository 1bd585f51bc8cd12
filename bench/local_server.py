"""The README's app (``streamlit run streamlit_app.py``) of this checkout on a free loopback
port, for the benchmarks that start their own server (signin.py, flaky_network.py,
first_visit.py). Demo mode, the data folder given, the embedded SQLite database."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(data_dir: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """Start the server (its output in ``<data_dir>/server.log``) without waiting for it."""
    port = port or free_port()
    env = dict(os.environ, QCDC_DATA_DIR=str(data_dir), QCDC_DEMO="1")
    env.pop("DATABASE_URL", None)
    log = open(data_dir / "server.log", "w")  # noqa: SIM115 (written until the server stops)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(proc: subprocess.Popen, url: str, data_dir: Path,
                 timeout: float = 120.0, poll_s: float = 0.3) -> float:
    """The moment (time.monotonic) /_stcore/health answered; SystemExit if it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("streamlit exited:\n" + (data_dir / "server.log").read_text())
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                return time.monotonic()
        except OSError:
            time.sleep(poll_s)
    proc.kill()
    raise SystemExit("streamlit did not become healthy")


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start the server and wait until it answers; (process, base URL)."""
    proc, url = launch(data_dir)
    wait_healthy(proc, url, data_dir)
    return proc, url
