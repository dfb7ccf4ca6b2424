"""The banner kit, QR codes and posters: real images read back (Pillow, zbarimg), real PDFs read
as text, two offices each time."""

from __future__ import annotations

import html
import io
import re
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import date

import numpy
import pytest
from PIL import Image
from sqlalchemy import select

from saas_platform.core.db import db
from saas_platform.operator.services import office_overview
from tenants.office import services as office_service
from tenants.outreach.banner import BANNER_SIZES, PNG_SCALE, banner_layout, text_width
from tenants.survey import departments
from tenants.survey.departments import active_departments
from tenants.survey.models import Response
from tests.reports.test_end_to_end import pdf_text

WOLOMIN_RED = "#8b0000"
SIERPC_GOLD = "#ffd700"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def offices(make_office):
    """Two offices in clearly different colours: dark red (white text), gold (black text)."""
    return (
        make_office("wolomin", "Urząd Miejski w Wołominie", brand_colour=WOLOMIN_RED),
        make_office("sierpc", "Urząd Miejski w Sierpcu", brand_colour=SIERPC_GOLD),
    )


def read_qr(png: bytes) -> str:
    """What a phone would read from the image (zbarimg, the real decoder)."""
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", "-"], input=png, capture_output=True, check=True
    )
    return result.stdout.decode("utf-8").strip()


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def department_ids(in_office, office) -> list[int]:
    with in_office(office):
        return [d.id for d in active_departments()]


# -- the banner ----------------------------------------------------------------------------


def test_banner_svgs_are_public_and_in_the_offices_own_colour(offices, client_for):
    wolomin, sierpc = offices
    for size in BANNER_SIZES:
        for office, colour, other in (
            (wolomin, WOLOMIN_RED, sierpc),
            (sierpc, SIERPC_GOLD, wolomin),
        ):
            response = client_for(office).get(f"/baner/{size.slug}.svg")
            assert response.status_code == 200
            assert response.mimetype == "image/svg+xml"
            body = response.get_data(as_text=True)
            root = ET.fromstring(body)
            assert (root.get("width"), root.get("height")) == (str(size.width), str(size.height))
            assert root.find(f"{SVG}rect").get("fill") == colour
            title = root.find(f"{SVG}title").text
            assert title.startswith("Oceń Urząd – ankieta satysfakcji klienta")
            assert office.name in title and other.name not in body
            other_colour = SIERPC_GOLD if colour == WOLOMIN_RED else WOLOMIN_RED
            assert other_colour not in body
            texts = " ".join(t.text for t in root.iter(f"{SVG}text"))
            assert "Oceń" in texts and "Urząd" in texts and "ankiet" in texts
            assert "<script" not in body


def test_banner_pngs_are_real_images_with_readable_text(offices, client_for):
    wolomin, sierpc = offices
    for size in BANNER_SIZES:
        red = Image.open(io.BytesIO(client_for(wolomin).get(f"/baner/{size.slug}.png").data))
        gold = Image.open(io.BytesIO(client_for(sierpc).get(f"/baner/{size.slug}.png").data))
        for image, background, text in (
            (red, WOLOMIN_RED, "#ffffff"),
            (gold, SIERPC_GOLD, "#000000"),
        ):
            assert image.format == "PNG"
            assert image.size == (size.width * PNG_SCALE, size.height * PNG_SCALE)
            image = image.convert("RGB")
            assert image.getpixel((1, 1)) == rgb(background)
            colours = dict((c, n) for n, c in image.getcolors(maxcolors=1 << 20))
            # the title, subtitle and button are drawn in the readable colour
            assert colours.get(rgb(text), 0) > image.size[0] * image.size[1] * 0.03
            assert rgb(SIERPC_GOLD if background == WOLOMIN_RED else WOLOMIN_RED) not in colours


def test_every_text_of_every_banner_fits_inside_it():
    for size in BANNER_SIZES:
        for colour in ("#1d4f91", "#ffffff", "#000000"):
            layout = banner_layout(size, colour)
            b = layout.button
            assert b.x > 0 and b.x + b.width < size.width
            assert b.y > 0 and b.y + b.height < size.height
            for line in layout.lines:
                width = text_width(line.text, line.size, line.bold)
                left = line.x - width / 2 if line.anchor == "middle" else line.x
                assert left > 0 and left + width < size.width, (size.slug, line.text)
                assert line.size * 0.93 < line.y < size.height - line.size * 0.24
                assert line.size >= 9
            assert layout.lines[0].colour != layout.background  # text_colour_on, not the brand


