"""The layering contracts (pyproject.toml, `lint-imports`) hold, and they bite: the same
configuration refuses a copy of the code with one forbidden import added."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("saas_platform", "tenants", "workers", "config")


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def code_copy(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPO / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_layering_contract():
    result = _lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden_import", "contract"),
    [
        (
            "saas_platform/core/mail.py",
            "from tenants.survey import models",
            "The core knows no area and no composition",
        ),
        (
            "tenants/survey/kiosk.py",
            "from tenants.reports import stats",
            "The survey knows no staff page, report, outreach or office admin",
        ),
        (
            "tenants/reports/charts.py",
            "from tenants.panel import views",
            "Reports know no staff page, office admin, outreach or queue",
        ),
        (
            "tenants/exports/writer.py",
            "from tenants.panel import response_views",
            "Exports know no staff page, report, office admin or outreach",
        ),
        (
            "tenants/survey/responses.py",
            "from tenants.exports import writer",
            "The survey knows no staff page, report, outreach or office admin",
        ),
        (
            "tenants/audit/labels.py",
            "from tenants.accounts import models",
            "Audit is a leaf: it imports no other area",
        ),
    ],
)
def test_a_forbidden_import_inside_a_function_breaks_its_contract(
    code_copy: Path, module: str, forbidden_import: str, contract: str
):
    target = code_copy / module
    target.write_text(target.read_text() + f"\n\ndef _drift():\n    {forbidden_import}\n")
    result = _lint_imports(code_copy)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
