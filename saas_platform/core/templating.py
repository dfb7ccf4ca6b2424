"""Jinja filters and globals shared by every page."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g

from saas_platform.core.numbers import round_half_away

COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DEFAULT_BRAND_COLOUR = "#1d4f91"
WCAG_AA_TEXT_CONTRAST = 4.5


def safe_colour(value: str | None) -> str:
    """A colour that is safe to put into CSS: ``#rrggbb`` or the default."""
    return value.lower() if value and COLOUR.match(value) else DEFAULT_BRAND_COLOUR


def _relative_luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast_with_white(colour: str) -> float:
    return 1.05 / (_relative_luminance(colour) + 0.05)


def text_colour_on(background: str) -> str:
    """Black or white, whichever contrasts more with ``background`` (WCAG formula)."""
    luminance = _relative_luminance(safe_colour(background))
    on_white = (1.05) / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#ffffff" if on_white >= on_black else "#000000"


def ink_on_white(colour: str) -> str:
    """The brand colour for text and controls on white: as it is when it reads there (contrast
    of at least 4.5:1, WCAG AA), otherwise darkened just enough (a yellow brand becomes olive)."""
    colour = safe_colour(colour)
    channels = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    for percent in range(100, -1, -2):
        darker = "#" + "".join(f"{round(c * percent / 100):02x}" for c in channels)
        if _contrast_with_white(darker) >= WCAG_AA_TEXT_CONTRAST:
            return darker
    return "#000000"


def local_datetime(moment: datetime | None) -> str:
    """A timestamp in the office's timezone, the Polish way: 26.11.2026 14:05."""
    if moment is None:
        return "—"
    tenant = g.get("tenant")
    zone = ZoneInfo(tenant.timezone if tenant is not None else "Europe/Warsaw")
    return moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def pl_number(value: float | None, digits: int = 1) -> str:
    """A number the Polish way (decimal comma); "—" when there is none."""
    if value is None:
        return "—"
    return f"{round_half_away(value, digits):.{digits}f}".replace(".", ",").replace("-", "−")


def pl_signed(value: float | None, digits: int = 1) -> str:
    """A change the Polish way with its sign: "+1,3", "−0,7", "0,0"; "—" when there is none."""
    if value is None:
        return "—"
    text = pl_number(value, digits)
    if set(text) <= set("−0,"):
        return text.lstrip("−")  # rounds to zero: no sign
    return text if text.startswith("−") else "+" + text


def pl_percent(share: float | None, digits: int = 0) -> str:
    """A share (0–1) as a Polish percentage: 0.734 -> "73%"."""
    return "—" if share is None else pl_number(share * 100, digits) + "%"


def pl_date(value) -> str:
    """A date as 26.11.2026."""
    return value.strftime("%d.%m.%Y") if value else "—"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["safe_colour"] = safe_colour
    app.jinja_env.filters["text_colour_on"] = text_colour_on
    app.jinja_env.filters["ink_on_white"] = ink_on_white
    app.jinja_env.filters["local_datetime"] = local_datetime
    app.jinja_env.filters["pl_number"] = pl_number
    app.jinja_env.filters["pl_percent"] = pl_percent
    app.jinja_env.filters["pl_signed"] = pl_signed
    app.jinja_env.filters["pl_date"] = pl_date
    # A number as the page shows it (one decimal, halves away from zero): flags compare this.
    app.jinja_env.filters["as_shown"] = round_half_away

    @app.context_processor
    def _limits() -> dict:
        return {"text_limit": current_app.config["OPEN_TEXT_MAX_LENGTH"]}
