"""deploy/: the compose file, the systemd units and the Kubernetes manifests describe one
topology with the same commands; the manifests pass the Kubernetes schema (offline); the image
builds where a Docker engine runs (the CI machine has none)."""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from click.testing import CliRunner

from config import PRODUCTION_REQUIRED, load_settings
from saas_platform.cli import main

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
K8S_VERSION = "1.30"
APP_SERVICES = ("migrate", "web", "worker", "beat")
COMMANDS = {
    "migrate": ["satysfakcja", "db", "upgrade"],
    "web": ["gunicorn", "-c", "config/gunicorn.py", "saas_platform.app:create_app()"],
    "worker": ["celery", "-A", "workers.celery_app", "worker", "--pool", "prefork",
               "--loglevel", "INFO"],
    "beat": ["celery", "-A", "workers.celery_app", "beat", "--loglevel", "INFO",
             "--schedule", "/tmp/celerybeat-schedule"],
}  # fmt: skip
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?[-?](?P<default>[^}]*))?\}")


def compose_services() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]


def env_example() -> dict[str, str]:
    lines = (DEPLOY / "env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def interpolate(value: str, env: dict[str, str]) -> str:
    """What docker compose makes of ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}``."""

    def one(match: re.Match) -> str:
        name = match.group("name")
        if name in env and env[name] != "":
            return env[name]
        assert "?" not in match.group(0), f"{name} is required by compose.yaml"
        return match.group("default") or ""

    return INTERPOLATION.sub(one, str(value))


def k8s_documents() -> list[tuple[str, dict]]:
    documents = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") != "Kustomization":
                documents.append((path.name, document))
    return documents


def k8s(kind: str, name: str) -> dict:
    matches = [d for _, d in k8s_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(matches) == 1, (kind, name)
    return matches[0]


def systemd_unit(name: str) -> dict[str, list[str]]:
    """A unit file's keys, each with every value it is given (EnvironmentFile= may repeat)."""
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / f"satysfakcja-{name}.service").read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), []).append(value.strip())
    return values


# --- docker compose -----------------------------------------------------------------------


def test_compose_has_the_whole_topology_with_a_health_check_on_every_service():
    services = compose_services()
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "nginx"}
    checks = {
        name: json.dumps(service["healthcheck"]["test"]) for name, service in services.items()
    }
    assert "pg_isready" in checks["postgres"]
    assert '"redis-cli", "ping"' in checks["redis"]
    assert "/readyz" in checks["web"]
    assert "inspect ping" in checks["worker"]
    assert "/healthz" in checks["nginx"]
    assert "celerybeat-schedule" in checks["beat"]
    assert "config" in checks["migrate"] and "database" in checks["migrate"]


def test_compose_starts_the_app_only_after_the_migration_succeeded():
    services = compose_services()
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["redis"]["condition"] == "service_healthy", name
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_compose_runs_exactly_one_beat():
    services = compose_services()
    assert services["beat"]["deploy"]["replicas"] == 1
    beats = [s for s in services.values() if " beat" in " ".join(map(str, s.get("command", [])))]
    assert len(beats) == 1


def test_compose_gives_the_app_its_production_settings_and_the_owner_only_to_migrate():
    services = compose_services()
    example = env_example()
    for name in APP_SERVICES:
        environment = services[name]["environment"]
        assert environment["APP_ENV"] == "production"
        assert set(PRODUCTION_REQUIRED) <= set(environment), name
        resolved = {key: interpolate(value, example) for key, value in environment.items()}
        settings = load_settings(resolved)  # raises when a required setting is missing
        assert settings["LOG_FORMAT"] == "json" and settings["PROXY_FIX_HOPS"] == 1
        assert ("DATABASE_OWNER_URL" in environment) == (name == "migrate"), name
    web = services["web"]["environment"]
    for secret in ("SECRET_KEY", "SECRETS_KEY", "DATABASE_URL"):
        assert ":?" in web[secret], f"{secret} must be required, not defaulted"
    with pytest.raises(AssertionError, match="SECRET_KEY"):
        interpolate(web["SECRET_KEY"], {})


