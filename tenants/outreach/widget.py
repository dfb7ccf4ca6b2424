"""The embeddable "Oceń Urząd" button: one ``<script>`` tag for the office's website.

The script (``scripts/przycisk-<n>.js``) is the same file for every office, served from each
office's own host, so its Subresource Integrity hash is one constant and the snippet can pin
it. What differs per office or per choice travels in the tag's ``data-`` attributes: how the
survey opens (a new tab or a dialog on the same page), where the button sits (floating in the
corner or inline, where the tag is), and the office's colours. The survey it opens records the
channel "widget".

Because every snippet pins the hash, a published script never changes: a new version is a new
file with a new number, and the old ones keep being served byte for byte.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup, escape

from saas_platform.core.templating import safe_colour, text_colour_on
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url

SCRIPTS = Path(__file__).resolve().parent / "scripts"
# version -> the file's bytes; the newest goes into new snippets.
SCRIPT_VERSIONS = {1: (SCRIPTS / "przycisk-1.js").read_bytes()}
CURRENT_VERSION = max(SCRIPT_VERSIONS)
MAX_SCRIPT_BYTES = 5 * 1024

# The office's choices, as the snippet's data attributes spell them, with their Polish names.
OPEN_MODES = {"karta": "w nowej karcie przeglądarki", "okno": "w okienku na tej samej stronie"}
PLACEMENTS = {"plywajacy": "w prawym dolnym rogu ekranu", "w-tresci": "w miejscu wklejenia kodu"}


@dataclass(frozen=True)
class WidgetChoice:
    """How the office wants the button: how the survey opens and where the button sits."""

    opens: str = "karta"
    placement: str = "plywajacy"


def widget_choice(args: Mapping[str, str]) -> WidgetChoice:
    """The choice from the kit page's query string; an unknown value keeps the default."""
    default = WidgetChoice()
    opens = args.get("otwieraj", default.opens)
    placement = args.get("polozenie", default.placement)
    return WidgetChoice(
        opens if opens in OPEN_MODES else default.opens,
        placement if placement in PLACEMENTS else default.placement,
    )


def script_path(version: int = CURRENT_VERSION) -> str:
    """The script's path on every office host."""
    return f"/baner/przycisk-{version}.js"


def integrity(version: int = CURRENT_VERSION) -> str:
    """The SRI value of a script version, computed from the bytes the host serves."""
    digest = hashlib.sha384(SCRIPT_VERSIONS[version]).digest()
    return "sha384-" + base64.b64encode(digest).decode("ascii")


def script_origin(tenant: Tenant) -> str:
    """The office host's origin: the ``script-src`` (and, for the dialog, ``frame-src``) entry
    the office's own Content-Security-Policy needs."""
    return office_url(tenant).rstrip("/")


def widget_tag(tenant: Tenant, choice: WidgetChoice, origin: str | None = None) -> Markup:
    """The tag to paste into the office's website: async, pinned by its integrity hash.
    ``origin`` "" makes the address relative (the kit page's live preview on the same host)."""
    colour = safe_colour(tenant.brand_colour)
    attributes = {
        "src": (script_origin(tenant) if origin is None else origin) + script_path(),
        "integrity": integrity(),
        "crossorigin": "anonymous",
        "data-otwieraj": choice.opens,
        "data-polozenie": choice.placement,
        "data-kolor": colour,
        "data-kolor-tekstu": text_colour_on(colour),
    }
    rendered = " ".join(f'{name}="{escape(value)}"' for name, value in attributes.items())
    return Markup(f"<script async {rendered}></script>")
