"""Issue #21, finding "gunicorn binds 0.0.0.0:8000 by default while ProxyFix trusts
X-Forwarded-For": gunicorn listens on loopback unless told otherwise, the app believes forwarded
headers for PROXY_FIX_HOPS proxies and only from FORWARDED_ALLOW_IPS, and in Kubernetes only
the ingress controller reaches the web pods. gunicorn names no version either."""

from __future__ import annotations

import logging
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import yaml

from config import ConfigurationError, load_settings
from saas_platform.app import create_app
from tests.conftest import PRODUCTION_SETTINGS, app_settings

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
NGINX = "10.0.0.5"
PRODUCTION = PRODUCTION_SETTINGS


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_gunicorn_binds_loopback_unless_gunicorn_bind_says_otherwise(monkeypatch):
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    assert runpy.run_path(str(REPO / "config" / "gunicorn.py"))["bind"] == "127.0.0.1:8000"
    monkeypatch.setenv("GUNICORN_BIND", "0.0.0.0:8000")
    assert runpy.run_path(str(REPO / "config" / "gunicorn.py"))["bind"] == "0.0.0.0:8000"


def test_the_image_binds_every_interface_and_names_the_policy_that_guards_it():
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    assert "ENV GUNICORN_BIND=0.0.0.0:8000" in dockerfile.splitlines()
    assert "deploy/k8s/networkpolicy.yaml" in dockerfile


def test_the_hop_count_is_a_setting_checked_against_forwarded_allow_ips():
    assert load_settings(PRODUCTION)["PROXY_FIX_HOPS"] == 1
    assert load_settings({})["PROXY_FIX_HOPS"] == 0
    assert load_settings({**PRODUCTION, "PROXY_FIX_HOPS": "2"})["PROXY_FIX_HOPS"] == 2
    assert load_settings({**PRODUCTION, "PROXY_FIX": "0"})["PROXY_FIX_HOPS"] == 0  # the old name
    assert load_settings({"PROXY_FIX": "1"})["PROXY_FIX_HOPS"] == 1
    assert load_settings({**PRODUCTION, "FORWARDED_ALLOW_IPS": "*"})["FORWARDED_ALLOW_IPS"] == "*"
    refused = {
        "PROXY_FIX_HOPS": {**PRODUCTION, "PROXY_FIX_HOPS": "jeden"},
        "contradicts": {**PRODUCTION, "PROXY_FIX": "0", "PROXY_FIX_HOPS": "1"},
        "names no proxy": {**PRODUCTION, "FORWARDED_ALLOW_IPS": " "},
        "not a list of networks": {**PRODUCTION, "FORWARDED_ALLOW_IPS": "nginx"},
    }
    for message, env in refused.items():
        with pytest.raises(ConfigurationError, match=message):
            load_settings(env)
    # no proxy, no list needed
    assert load_settings({"FORWARDED_ALLOW_IPS": ""})["PROXY_FIX_HOPS"] == 0


def test_create_app_refuses_a_hop_count_with_no_proxy_to_trust(database, smtp_server):
    settings = {**app_settings(database, smtp_server.port), "PROXY_FIX_HOPS": 1}
    with pytest.raises(ConfigurationError, match="FORWARDED_ALLOW_IPS"):
        create_app({**settings, "FORWARDED_ALLOW_IPS": ""})


@pytest.fixture
def app_behind_nginx(app, database, smtp_server):
    """The app as production runs it, behind nginx at 10.0.0.5."""
    behind = create_app(
        {
            **app_settings(database, smtp_server.port),
            "PROXY_FIX_HOPS": 1,
            "FORWARDED_ALLOW_IPS": NGINX,
        }
    )
    yield behind
    app.extensions["celery"].set_current()
    app.extensions["celery"].set_default()


def test_forwarded_headers_count_only_when_they_come_from_forwarded_allow_ips(
    app_behind_nginx, two_offices, caplog
):
    wolomin, _ = two_offices
    client = app_behind_nginx.test_client()
    loopback = {"Host": "web:8000", "X-Forwarded-For": "127.0.0.1"}
    office = {"Host": "web:8000", "X-Forwarded-Host": wolomin.host}
    # through nginx: believed (/metrics answers loopback clients)
    assert (
        client.get("/metrics", headers=loopback, environ_base={"REMOTE_ADDR": NGINX}).status_code
        == 200
    )
    page = client.get("/", headers=office, environ_base={"REMOTE_ADDR": NGINX})
    assert page.status_code == 200 and wolomin.name in page.get_data(as_text=True)
    # straight at gunicorn, from anyone else: the same headers are not believed
    direct = {"REMOTE_ADDR": "203.0.113.9"}
    with caplog.at_level(logging.WARNING, logger="saas_platform.core.observability.proxy"):
        assert client.get("/metrics", headers=loopback, environ_base=direct).status_code == 404
    assert client.get("/", headers=office, environ_base=direct).status_code == 404
    assert "not in FORWARDED_ALLOW_IPS" in caplog.text


def test_kubernetes_admits_only_the_ingress_controller_to_the_web_pods():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "networkpolicy.yaml" in kustomization["resources"]
    (policy,) = yaml.safe_load_all((K8S / "networkpolicy.yaml").read_text())
    web = next(
        d for d in yaml.safe_load_all((K8S / "web.yaml").read_text()) if d["kind"] == "Deployment"
    )
    assert policy["kind"] == "NetworkPolicy"
    spec = policy["spec"]
    assert spec["podSelector"]["matchLabels"] == web["spec"]["selector"]["matchLabels"]
    assert spec["policyTypes"] == ["Ingress"]
    (rule,) = spec["ingress"]
    (source,) = rule["from"]
    assert "ingress-nginx" in source["namespaceSelector"]["matchLabels"].values()
    assert "ingress-nginx" in source["podSelector"]["matchLabels"].values()
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert [p["port"] for p in rule["ports"]] == [container["ports"][0]["name"]]


def test_gunicorn_names_no_version_in_the_server_header(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PROMETHEUS", "LOG_", "APP_ENV", "DATABASE", "REDIS", "GUNICORN"))
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
    )
    command = ["gunicorn", "-c", "config/gunicorn.py", "saas_platform.app:create_app()"]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / command[0]), *command[1:]],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert response.status_code == 200
    assert response.headers["Server"] == "gunicorn"
