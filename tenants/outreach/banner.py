"""The "Oceń Urząd" banner: one layout per size, drawn as SVG (a Jinja template) and as PNG
(Pillow, with the DejaVu fonts shipped for the reports), in the office's colour.

Text is measured with DejaVu Sans, the widest of the fonts the SVG names, so it fits in
whichever of them a browser has.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlencode

from flask import render_template
from markupsafe import escape
from PIL import Image, ImageDraw, ImageFont

from saas_platform.core.templating import safe_colour, text_colour_on
from saas_platform.core.tenancy.models import Tenant
from saas_platform.core.tenancy.services import office_url
from tenants.reports.pdf import ASSETS
from tenants.survey.forms import DEPARTMENT_PARAM

TITLE = "Oceń Urząd"
SUBTITLE = "Ankieta satysfakcji klienta"
CALL = "Wypełnij ankietę"
FONT_FAMILY = "DejaVu Sans, Verdana, Arial, Helvetica, sans-serif"
FONT_FILES = {False: ASSETS / "DejaVuSans.ttf", True: ASSETS / "DejaVuSans-Bold.ttf"}
# DejaVu Sans: ascent and descent as a share of the font size.
ASCENT, DESCENT = 0.93, 0.24
LINE = ASCENT + DESCENT
# PNGs are drawn at twice the size, sharp on high-density screens; the snippet keeps the size.
PNG_SCALE = 2
MIN_FONT = 9.0


@dataclass(frozen=True)
class BannerSize:
    slug: str
    width: int
    height: int
    name: str


BANNER_SIZES = (
    BannerSize("300x250", 300, 250, "prostokąt"),
    BannerSize("728x90", 728, 90, "poziomy pasek"),
    BannerSize("160x600", 160, 600, "pionowy pasek"),
    BannerSize("320x100", 320, 100, "pasek na telefon"),
)
SIZES_BY_SLUG = {size.slug: size for size in BANNER_SIZES}


@dataclass(frozen=True)
class TextLine:
    text: str
    x: float
    y: float  # the baseline
    size: float
    bold: bool
    anchor: str  # "start" or "middle", as SVG names them
    colour: str


@dataclass(frozen=True)
class Button:
    x: float
    y: float
    width: float
    height: float
    radius: float
    colour: str


@dataclass(frozen=True)
class BannerLayout:
    size: BannerSize
    background: str
    lines: tuple[TextLine, ...]
    button: Button


@lru_cache(maxsize=64)
def _font(bold: bool, size: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILES[bold]), size)


def text_width(text: str, size: float, bold: bool) -> float:
    """The width of ``text`` in DejaVu Sans at ``size`` pixels."""
    return _font(bold, 100).getlength(text) * size / 100


def _wrap(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Greedy word wrap at ``size``; a single word wider than ``width`` stays on its line."""
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(candidate, size, bold) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def _fitted(text: str, preferred: float, bold: bool, width: float) -> tuple[float, list[str]]:
    """The largest size up to ``preferred`` at which ``text`` fits ``width`` on as few lines
    as it needs (one line while that keeps at least 80% of the preferred size)."""
    size = preferred
    while size > MIN_FONT:
        if text_width(text, size, bold) <= width:
            return size, [text]
        if size < preferred * 0.8 and " " in text:
            break
        size -= 0.5
    size = preferred
    while size > MIN_FONT:
        lines = _wrap(text, size, bold, width)
        if all(text_width(line, size, bold) <= width for line in lines):
            return size, lines
        size -= 0.5
    return MIN_FONT, _wrap(text, MIN_FONT, bold, width)


def _stacked(size: BannerSize, background: str, foreground: str) -> BannerLayout:
    """Title, subtitle and button one under another, centred (rectangles and tall banners)."""
    pad = max(8.0, min(size.width, size.height) * 0.08)
    inner = size.width - 2 * pad
    tall = size.height >= 2 * size.width
    base = size.width * 0.24 if tall else min(size.width * 0.14, size.height * 0.3)
    title, title_lines = _fitted(TITLE, base, True, inner)
    sub, sub_lines = _fitted(SUBTITLE, base * 0.45, False, inner)
    call, call_lines = _fitted(CALL, base * 0.4, True, inner - base * 0.8)
    gap = sub * 0.45
    button_height = len(call_lines) * LINE * call + call
    block = len(title_lines) * LINE * title + gap + len(sub_lines) * LINE * sub + gap
    block += button_height
    if tall:  # spread the three parts over the height instead of a small block in the middle
        extra = min((size.height - 2 * pad - block) / 4, sub * 2.5)
        gap, block = gap + extra, block + 2 * extra
    scale = min(1.0, (size.height - 2 * pad) / block)  # short banners: everything smaller
    title, sub, call = title * scale, sub * scale, call * scale
    gap, button_height, block = gap * scale, button_height * scale, block * scale

    centre = size.width / 2
    y = (size.height - block) / 2
    lines = []
    for texts, font_size, bold in ((title_lines, title, True), (sub_lines, sub, False)):
        for text in texts:
            baseline = y + ASCENT * font_size
            lines.append(TextLine(text, centre, baseline, font_size, bold, "middle", foreground))
            y += LINE * font_size
        y += gap
    button_width = max(text_width(c, call, True) for c in call_lines) + call * 1.6
    left = centre - button_width / 2
    button = Button(left, y, button_width, button_height, call * 0.3, foreground)
    y += call / 2
    for text in call_lines:
        lines.append(TextLine(text, centre, y + ASCENT * call, call, True, "middle", background))
        y += LINE * call
    return BannerLayout(size, background, tuple(lines), button)


