"""Issue #21, item 11: `make test` audits every pin of uv.lock against an advisory database
that works offline (tests/dependency_audit.py); a known-vulnerable pin fails it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_audit(*files: Path | str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.dependency_audit", *map(str, files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_known_vulnerable_pin_fails_the_audit(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# an old pin\nflask==3.0.0\njinja2==2.10  # vulnerable\n")
    audit = run_audit(requirements)
    assert audit.returncode == 1, audit.stdout + audit.stderr
    assert "jinja2==2.10: CVE-2020-28493" in audit.stdout
    assert "2 pins audited" in audit.stdout


def test_a_fixed_release_of_the_same_package_passes(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jinja2==3.1.6\n")
    audit = run_audit(requirements)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "0 known vulnerabilities" in audit.stdout


def test_the_lock_file_passes_the_audit_and_names_what_it_accepts():
    audit = run_audit(ROOT / "uv.lock")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "uv.lock: " in audit.stdout and " 0 known vulnerabilities" in audit.stdout
    accepted = [line for line in audit.stdout.splitlines() if line.startswith("accepted: ")]
    assert all("CVE-2020-28463" in line for line in accepted)