def test_banner_images_are_cacheable_and_revalidate(offices, client_for):
    wolomin, _ = offices
    client = client_for(wolomin)
    response = client.get("/baner/300x250.png")
    assert response.cache_control.public and response.cache_control.max_age == 3600
    etag = response.headers["ETag"]
    again = client.get("/baner/300x250.png", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_unknown_sizes_and_the_platform_host_have_no_banner(offices, client_for):
    wolomin, _ = offices
    assert client_for(wolomin).get("/baner/999x999.png").status_code == 404
    assert client_for(wolomin).get("/baner/300x250.gif").status_code == 404
    assert client_for("satysfakcja.test").get("/baner/300x250.png").status_code == 404
    assert client_for("nieznany.satysfakcja.test").get("/baner/300x250.svg").status_code == 404


def snippets(page: str) -> dict[str, str]:
    found = re.findall(
        r'<textarea id="kod-([0-9x]+)" rows="4" readonly>(.*?)</textarea>', page, re.S
    )
    return {slug: html.unescape(text) for slug, text in found}


def test_the_kit_gives_every_size_a_plain_snippet_and_a_preview(offices, logged_in):
    wolomin, sierpc = offices
    analyst = logged_in(wolomin, role="analyst")  # staff, not only admins
    page = analyst.get("/panel/baner").get_data(as_text=True)
    assert "Baner i kody QR" in page  # the menu entry
    kit = snippets(page)
    assert set(kit) == {size.slug for size in BANNER_SIZES}
    for size in BANNER_SIZES:
        assert kit[size.slug] == (
            '<a href="http://wolomin.satysfakcja.test/?kanal=banner">'
            f'<img src="http://wolomin.satysfakcja.test/baner/{size.slug}.png" '
            'alt="Oceń Urząd – ankieta satysfakcji klienta (Urząd Miejski w Wołominie). '
            f'Wypełnij ankietę." width="{size.width}" height="{size.height}"></a>'
        )
        assert f'<img src="/baner/{size.slug}.png"' in page  # the preview
        assert f'href="/baner/{size.slug}.svg" download' in page
    assert "sierpc" not in page and "Sierpc" not in page
    other = snippets(logged_in(sierpc).get("/panel/baner").get_data(as_text=True))
    assert all("sierpc.satysfakcja.test" in s and "wolomin" not in s for s in other.values())


def test_the_kit_is_for_signed_in_staff_only(offices, client_for):
    wolomin, _ = offices
    response = client_for(wolomin).get("/panel/baner")
    assert response.status_code == 302 and "/panel/login" in response.headers["Location"]
    assert client_for(wolomin).get("/panel/baner/plakat.pdf").status_code == 302


def test_a_response_through_the_banner_link_ticks_the_onboarding_checklist(
    offices, client_for, complete_answers, in_office, logged_in
):
    wolomin, sierpc = offices
    snippet = snippets(logged_in(wolomin).get("/panel/baner").get_data(as_text=True))["728x90"]
    link = re.search(r'href="http://wolomin\.satysfakcja\.test(/[^"]*)"', snippet).group(1)
    resident = client_for(wolomin)
    form = resident.survey_form(link.lstrip("/"))
    assert form["kanal"] == "banner"
    assert resident.post("/", data={**form, **complete_answers()}).status_code == 303
    for office, expected in ((wolomin, True), (sierpc, False)):
        with in_office(office) as tenant:
            assert office_overview(tenant, date.today()).has_banner_response is expected
            channels = db.session.scalars(select(Response.channel)).all()
            assert channels == (["banner"] if expected else [])


# -- QR codes and posters ------------------------------------------------------------------


def test_qr_codes_read_back_as_the_survey_address_with_channel_and_department(
    offices, logged_in, in_office
):
    wolomin, sierpc = offices
    admin = logged_in(wolomin)
    first = department_ids(in_office, wolomin)[0]
    whole = admin.get("/panel/baner/kod-qr.png")
    assert whole.mimetype == "image/png"
    assert 'filename="kod-qr-ankieta.png"' in whole.headers["Content-Disposition"]
    assert read_qr(whole.data) == "http://wolomin.satysfakcja.test/?kanal=qr"
    department = admin.get(f"/panel/baner/kod-qr.png?wydzial={first}")
    assert read_qr(department.data) == f"http://wolomin.satysfakcja.test/?kanal=qr&wydzial={first}"
    svg = admin.get(f"/panel/baner/kod-qr.svg?wydzial={first}")
    assert svg.mimetype == "image/svg+xml"
    root = ET.fromstring(svg.data)
    assert root.tag == f"{SVG}svg" and root.find(f"{SVG}path") is not None
    assert f'filename="kod-qr-wydzial-{first}.svg"' in svg.headers["Content-Disposition"]
    # the kit lists the whole survey and every active department of this office only
    page = admin.get("/panel/baner").get_data(as_text=True)
    for department_id in department_ids(in_office, wolomin):
        assert f"/panel/baner/plakat.pdf?wydzial={department_id}" in page
    for department_id in department_ids(in_office, sierpc):
        assert f"wydzial={department_id}" not in page


def test_codes_of_other_offices_inactive_or_made_up_departments_are_not_found(
    offices, logged_in, in_office
):
    wolomin, sierpc = offices
    admin = logged_in(wolomin)
    theirs = department_ids(in_office, sierpc)[0]
    ours = department_ids(in_office, wolomin)[-1]
    with in_office(wolomin):
        office_service.deactivate_department(departments.department_or_none(ours))
        db.session.commit()
    for query in (f"wydzial={theirs}", f"wydzial={ours}", "wydzial=abc", "wydzial=", "wydzial=-1"):
        for path in (
            "/panel/baner/kod-qr.png",
            "/panel/baner/kod-qr.svg",
            "/panel/baner/plakat.pdf",
        ):
            assert admin.get(f"{path}?{query}").status_code == 404, (path, query)


def test_a_department_code_opens_the_survey_with_it_chosen_and_records_qr(
    offices, client_for, complete_answers, in_office
):
    wolomin, sierpc = offices
    chosen = department_ids(in_office, wolomin)[1]
    resident = client_for(wolomin)
    selected = re.compile(r'<option value="(\d+)" selected>')
    for _ in range(2):  # the second page comes from the micro-cache
        page = resident.get(f"/?kanal=qr&wydzial={chosen}").get_data(as_text=True)
        assert selected.findall(page) == [str(chosen)]
        assert 'name="kanal" value="qr"' in page
    # the cached page of a department never leaks into the plain QR or web page
    assert selected.findall(resident.get("/?kanal=qr").get_data(as_text=True)) == []
    assert selected.findall(resident.get("/").get_data(as_text=True)) == []
    # another office's department, or nonsense, chooses nothing
    theirs = department_ids(in_office, sierpc)[0]
    for value in (str(theirs), "x", "9" * 30):
        page = resident.get(f"/?kanal=qr&wydzial={value}").get_data(as_text=True)
        assert selected.findall(page) == []

    form = resident.survey_form(f"?kanal=qr&wydzial={chosen}")
    answers = complete_answers(department_id=chosen)
    assert resident.post("/", data={**form, **answers}).status_code == 303
    with in_office(wolomin):
        stored = db.session.scalars(select(Response)).all()
        assert [(r.channel, r.department_id) for r in stored] == [("qr", chosen)]
    with in_office(sierpc):
        assert db.session.scalars(select(Response)).all() == []


def test_the_poster_calls_to_scan_names_the_office_and_carries_a_readable_code(
    offices, logged_in, in_office, tmp_path
):
    wolomin, _ = offices
    admin = logged_in(wolomin)
    first = department_ids(in_office, wolomin)[0]
    with in_office(wolomin):
        department_name = departments.department_or_none(first).name
    started = time.perf_counter()
    response = admin.get(f"/panel/baner/plakat.pdf?wydzial={first}")
    elapsed = time.perf_counter() - started
    assert response.mimetype == "application/pdf"
    assert f'filename="plakat-wydzial-{first}.pdf"' in response.headers["Content-Disposition"]
    text = " ".join(pdf_text(response.data).split())
    assert "Oceń naszą obsługę – zeskanuj kod" in text
    assert "Urząd Miejski w Wołominie" in text and department_name in text
    assert "wolomin.satysfakcja.test" in text
    assert "Sierpc" not in text
    pages = subprocess.run(["pdfinfo", "-"], input=response.data, capture_output=True, check=True)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+", pages.stdout.decode())  # A4
    assert re.search(r"Pages:\s+1\b", pages.stdout.decode())
    (tmp_path / "plakat.pdf").write_bytes(response.data)
    subprocess.run(
        ["pdfimages", "-png", str(tmp_path / "plakat.pdf"), str(tmp_path / "obraz")], check=True
    )
    [image] = sorted(tmp_path.glob("obraz-*.png"))
    assert read_qr(image.read_bytes()) == (
        f"http://wolomin.satysfakcja.test/?kanal=qr&wydzial={first}"
    )
    assert elapsed < 5, f"the poster took {elapsed:.2f} s"

    whole = " ".join(pdf_text(admin.get("/panel/baner/plakat.pdf").data).split())
    assert "Oceń naszą obsługę – zeskanuj kod" in whole and department_name not in whole


def _with_logo(app, office) -> None:
    """The office's logo as the panel stores it (a re-encoded PNG): a dark red square."""
    from saas_platform.core.tenancy.models import Tenant
    from tenants.office.logo import prepare_logo

    buffer = io.BytesIO()
    Image.new("RGB", (400, 400), WOLOMIN_RED).save(buffer, "PNG")
    with app.app_context():
        tenant = db.session.get(Tenant, office.id)
        tenant.logo, tenant.logo_mime_type = prepare_logo(buffer.getvalue()), "image/png"
        db.session.commit()


def _polish_only_survey(in_office, office) -> None:
    from tests.survey.test_languages import _publish_without_translations

    _publish_without_translations(in_office, office)


def _page_image(pdf: bytes, tmp_path, name: str, dpi: int = 100) -> Image.Image:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(tmp_path / f"{name}.pdf"),
         str(tmp_path / name)],
        check=True,
    )  # fmt: skip
    return Image.open(tmp_path / f"{name}.png").convert("L")


