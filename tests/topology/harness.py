"""The production topology on one machine, for the topology tests: a private PostgreSQL cluster
and a private Redis (so that a test may stop and restart them without touching the shared
ones), gunicorn, a Celery worker (prefork) and beat started with the commands deploy/ uses, and
Debian's nginx with the repository's configuration, all on loopback ports."""

from __future__ import annotations

import glob
import http.client
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NGINX_DIR = REPO_ROOT / "deploy" / "nginx"
STATIC_ROOT = REPO_ROOT / "saas_platform" / "static"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, step: float = 0.1) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(Exception):
            if check():
                return
        time.sleep(step)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Service:
    """One long-running process we started, in its own process group, logging to a file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None
    # Like systemd's Restart=always: a process that exits without being told to is started
    # again (Topology.supervise). Stopping or killing it from a test is being told to.
    supervised: bool = False
    told_to_stop: bool = False
    restarts: int = 0

    def start(self) -> None:
        self.told_to_stop = False
        with self.log_path.open("a") as log:
            log.write(f"\n--- start: {' '.join(self.command)}\n")
            log.flush()
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 20.0, sig: int = signal.SIGTERM) -> None:
        """SIGTERM (a warm shutdown for Celery and gunicorn; SIGQUIT is their quick one), then
        SIGKILL to the group if stuck."""
        self.told_to_stop = True
        if not self.running():
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        # children (gunicorn or Celery pool workers) that outlived their master
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL to the whole process group, as an out-of-memory killer or a crash would."""
        self.told_to_stop = True
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def restart_if_it_exited(self) -> bool:
        """Start the process again if it is supervised and exited by itself."""
        if not self.supervised or self.told_to_stop or self.process is None or self.running():
            return False
        with self.log_path.open("a") as log:
            log.write(f"\n--- exited with {self.process.returncode}: restarted by the supervisor\n")
        self.restarts += 1
        self.start()
        return True


class PrivatePostgres:
    """A PostgreSQL cluster of our own (initdb in a temp dir, trust auth, a free port)."""

    def __init__(self):
        bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
        assert bindirs, "PostgreSQL server binaries not found under /usr/lib/postgresql"
        self.bindir = Path(bindirs[-1])
        self.port = free_port()
        # initdb refuses to run as root: the cluster then belongs to the postgres user.
        self.run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.dir = Path(tempfile.mkdtemp(prefix="topology-pg-"))
        if self.run_as:
            owner = pwd.getpwnam("postgres")
            os.chown(self.dir, owner.pw_uid, owner.pw_gid)
        self.data = self.dir / "data"
        self.log_path = self.dir / "postgresql.log"

    def _pg(self, *args: str) -> None:
        result = subprocess.run(
            [*self.run_as, str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.dir,
        )
        if result.returncode != 0:
            log = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
            raise RuntimeError(f"{args[0]} failed: {result.stdout}{result.stderr}\n{log[-2000:]}")

    def init(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                 "--no-sync")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=200"
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.log_path), "-o", options, "-w",
                 "start")  # fmt: skip

    def stop(self) -> None:
        """A fast shutdown: every session is ended, as in a restart for maintenance."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with suppress(RuntimeError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def connect(self, dbname: str = "postgres", user: str = "postgres"):
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, user=user, dbname=dbname)
        connection.autocommit = True
        return connection

    def url(self, role: str, dbname: str) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.port}/{dbname}"


class PrivateRedis(Service):
    """A Redis of our own, without persistence: a restart loses every queued message."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                   "--save", "", "--appendonly", "no", "--dir", str(workdir)]  # fmt: skip
        super().__init__("redis", command, dict(os.environ), workdir / "redis.log")

    def start(self) -> None:
        super().start()
        wait_until(lambda: port_open(self.port), 15, "Redis listens")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def render_template(template: Path, target: Path, variables: dict[str, str]) -> None:
    """envsubst, naming exactly ``variables``, as the nginx image and README do."""
    names = " ".join(f"${{{name}}}" for name in variables)
    rendered = subprocess.run(
        ["envsubst", names],
        input=template.read_text(),
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **variables},
    ).stdout
    target.write_text(rendered)


@dataclass
class Nginx:
    """Debian's nginx with the repository's configuration, as the current user, in a temp
    prefix (pid, logs, temp files), in the foreground."""

    workdir: Path
    server_template: Path
    variables: dict[str, str]
    service: Service | None = None
    conf: Path = field(init=False)

    def __post_init__(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "conf.d").mkdir(exist_ok=True)
        self.conf = self.workdir / "nginx.conf"
        render_template(
            self.server_template, self.workdir / "conf.d" / "satysfakcja.conf", self.variables
        )
        render_template(
            NGINX_DIR / "satysfakcja.locations.template",
            self.workdir / "conf.d" / "satysfakcja.locations",
            {"STATIC_ROOT": self.variables["STATIC_ROOT"]},
        )
        w = self.workdir
        # As root, nginx would hand its workers to "nobody"; keep them as the current user.
        user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
        self.conf.write_text(
            f"{user}daemon off;\nworker_processes 2;\npid {w}/nginx.pid;\n"
            f"error_log {w}/error.log warn;\nevents {{ worker_connections 1024; }}\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            f"    access_log {w}/access.log;\n"
            f"    client_body_temp_path {w}/client_body;\n"
            f"    proxy_temp_path {w}/proxy;\n"
            f"    fastcgi_temp_path {w}/fastcgi;\n"
            f"    uwsgi_temp_path {w}/uwsgi;\n"
            f"    scgi_temp_path {w}/scgi;\n"
            "    include conf.d/satysfakcja.conf;\n"
            "}\n"
        )

    def command(self, *extra: str) -> list[str]:
        return [nginx_binary(), "-p", str(self.workdir), "-c", str(self.conf), *extra]

    def check(self) -> subprocess.CompletedProcess:
        """``nginx -t`` on the rendered configuration."""
        return subprocess.run(self.command("-t"), capture_output=True, text=True)

    def start(self, port: int) -> None:
        checked = self.check()
        assert checked.returncode == 0, checked.stderr
        self.service = Service("nginx", self.command(), dict(os.environ), self.workdir / "run.log")
        self.service.start()
        wait_until(lambda: port_open(port), 15, "nginx listens")

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()

    def error_log(self) -> str:
        path = self.workdir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def nginx_binary() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/sbin")
    assert found, "nginx is not installed: `apt-get install nginx` (.ci/run does this)"
    return found


class HttpClient:
    """One keep-alive connection to nginx with its own cookies, sending a real Host header.

    Production marks the session cookie Secure; behind TLS a browser would send it back, so this
    client sends it back over the loopback's plain HTTP too.
    """

    def __init__(self, port: int, host: str, timeout: float = 60.0):
        self.port = port
        self.host = host
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> http.client.HTTPResponse:
        sent = {"Host": self.host, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            response.body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        for cookie in response.headers.get_all("Set-Cookie") or ():
            pair, *attributes = cookie.split(";")
            name, _, value = pair.strip().partition("=")
            if not value or any(a.strip().lower() == "max-age=0" for a in attributes):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, path: str = "/", **kwargs) -> http.client.HTTPResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: bytes, **kwargs) -> http.client.HTTPResponse:
        return self.request("POST", path, body=body, **kwargs)

    def close(self) -> None:
        self.conn.close()