def test_compose_nginx_serves_static_files_and_uses_the_repos_templates():
    nginx = compose_services()["nginx"]
    environment = nginx["environment"]
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in nginx["volumes"]}
    assert mounts[environment["STATIC_ROOT"]] == "../saas_platform/static"
    assert (DEPLOY / mounts[environment["STATIC_ROOT"]] / "site.css").is_file()
    templates = {
        target: source for target, source in mounts.items() if target.endswith(".template")
    }
    assert templates and all(s.startswith("./nginx/") for s in templates.values())
    allowed = re.compile(environment["NGINX_ENVSUBST_FILTER"].replace("$$", "$"))
    for variable in ("PLATFORM_DOMAIN", "LISTEN_PORT", "UPSTREAM", "STATIC_ROOT"):
        assert variable in environment and allowed.match(variable)
    if (DEPLOY / "nginx").is_dir():  # written on the nginx branch of this issue
        for source in templates.values():
            text = (DEPLOY / source).read_text()
            for variable in set(re.findall(r"\$\{(\w+)\}", text)):
                assert variable in environment and allowed.match(variable), (source, variable)


# --- the same commands everywhere ---------------------------------------------------------


def test_compose_systemd_kubernetes_and_the_image_run_the_same_commands():
    services = compose_services()
    for name, command in COMMANDS.items():
        assert services[name]["command"] == command, name
        argv = shlex.split(systemd_unit(name)["ExecStart"][0])
        assert [Path(argv[0]).name, *argv[1:]] == command, name
    assert (
        k8s("Deployment", "satysfakcja-web")["spec"]["template"]["spec"]["containers"][0]["command"]
        == COMMANDS["web"]
    )
    assert (
        k8s("Deployment", "satysfakcja-worker")["spec"]["template"]["spec"]["containers"][0][
            "command"
        ]
        == COMMANDS["worker"]
    )
    assert (
        k8s("Deployment", "satysfakcja-beat")["spec"]["template"]["spec"]["containers"][0][
            "command"
        ]
        == COMMANDS["beat"]
    )
    assert (
        k8s("Job", "satysfakcja-migrate")["spec"]["template"]["spec"]["containers"][0]["command"]
        == COMMANDS["migrate"]
    )
    cmd = re.search(r"^CMD (.+)$", (DEPLOY / "Dockerfile").read_text(), re.M).group(1)
    assert json.loads(cmd) == COMMANDS["web"]


def test_the_topology_tests_start_the_processes_with_these_commands():
    topology = REPO / "tests" / "topology" / "conftest.py"
    if not topology.exists():  # written on the topology branch of this issue
        pytest.skip("tests/topology is not on this branch")
    from tests.topology import conftest as harness

    assert COMMANDS["web"] == harness.WEB_COMMAND
    assert COMMANDS["worker"] == harness.WORKER_COMMAND
    assert COMMANDS["beat"][: len(harness.BEAT_COMMAND)] == harness.BEAT_COMMAND


