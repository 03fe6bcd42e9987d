"""The production recipe of docs/serving.md, run as written (only the port changes): used by
tests/test_serving.py and by the load test, bench/load.py, so both measure what the doc says."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from triage.web.pagestate import SECRET_KEY_VARIABLE

from .processes import HANG, read_until

DOC = Path(__file__).parent.parent / "docs" / "serving.md"
MARK = "<!-- recipe: gunicorn -->"
ADDRESS = "127.0.0.1:8000"


def recipe_script(port: int) -> str:
    """The recipe's shell lines, joined, on `port` instead of 8000; its `pip install` line is
    left out (the test environment has installed the same)."""
    block = DOC.read_text(encoding="utf-8").split(MARK, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.replace("\\\n", " ").splitlines() if line.strip()]
    kept = [line for line in lines if not line.startswith("pip install")]
    assert ADDRESS in block and len(kept) == len(lines) - 1, f"{DOC}: the recipe changed shape; update tests/recipe.py"
    return "\n".join(kept).replace(ADDRESS, f"127.0.0.1:{port}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A running recipe: its address, and (after it stopped) what it wrote."""

    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url
        self.log = ""  # the access log (standard output), once stopped
        self.errors = ""  # gunicorn's own messages (standard error), once stopped


@contextmanager
def served_by_recipe(workers_ready: int = 2) -> Iterator[Served]:
    """The recipe running on a free loopback port, once `workers_ready` workers have booted;
    stopped at the end (SIGTERM to its process group: gunicorn's graceful shutdown, which lets
    a worker finish the request in hand; the quick one, SIGINT, can cut a response short and
    log a traceback for it)."""
    port = free_port()
    readers: list[threading.Thread] = []
    out: list[bytes] = []
    err: list[bytes] = []
    bindir = str(Path(sys.executable).parent)  # this environment's python3 and gunicorn
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    env.pop(SECRET_KEY_VARIABLE, None)  # the recipe sets it
    proc = subprocess.Popen(["bash", "-e", "-c", recipe_script(port)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    served = Served(proc, f"http://127.0.0.1:{port}")
    try:
        seen = read_until(proc, f"Listening at: {served.url}")
        while len(re.findall(r"Booting worker with pid", seen)) < workers_ready:
            seen += read_until(proc, "Booting worker with pid")
        served.errors = seen
        # Drain both pipes while it serves: a full pipe would stop the server mid-request.
        readers += [threading.Thread(target=_drain, args=(stream, kept), daemon=True)
                    for stream, kept in ((proc.stdout, out), (proc.stderr, err))]
        for reader in readers:
            reader.start()
        yield served
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=HANG)  # bounds a hang only
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    for reader in readers:
        reader.join(timeout=HANG)
    served.log = b"".join(out).decode("utf-8", "replace")
    served.errors += b"".join(err).decode("utf-8", "replace")


def _drain(stream, kept: list[bytes]) -> None:
    for chunk in iter(lambda: stream.read1(65536), b""):
        kept.append(chunk)