def test_the_poster_has_the_logo_and_the_call_in_each_language_the_survey_offers(
    app, offices, logged_in, in_office, tmp_path
):
    wolomin, sierpc = offices
    _with_logo(app, wolomin)
    _polish_only_survey(in_office, sierpc)  # Sierpc's live survey: Polish only, no logo
    for office, languages, images in ((wolomin, True, 2), (sierpc, False, 1)):
        pdf = logged_in(office).get("/panel/baner/plakat.pdf").data
        text = " ".join(pdf_text(pdf).split())
        assert "Oceń naszą obsługę – zeskanuj kod" in text
        assert ("Rate our service – scan the code" in text) is languages
        assert ("Оцініть наше обслуговування – відскануйте код" in text) is languages
        (tmp_path / f"{office.slug}.pdf").write_bytes(pdf)
        listed = subprocess.run(
            ["pdfimages", "-list", str(tmp_path / f"{office.slug}.pdf")],
            capture_output=True, check=True, text=True,
        ).stdout.splitlines()[2:]  # fmt: skip
        assert len(listed) == images, office.slug  # the code, and the logo where there is one
        # a phone reads the code from the printed page, logo and all
        page = _page_image(pdf, tmp_path, office.slug, dpi=150)
        buffer = io.BytesIO()
        page.save(buffer, "PNG")
        assert read_qr(buffer.getvalue()) == f"http://{office.slug}.satysfakcja.test/?kanal=qr"


def test_the_poster_fills_the_a4_page_even_with_a_logo_and_a_department(
    app, offices, logged_in, in_office, tmp_path
):
    wolomin, sierpc = offices
    _with_logo(app, wolomin)
    long_name = department_ids(in_office, wolomin)[0]
    for office, query in ((wolomin, f"?wydzial={long_name}"), (sierpc, "")):
        pdf = logged_in(office).get(f"/panel/baner/plakat.pdf{query}").data
        info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True)
        assert re.search(r"Pages:\s+1\b", info.stdout.decode()), office.slug
        pixels = numpy.asarray(_page_image(pdf, tmp_path, office.slug))
        height = pixels.shape[0]
        inked = numpy.flatnonzero((pixels < 128).any(axis=1))  # rows with something printed
        lower_third = inked[inked >= height * 2 / 3]
        # printed down to the last sixth of the page, across most of the lower third
        assert inked.max() > height * 5 / 6, office.slug
        assert lower_third.max() - lower_third.min() > height / 3 * 0.6, office.slug
        # the code is as large as the page allows: it reaches past the middle of the page
        assert (pixels[height // 2 : height * 2 // 3] < 128).any(), office.slug
