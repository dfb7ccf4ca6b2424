"""Audit pinned dependencies against a vulnerability database that works offline.

`make test` runs ``python -m tests.dependency_audit uv.lock``: every package the lock file pins
(all extras included) is checked against PyUp's advisory database as the ``safety-db`` package
ships it (``insecure_full.json``, read from the installed package; nothing is fetched). A pin
inside a range an advisory names fails the run, listing each advisory.

Why not pip-audit: its PyPI service asks ``/pypi/<name>/<version>/json``, which answers 404
from the machines this project is built on (only the package indexes are reachable), and then
pip-audit skips the package and exits 0; its OSV service needs api.osv.dev, which does not
resolve there. The offline database is older than the lock (see ``database_date``); where the
network allows, run pip-audit as well (docs/security.md).

Also takes requirements files (``name==version`` lines), so a test can audit a known-vulnerable
pin and see it fail.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

# Advisories read and accepted, each with the reason; the audit prints them but does not fail.
ACCEPTED = {
    "CVE-2020-28463": (
        "reportlab fetches what <img> names; our only caller is xhtml2pdf, whose "
        "ResourceAccessPolicy confines report rendering to the report assets "
        "(tenants/reports, tested in tests/reports/)"
    ),
}

PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


@dataclass(frozen=True)
class Finding:
    """One pinned package inside the range one advisory names."""

    package: str
    version: str
    advisory_id: str
    affected: str
    cve: str | None
    advisory: str

    def line(self) -> str:
        """The finding as one line of the audit's output."""
        name = self.cve or self.advisory_id
        text = " ".join(self.advisory.split())
        return f"{self.package}=={self.version}: {name} (affected {self.affected}): {text[:160]}"


def _database_dir() -> Path:
    # find_spec does not run the package: safety_db's __init__ opens a path relative to the
    # working directory and fails anywhere else.
    spec = importlib.util.find_spec("safety_db")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("safety-db is not installed: run `make .venv/.installed`")
    return Path(next(iter(spec.submodule_search_locations)))


def load_database() -> dict[str, list[dict]]:
    """The advisories by canonical package name."""
    raw = json.loads((_database_dir() / "insecure_full.json").read_text(encoding="utf-8"))
    raw.pop("$meta", None)
    return {canonicalize_name(name): advisories for name, advisories in raw.items()}


def database_date() -> datetime:
    """When the installed advisory database was made."""
    raw = json.loads((_database_dir() / "insecure_full.json").read_text(encoding="utf-8"))
    return datetime.fromtimestamp(raw["$meta"]["timestamp"], UTC)


def pins_of(path: Path) -> list[tuple[str, str]]:
    """(name, version) of every package pinned by a uv.lock or a requirements file."""
    if path.suffix == ".lock":
        lock = tomllib.loads(path.read_text(encoding="utf-8"))
        return [
            (package["name"], package["version"])
            for package in lock.get("package", [])
            if "version" in package and package.get("source", {}).get("editable") is None
        ]
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            pins.append((match.group(1), match.group(2)))
    return pins


def audit(pins: list[tuple[str, str]], database: dict[str, list[dict]]) -> list[Finding]:
    """Every advisory whose affected range holds one of the pins."""
    findings = []
    for name, raw_version in pins:
        try:
            version = Version(raw_version)
        except InvalidVersion:
            continue
        for advisory in database.get(canonicalize_name(name), []):
            for spec in advisory.get("specs", []):
                try:
                    affected = SpecifierSet(spec)
                except InvalidSpecifier:
                    continue
                if affected.contains(version, prereleases=True):
                    findings.append(
                        Finding(
                            package=name,
                            version=raw_version,
                            advisory_id=advisory["id"],
                            affected=spec,
                            cve=advisory.get("cve"),
                            advisory=advisory.get("advisory", ""),
                        )
                    )
                    break
    return findings


def main(argv: list[str]) -> int:
    """Audit each file named on the command line; 1 when any pin is affected."""
    if not argv:
        print("usage: python -m tests.dependency_audit uv.lock|requirements.txt ...")
        return 2
    database = load_database()
    dated = database_date().date().isoformat()
    failed = False
    for name in argv:
        pins = pins_of(Path(name))
        findings = audit(pins, database)
        accepted = [finding for finding in findings if finding.cve in ACCEPTED]
        findings = [finding for finding in findings if finding not in accepted]
        for finding in accepted:
            print(f"accepted: {finding.line()}\n  because {ACCEPTED[str(finding.cve)]}")
        for finding in findings:
            print(finding.line())
        print(
            f"{name}: {len(pins)} pins audited against safety-db of {dated}, "
            f"{len(findings)} known vulnerabilities"
        )
        failed = failed or bool(findings)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