def test_the_web_command_loads_the_app_with_the_compose_settings():
    services = compose_services()
    environment = {
        key: interpolate(value, env_example())
        for key, value in services["web"]["environment"].items()
    }
    env = {**os.environ, **environment}
    env.pop("PROMETHEUS_MULTIPROC_DIR")  # /tmp/prometheus belongs to the container
    bin_dir = Path(sys.executable).parent
    command = COMMANDS["web"]
    result = subprocess.run(
        [str(bin_dir / command[0]), "--check-config", *command[1:]],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


# --- systemd ------------------------------------------------------------------------------


def test_systemd_units_run_as_the_service_user_and_restart():
    for name in ("web", "worker", "beat"):
        unit = systemd_unit(name)
        assert unit["User"] == ["satysfakcja"], name
        assert unit["EnvironmentFile"] == ["/etc/satysfakcja/satysfakcja.env"], name
        assert unit["Restart"] == ["always"], name
        assert unit["Requires"] == ["satysfakcja-migrate.service"], name
        assert "satysfakcja-migrate.service" in unit["After"][0].split(), name
    for name in COMMANDS:  # the code runs from the checkout, beside templates/ and migrations/
        unit = systemd_unit(name)
        assert f"PYTHONPATH={unit['WorkingDirectory'][0]}" in unit["Environment"], name
    migrate = systemd_unit("migrate")
    assert migrate["Type"] == ["oneshot"] and migrate["User"] == ["satysfakcja"]
    # the owner's credentials: only the migration reads them
    assert "/etc/satysfakcja/owner.env" in migrate["EnvironmentFile"]
    example = (DEPLOY / "systemd" / "satysfakcja.env.example").read_text()
    assert "DATABASE_OWNER_URL" not in example
    for required in PRODUCTION_REQUIRED:
        assert f"\n{required}=" in example, required


# --- Kubernetes ---------------------------------------------------------------------------


def test_kubernetes_manifests_pass_the_schema_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the validator tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    documents = k8s_documents()
    assert {d["kind"] for _, d in documents} >= {
        "Deployment", "Service", "Ingress", "Job", "ConfigMap", "Secret",
        "HorizontalPodAutoscaler",
    }  # fmt: skip
    for filename, document in documents:
        try:
            kubernetes_validate.validate(document, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{filename} {document['kind']}: {exc}")
    listed = yaml.safe_load((DEPLOY / "k8s" / "kustomization.yaml").read_text())["resources"]
    on_disk = {p.name for p in (DEPLOY / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed) == on_disk


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d["spec"].update(replicas="one"),
        lambda d: d["spec"]["strategy"].update(typo=True),
        lambda d: d["spec"]["template"]["spec"]["containers"][0].pop("name"),
    ],
)
def test_the_schema_validator_really_rejects_a_broken_manifest(breakage):
    broken = copy.deepcopy(k8s("Deployment", "satysfakcja-beat"))
    breakage(broken)
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_kubernetes_topology_probes_single_beat_and_migration_job():
    web = k8s("Deployment", "satysfakcja-web")["spec"]
    container = web["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    hpa = k8s("HorizontalPodAutoscaler", "satysfakcja-web")["spec"]
    assert hpa["scaleTargetRef"]["name"] == "satysfakcja-web" and hpa["maxReplicas"] > 1
    beat = k8s("Deployment", "satysfakcja-beat")["spec"]
    assert beat["replicas"] == 1 and beat["strategy"]["type"] == "Recreate"
    assert k8s("Deployment", "satysfakcja-worker")["spec"]["replicas"] >= 1
    job = k8s("Job", "satysfakcja-migrate")["spec"]["template"]["spec"]
    assert job["restartPolicy"] == "Never"
    for _, document in k8s_documents():
        pod = document.get("spec", {}).get("template", {}).get("spec")
        if pod is None:
            continue
        assert pod["securityContext"]["runAsNonRoot"] is True
        uses_owner = "satysfakcja-owner" in json.dumps(pod)
        assert uses_owner == (document["kind"] == "Job"), document["metadata"]["name"]
    service = k8s("Service", "satysfakcja-web")["spec"]
    assert service["selector"] == web["selector"]["matchLabels"]


def test_kubernetes_config_and_secrets_hold_the_production_settings_and_the_ingress_its_hosts():
    config = k8s("ConfigMap", "satysfakcja-config")["data"]
    secrets = k8s("Secret", "satysfakcja-secrets")["stringData"]
    assert set(PRODUCTION_REQUIRED) <= set(config) | set(secrets)
    assert {"DATABASE_URL", "SECRET_KEY", "SECRETS_KEY"} <= set(secrets)
    assert not {"DATABASE_URL", "SECRET_KEY", "SECRETS_KEY", "DATABASE_OWNER_URL"} & set(config)
    load_settings({**config, **secrets})
    # every process of the image (the migration, the init containers) gets both
    for _, document in k8s_documents():
        pod = document.get("spec", {}).get("template", {}).get("spec")
        for container in (pod or {}).get("initContainers", []) + (pod or {}).get("containers", []):
            sources = {
                ref["name"] for source in container.get("envFrom", []) for ref in source.values()
            }
            assert {"satysfakcja-config", "satysfakcja-secrets"} <= sources, container["name"]
    domain = config["PLATFORM_DOMAIN"]
    ingress = k8s("Ingress", "satysfakcja")["spec"]
    assert {rule["host"] for rule in ingress["rules"]} == {domain, f"*.{domain}"}
    assert set(ingress["tls"][0]["hosts"]) == {domain, f"*.{domain}"}


# --- PostgreSQL and the image -------------------------------------------------------------


def test_postgres_init_script_creates_the_roles_exactly_as_db_roles_prints_them():
    printed = CliRunner().invoke(main, ["db", "roles"], env={"APP_ENV": ""})
    assert printed.exit_code == 0, printed.output
    script = (DEPLOY / "postgres" / "10-roles.sql").read_text().splitlines()
    assert [line for line in script if not line.startswith("--")] == printed.output.splitlines()
    compose_volumes = compose_services()["postgres"]["volumes"]
    assert any(
        v.startswith("./postgres/10-roles.sql:/docker-entrypoint-initdb.d/")
        for v in compose_volumes
    )


def test_dockerfile_slim_non_root_and_dockerignore():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", dockerfile, re.M)
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    ignored = (REPO / ".dockerignore").read_text().split()
    for path in (".git", ".venv", ".uv", "tests", "instance"):
        assert path in ignored
    assert "uv.lock" not in ignored


def test_dockerfile_installs_from_the_lock_file_without_the_dev_extra():
    """The image installs what uv.lock pins, with the uv version `make` uses, and never the dev
    extra: first the dependencies alone (a layer cached while only the code changes), then the
    project itself, not editable, after the code is copied."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert (REPO / "uv.lock").is_file()
    uv_version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M).group(1)
    assert re.findall(r"pip install (\S+)", dockerfile) == [f"uv=={uv_version}"]
    lock_copied = re.search(r"^COPY pyproject\.toml uv\.lock ", dockerfile, re.M)
    code_copied = re.search(r"^COPY (--\S+ )*\. \.$", dockerfile, re.M)
    assert lock_copied and code_copied
    sync = re.compile(r"uv sync ([^\\&\n]+)")
    syncs = [(m.start(), m.group(1).split()) for m in sync.finditer(dockerfile)]
    assert len(syncs) == 2
    (deps_at, deps), (project_at, project) = syncs
    assert lock_copied.start() < deps_at < code_copied.start() < project_at
    for flags in (deps, project):
        assert "--locked" in flags or "--frozen" in flags
        assert "--no-dev" in flags
    assert "--no-install-project" in deps and "--no-editable" in project
    assert "--extra" not in dockerfile and "--all-extras" not in dockerfile
    assert re.search(r"^\s+UV_PROJECT_ENVIRONMENT=/opt/venv", dockerfile, re.M)
    assert re.search(r"^\s+PATH=/opt/venv/bin:\$PATH", dockerfile, re.M)


def test_the_fonts_ship_as_package_data(tmp_path):
    """What the image's `uv sync --no-editable` installs (setuptools builds the wheel): the
    packages with their data files."""
    result = subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "-d", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    fonts = tmp_path / "tenants" / "reports" / "fonts"
    assert {p.name for p in fonts.iterdir()} >= {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}
    assert (tmp_path / "tenants" / "survey" / "default_template.toml").is_file()


def _docker_engine() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(
    not _docker_engine(), reason="no Docker engine here (`docker info` fails; CI has none)"
)
def test_the_image_builds_and_runs_as_a_non_root_user_with_the_fonts():
    tag = "satysfakcja:test"
    build = subprocess.run(
        ["docker", "build", "-f", "deploy/Dockerfile", "-t", tag, "."],
        cwd=REPO, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-4000:]
    probe = (
        "import os, importlib.resources as r; "
        "print(os.getuid(), r.files('tenants.reports').joinpath('fonts/DejaVuSans.ttf').is_file())"
    )
    run = subprocess.run(
        ["docker", "run", "--rm", tag, "python", "-c", probe],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    uid, fonts = run.stdout.split()
    assert uid != "0" and fonts == "True"
    help_run = subprocess.run(
        ["docker", "run", "--rm", tag, "satysfakcja", "config", "--help"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert help_run.returncode == 0, help_run.stderr