def _wide(size: BannerSize, background: str, foreground: str) -> BannerLayout:
    """Title and subtitle on the left, the button on the right (leaderboards)."""
    pad = size.height * 0.14
    call = _fitted(CALL, size.height * 0.2, True, size.width * 0.3)[0]
    button_width = text_width(CALL, call, True) + call * 1.6
    button_height = LINE * call + call
    button = Button(
        size.width - pad - button_width,
        (size.height - button_height) / 2,
        button_width,
        button_height,
        call * 0.3,
        foreground,
    )
    column = button.x - 2 * pad
    title = _fitted(TITLE, size.height * 0.36, True, column)[0]
    sub = _fitted(SUBTITLE, size.height * 0.19, False, column)[0]
    gap = sub * 0.3
    block = LINE * title + gap + LINE * sub
    top = (size.height - block) / 2
    lines = (
        TextLine(TITLE, pad, top + ASCENT * title, title, True, "start", foreground),
        TextLine(
            SUBTITLE, pad, top + LINE * title + gap + ASCENT * sub, sub, False, "start", foreground
        ),
        TextLine(
            CALL,
            button.x + button_width / 2,
            button.y + call / 2 + ASCENT * call,
            call,
            True,
            "middle",
            background,
        ),
    )
    return BannerLayout(size, background, lines, button)


def banner_layout(size: BannerSize, brand_colour: str | None) -> BannerLayout:
    """Where every text and the button go, in the office's colour with readable text."""
    background = safe_colour(brand_colour)
    foreground = text_colour_on(background)
    if size.width >= 4 * size.height:
        return _wide(size, background, foreground)
    return _stacked(size, background, foreground)


def alt_text(tenant: Tenant) -> str:
    """What the banner says, for people who do not see it."""
    return f"Oceń Urząd – ankieta satysfakcji klienta ({tenant.name}). Wypełnij ankietę."


def banner_svg(tenant: Tenant, size: BannerSize) -> str:
    """The banner as an SVG document."""
    return render_template(
        "outreach/banner.svg",
        layout=banner_layout(size, tenant.brand_colour),
        title=alt_text(tenant),
        font_family=FONT_FAMILY,
    )


@lru_cache(maxsize=128)
def _png(size_slug: str, colour: str) -> bytes:
    layout = banner_layout(SIZES_BY_SLUG[size_slug], colour)
    k = PNG_SCALE
    image = Image.new("RGB", (layout.size.width * k, layout.size.height * k), layout.background)
    draw = ImageDraw.Draw(image)
    b = layout.button
    draw.rounded_rectangle(
        (b.x * k, b.y * k, (b.x + b.width) * k, (b.y + b.height) * k),
        radius=b.radius * k,
        fill=b.colour,
    )
    for line in layout.lines:
        draw.text(
            (line.x * k, line.y * k),
            line.text,
            font=_font(line.bold, line.size * k),
            fill=line.colour,
            anchor="ms" if line.anchor == "middle" else "ls",
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def banner_png(tenant: Tenant, size: BannerSize) -> bytes:
    """The banner as a PNG at ``PNG_SCALE`` times its size (the same for the same colour)."""
    return _png(size.slug, safe_colour(tenant.brand_colour))


def survey_link(tenant: Tenant, channel: str, department_id: int | None = None) -> str:
    """The survey's public address that records ``channel`` (and chooses a department)."""
    query = {"kanal": channel}
    if department_id is not None:
        query[DEPARTMENT_PARAM] = str(department_id)
    return office_url(tenant, "/?" + urlencode(query))


def banner_image_url(tenant: Tenant, size: BannerSize, extension: str) -> str:
    """The public address of the banner image, for the town's website to embed."""
    return office_url(tenant, f"/baner/{size.slug}.{extension}")


def banner_snippet(tenant: Tenant, size: BannerSize) -> str:
    """The HTML to paste into the town's website: a plain link around the image, no script."""
    return (
        f'<a href="{escape(survey_link(tenant, "banner"))}">'
        f'<img src="{escape(banner_image_url(tenant, size, "png"))}" '
        f'alt="{escape(alt_text(tenant))}" width="{size.width}" height="{size.height}"></a>'
    )
