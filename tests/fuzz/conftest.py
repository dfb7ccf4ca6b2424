"""Hypothesis profiles of the fuzz suite, chosen by HYPOTHESIS_PROFILE:

- ``fast`` (the default, and `make test-fast`): a few examples per form, the same ones on every
  run (derandomised), so the fast tier stays quick and a failure reproduces at once;
- ``deep`` (`make test`, so CI): many more examples, still derandomised;
- ``explore`` (by hand): random examples, many of them, remembered in .hypothesis/ so that a
  failure found once is tried first next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# Every example is a real request against PostgreSQL: slow by Hypothesis's measure, and the
# first example of a test sets an office up.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("fast", max_examples=8, derandomize=True, database=None, **_COMMON)
settings.register_profile("deep", max_examples=35, derandomize=True, database=None, **_COMMON)
settings.register_profile(
    "explore",
    max_examples=500,
    database=DirectoryBasedExampleDatabase(".hypothesis/examples"),
    **_COMMON,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


def pytest_terminal_summary(terminalreporter) -> None:
    """How the fuzzed forms answered, form by form (in a run without xdist workers)."""
    from tests.fuzz.harness import OUTCOMES

    if not OUTCOMES:
        return
    terminalreporter.section(f"fuzzed forms ({os.environ.get('HYPOTHESIS_PROFILE', 'fast')})")
    terminalreporter.write_line("path, status, outcome, answers")
    for (path, status, accepted), count in sorted(OUTCOMES.items()):
        outcome = "accepted" if accepted else "refused"
        terminalreporter.write_line(f"{path:<45} {status} {outcome:<8} {count:>5}")
