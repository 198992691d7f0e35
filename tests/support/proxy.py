"""The shipped nginx configuration (deploy/nginx/cloudbasket.conf) run for real by the current user: rendered with a
test's ports and a throwaway self-signed certificate, inside a minimal nginx.conf of the test's own whose access log
says which app process served each request (the shipped file adds no header or log that tells)."""

from __future__ import annotations

import pathlib
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from tests.support.browser import free_port, stop, wait_until_ready
from tests.support.paths import ROOT

PROXY_CONFIG = ROOT / "deploy" / "nginx" / "cloudbasket.conf"
NGINX = "/usr/sbin/nginx"
# What the test changes in the shipped file, each found exactly once: the ports, the certificate.
HTTP_LISTEN = "listen 80;"
HTTPS_LISTEN = "listen 443 ssl;"
UPSTREAMS = ("server 127.0.0.1:8501 ", "server 127.0.0.1:8502 ")
CERTIFICATE = "ssl_certificate /etc/letsencrypt/live/basket.example.org/fullchain.pem;"
CERTIFICATE_KEY = "ssl_certificate_key /etc/letsencrypt/live/basket.example.org/privkey.pem;"
# One access-log line per request: the route hashed, the status, the request line, the upstream(s) tried in order.
LOG_FORMAT = "'$cb_route $status \"$request\" $upstream_addr'"


def nginx_missing() -> str | None:
    """Why the proxy test cannot run here, or None when it can."""
    if not pathlib.Path(NGINX).exists():
        return f"{NGINX} is missing (apt-get install nginx)"
    if shutil.which("openssl") is None:
        return "the openssl command is missing (apt-get install openssl)"
    return None


def self_signed_certificate(folder: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A throwaway certificate for 127.0.0.1 and its key."""
    certificate, key = folder / "proxy.crt", folder / "proxy.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-keyout", str(key), "-out", str(certificate)],
        check=True,
        capture_output=True,
    )
    return certificate, key


def render_config(
    *,
    http_port: int,
    https_port: int,
    app_ports: tuple[int, int],
    certificate: pathlib.Path,
    key: pathlib.Path,
) -> str:
    """The shipped file with the test's ports and certificate in place of production's; nothing else changed."""
    text = PROXY_CONFIG.read_text(encoding="utf-8")
    changes = {
        HTTP_LISTEN: f"listen 127.0.0.1:{http_port};",
        HTTPS_LISTEN: f"listen 127.0.0.1:{https_port} ssl;",
        UPSTREAMS[0]: f"server 127.0.0.1:{app_ports[0]} ",
        UPSTREAMS[1]: f"server 127.0.0.1:{app_ports[1]} ",
        CERTIFICATE: f"ssl_certificate {certificate};",
        CERTIFICATE_KEY: f"ssl_certificate_key {key};",
    }
    for old, new in changes.items():
        assert text.count(old) == 1, f"{PROXY_CONFIG.name} no longer has exactly one {old!r}"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Proxy:
    """A running nginx: its HTTPS and HTTP addresses, and its access log."""

    https_url: str
    http_url: str
    access_log: pathlib.Path


@contextmanager
def nginx_proxy(folder: pathlib.Path, *, app_ports: tuple[int, int], timeout: float = 15) -> Iterator[Proxy]:
    """nginx with the shipped file in front of `app_ports`, as the current user, everything under `folder`."""
    http_port, https_port = free_port(), free_port()
    certificate, key = self_signed_certificate(folder)
    (folder / "cloudbasket.conf").write_text(
        render_config(
            http_port=http_port, https_port=https_port, app_ports=app_ports, certificate=certificate, key=key
        ),
        encoding="utf-8",
    )
    access_log = folder / "access.log"
    temp_paths = "".join(
        f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        "worker_processes 1;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        f"{temp_paths}"
        f"    log_format route {LOG_FORMAT};\n"
        f"    access_log {access_log} route;\n"
        f"    include {folder / 'cloudbasket.conf'};\n"
        "}\n",
        encoding="utf-8",
    )
    (folder / "logs").mkdir(exist_ok=True)
    errors = folder / "nginx.err"
    command = [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", "stderr"]
    command += ["-g", f"daemon off; pid {folder / 'nginx.pid'};"]
    with errors.open("wb") as stderr:
        server = subprocess.Popen(command, stdout=stderr, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(server, partial(_listening, https_port), timeout=timeout, log_path=errors)
            yield Proxy(
                https_url=f"https://127.0.0.1:{https_port}",
                http_url=f"http://127.0.0.1:{http_port}",
                access_log=access_log,
            )
        finally:
            stop(server, timeout=10)


def _listening(port: int) -> bool:
    socket.create_connection(("127.0.0.1", port), timeout=1).close()
    return True


@dataclass(frozen=True)
class Served:
    """One access-log line: the route hashed, the app ports tried in order, the status, the request line."""

    route: str
    ports: list[int]
    status: int
    request: str


def served(access_log: pathlib.Path) -> list[Served]:
    """Every request nginx has logged so far (a websocket's once it has closed)."""
    entries = []
    for line in access_log.read_text(encoding="utf-8").splitlines() if access_log.exists() else []:
        route, status, rest = line.split(" ", 2)
        _, request, upstreams = rest.split('"')
        # "127.0.0.1:8501, 127.0.0.1:8502" when the first refused; "-" when nginx answered itself.
        ports = [int(address.rsplit(":", 1)[1]) for address in upstreams.replace(",", " ").split() if ":" in address]
        entries.append(Served(route=route, ports=ports, status=int(status), request=request))
    return entries
