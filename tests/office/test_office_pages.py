"""The office's own pages in the panel: its data and colour, the logo (checked by content and
re-encoded), and its departments."""

from __future__ import annotations

import html
import io
import os
import re
import struct
import zlib
from datetime import date

import pytest
from PIL import Image, PngImagePlugin
from sqlalchemy import func, select

from saas_platform.core.db import db
from tenants.audit.models import AuditEntry
from tenants.reports.models import Report
from tenants.survey.models import Department, Response
from tests.conftest import csrf_token_of
from tests.survey.test_paper_entry import _paper_form

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _form_post(client, path: str, form_page: str | None = None, **fields):
    token = csrf_token_of(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _audit(office, in_office, action: str) -> list[AuditEntry]:
    with in_office(office):
        return list(
            db.session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )


def _count(model, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


# -- office data -------------------------------------------------------------------------------

OFFICE_DATA = {
    "name": "Urząd Miejski w Wołominie",
    "address": "",
    "contact_email": "",
    "contact_phone": "",
    "brand_colour": "#1d4f91",
    "score_threshold": "75",
    "report_recipients": "",
}


def test_admin_edits_office_data_saved_shown_and_audited_with_before_and_after(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    response = _form_post(
        admin,
        "/panel/urzad",
        **{
            **OFFICE_DATA,
            "address": "ul. Ogrodowa 4, 05-200 Wołomin",
            "contact_email": "Sekretariat@Wolomin.PL",
            "contact_phone": "+48 22 787 30 21",
            "brand_colour": "#AA3300",
            "score_threshold": "60",
            "report_recipients": "Burmistrz@wolomin.pl\nsekretarz@wolomin.pl\n\n"
            "burmistrz@wolomin.pl; rada@wolomin.pl",
        },
    )
    assert response.status_code == 302, _text(response)
    assert "Zapisano dane urzędu." in _text(admin.get("/panel/urzad"))

    with in_office(wolomin) as tenant:
        assert tenant.contact_email == "sekretariat@wolomin.pl"
        assert tenant.brand_colour == "#aa3300"
        assert tenant.score_threshold == 60
        assert tenant.report_recipients == [
            "burmistrz@wolomin.pl",
            "sekretarz@wolomin.pl",
            "rada@wolomin.pl",
        ]
    [entry] = _audit(wolomin, in_office, "office.update")
    # the name was sent unchanged: only what changed is in the log
    assert entry.before == {
        "address": "",
        "contact_email": "",
        "contact_phone": "",
        "brand_colour": "#1d4f91",
        "score_threshold": 75,
        "report_recipients": [],
    }
    assert entry.after["brand_colour"] == "#aa3300"
    assert entry.after["report_recipients"][0] == "burmistrz@wolomin.pl"
    assert "Zmiana danych urzędu" in _text(admin.get(f"/panel/dziennik/{entry.id}"))

    survey = _text(client_for(wolomin).get("/"))
    assert "--brand: #aa3300" in survey
    assert "ul. Ogrodowa 4, 05-200 Wołomin" in survey
    # the other office keeps its own look and data
    assert "--brand: #1d4f91" in _text(client_for(sierpc).get("/"))
    with in_office(sierpc) as tenant:
        assert (tenant.brand_colour, tenant.report_recipients) == ("#1d4f91", [])
    assert _audit(sierpc, in_office, "office.update") == []


def test_saving_unchanged_office_data_logs_nothing(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    assert _form_post(admin, "/panel/urzad", **OFFICE_DATA).status_code == 302
    assert _audit(wolomin, in_office, "office.update") == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_email", "sekretariat-at-wolomin.pl", "Podaj poprawny adres e-mail."),
        ("brand_colour", "red", "Podaj kolor w postaci #rrggbb"),
        ("brand_colour", "#12345", "Podaj kolor w postaci #rrggbb"),
        ("brand_colour", "#1d4f91;}body{", "Podaj kolor w postaci #rrggbb"),
        ("score_threshold", "101", "Podaj liczbę całkowitą od 0 do 100."),
        ("score_threshold", "-1", "Podaj liczbę całkowitą od 0 do 100."),
        ("score_threshold", "sześćdziesiąt", "Podaj liczbę całkowitą od 0 do 100."),
        ("score_threshold", "", "Podaj liczbę całkowitą od 0 do 100."),
        ("report_recipients", "rada@wolomin.pl\nnie adres", "„nie” nie jest poprawnym adresem"),
        ("contact_phone", "zadzwoń do nas", "Podaj numer telefonu z cyfr"),
        ("name", "", "To pole jest wymagane."),
    ],
)
def test_invalid_office_data_is_refused_with_a_message(
    two_offices, logged_in, in_office, field, value, message
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = _form_post(
        admin, "/panel/urzad", **{**OFFICE_DATA, "brand_colour": "#000000", field: value}
    )
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert 'class="error-summary"' in page
    with in_office(wolomin) as tenant:
        assert tenant.brand_colour == "#1d4f91"  # nothing of the form was saved
        assert tenant.score_threshold == 75
    assert _audit(wolomin, in_office, "office.update") == []


def test_more_than_twenty_report_recipients_are_refused(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    many = "\n".join(f"osoba{n}@wolomin.pl" for n in range(21))
    response = _form_post(admin, "/panel/urzad", **{**OFFICE_DATA, "report_recipients": many})
    assert response.status_code == 422
    assert "najwyżej 20 adresów" in _text(response)
    with in_office(wolomin) as tenant:
        assert tenant.report_recipients == []


# -- logo --------------------------------------------------------------------------------------


def _image_bytes(fmt: str, size=(600, 900), mode="RGB") -> bytes:
    image = Image.new(mode, size, (200, 30, 40) if mode == "RGB" else None)
    output = io.BytesIO()
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Author", "Jan Kowalski, tel. 600 100 200")
        image.save(output, "PNG", pnginfo=info)
    elif fmt == "JPEG":
        exif = Image.Exif()
        exif[0x013B] = "Jan Kowalski"  # Artist
        exif[0x010F] = "Aparat Sp. z o.o."  # Make
        image.save(output, "JPEG", exif=exif.tobytes())
    else:
        image.save(output, fmt)
    return output.getvalue()


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge canvas: a decompression bomb's calling card."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def _upload_logo(client, data: bytes, filename: str = "logo.png", mimetype: str = "image/png"):
    token = csrf_token_of(client.get("/panel/urzad").get_data(as_text=True))
    return client.post(
        "/panel/urzad/logo",
        data={"csrf_token": token, "logo": (io.BytesIO(data), filename, mimetype)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    ("fmt", "filename", "mimetype"),
    [("PNG", "herb.png", "image/png"), ("JPEG", "herb.jpg", "image/jpeg")],
)
def test_png_or_jpeg_logo_is_reencoded_without_metadata_and_shown_on_the_survey(
    two_offices, logged_in, client_for, in_office, fmt, filename, mimetype
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    upload = _image_bytes(fmt)
    response = _upload_logo(admin, upload, filename, mimetype)
    assert response.status_code == 302, _text(response)

    with in_office(wolomin) as tenant:
        stored, mime_type = tenant.logo, tenant.logo_mime_type
    assert mime_type == "image/png"
    assert stored.startswith(PNG_SIGNATURE) and stored != upload
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "PNG"
        assert image.size == (267, 400)  # downscaled to 400 px high, proportions kept
        assert "Author" not in image.info and "exif" not in image.info
        assert not image.getexif()
    assert b"Kowalski" not in stored

    served = client_for(wolomin).get("/logo")
    assert served.status_code == 200
    assert served.mimetype == "image/png"
    assert served.data == stored
    assert 'class="logo" src="/logo?v=' in _text(client_for(wolomin).get("/"))

    [entry] = _audit(wolomin, in_office, "office.logo")
    assert entry.before is None
    assert entry.after["bytes"] == len(stored)
    assert len(entry.after["sha256"]) == 64
    # the other office has no logo
    assert client_for(sierpc).get("/logo").status_code == 404
    assert 'class="logo"' not in _text(client_for(sierpc).get("/"))


def _noisy_png() -> bytes:
    """A PNG of random pixels: it does not compress, so cutting it short cuts pixel data."""
    output = io.BytesIO()
    Image.frombytes("RGB", (300, 300), os.urandom(300 * 300 * 3)).save(output, "PNG")
    return output.getvalue()


def _noisy_photo() -> bytes:
    """A small JPEG of pure noise, which as a lossless PNG grows past the stored-size limit."""
    output = io.BytesIO()
    noise = Image.frombytes("RGB", (2000, 600), os.urandom(2000 * 600 * 3))
    noise.save(output, "JPEG", quality=20)
    return output.getvalue()


def _gif() -> bytes:
    return _image_bytes("GIF", size=(50, 50))


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


@pytest.mark.parametrize(
    ("make_upload", "filename", "mimetype", "status", "message"),
    [
        (lambda: SVG, "herb.svg", "image/svg+xml", 422, "Logo musi być obrazem PNG lub JPEG."),
        (lambda: SVG, "herb.png", "image/png", 422, "Logo musi być obrazem PNG lub JPEG."),
        (_gif, "herb.gif", "image/gif", 422, "Logo musi być obrazem PNG lub JPEG."),
        (_gif, "herb.png", "image/png", 422, "Logo musi być obrazem PNG lub JPEG."),
        (
            lambda: b"To nie jest obraz.\n" * 10,
            "herb.png",
            "image/png",
            422,
            "Logo musi być obrazem PNG lub JPEG.",
        ),
        (
            lambda: _noisy_png()[:100_000],
            "herb.png",
            "image/png",
            422,
            "plik jest uszkodzony lub niekompletny",
        ),
        (
            lambda: _image_bytes("PNG", size=(2001, 20)),
            "herb.png",
            "image/png",
            422,
            "najwyżej 2000×2000 px",
        ),
        (
            lambda: _png_claiming(100_000, 100_000),
            "herb.png",
            "image/png",
            422,
            "najwyżej 2000×2000 px",
        ),
        (
            lambda: _png_claiming(5000, 4000),
            "herb.png",
            "image/png",
            422,
            "Obraz ma 5000×4000 px",
        ),
        (_noisy_photo, "zdjecie.jpg", "image/jpeg", 422, "zająłby ponad 1 MB"),
        (lambda: b"", "herb.png", "image/png", 422, "Wybierz plik z logo"),
        # just over the file limit, and far over the request limit (refused before reading)
        (
            lambda: PNG_SIGNATURE + b"\0" * (1024 * 1024),
            "herb.png",
            "image/png",
            413,
            "najwyżej 1 MB",
        ),
        (lambda: b"\0" * (3 * 1024 * 1024), "herb.png", "image/png", 413, "najwyżej 1 MB"),
    ],
    ids=[
        "svg",
        "svg-named-png",
        "gif",
        "gif-named-png",
        "text-named-png",
        "truncated-png",
        "too-wide",
        "decompression-bomb",
        "too-many-pixels",
        "photo-too-big-as-png",
        "empty",
        "file-over-1-mb",
        "request-over-limit",
    ],
)
def test_refused_logo_uploads_store_nothing(
    two_offices, logged_in, in_office, make_upload, filename, mimetype, status, message
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = _upload_logo(admin, make_upload(), filename, mimetype)
    assert response.status_code == status
    assert message in _text(response)
    with in_office(wolomin) as tenant:
        assert tenant.logo is None and tenant.logo_mime_type is None
    assert _audit(wolomin, in_office, "office.logo") == []


def test_a_refused_upload_keeps_the_current_logo(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    assert _upload_logo(admin, _image_bytes("PNG", size=(100, 80))).status_code == 302
    with in_office(wolomin) as tenant:
        current = tenant.logo
    assert _upload_logo(admin, SVG).status_code == 422
    with in_office(wolomin) as tenant:
        assert tenant.logo == current


def test_logo_upload_needs_a_csrf_token(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    response = admin.post(
        "/panel/urzad/logo",
        data={"logo": (io.BytesIO(_image_bytes("PNG")), "herb.png", "image/png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    with in_office(wolomin) as tenant:
        assert tenant.logo is None


def test_logo_can_be_removed_and_the_removal_is_audited(
    two_offices, logged_in, client_for, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    assert _upload_logo(admin, _image_bytes("JPEG", size=(120, 60))).status_code == 302
    assert client_for(wolomin).get("/logo").status_code == 200
    response = _form_post(admin, "/panel/urzad/logo/usun", form_page="/panel/urzad")
    assert response.status_code == 302
    assert client_for(wolomin).get("/logo").status_code == 404
    with in_office(wolomin) as tenant:
        assert tenant.logo is None and tenant.logo_mime_type is None
    [upload] = _audit(wolomin, in_office, "office.logo")
    [removal] = _audit(wolomin, in_office, "office.logo_remove")
    # each change first made (or reused) the pre-change report, which its entry names
    upload_report = upload.after.pop("pre_change_report_id")
    assert removal.before == upload.after
    assert removal.after == {"pre_change_report_id": upload_report}


# -- departments -------------------------------------------------------------------------------


def _department_id(office, in_office, name: str) -> int:
    with in_office(office):
        return db.session.scalar(select(Department.id).where(Department.name == name))


def _survey_departments(client) -> list[str]:
    page = client.get("/").get_data(as_text=True)
    select_html = page.split('<select id="q-wydzial"', 1)[1].split("</select>", 1)[0]
    return [html.unescape(n) for n in re.findall(r'<option value="\d+"[^>]*>([^<]+)<', select_html)]


def test_admin_adds_renames_deactivates_and_reactivates_a_department(
    two_offices, logged_in, client_for, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    resident = client_for(wolomin)

    assert _form_post(admin, "/panel/wydzialy", name="  Straż   Miejska ").status_code == 302
    assert _survey_departments(resident)[-1] == "Straż Miejska"
    department_id = _department_id(wolomin, in_office, "Straż Miejska")

    path = f"/panel/wydzialy/{department_id}"
    assert _form_post(admin, path, name="Straż Miejska i Monitoring").status_code == 302
    assert "Straż Miejska i Monitoring" in _survey_departments(resident)

    response = _form_post(admin, f"{path}/stan", form_page=path, aktywny="nie")
    assert response.status_code == 302
    assert "Straż Miejska i Monitoring" not in _survey_departments(resident)
    assert "wyłączony" in _text(admin.get("/panel/wydzialy"))

    assert _form_post(admin, f"{path}/stan", form_page=path, aktywny="tak").status_code == 302
    assert "Straż Miejska i Monitoring" in _survey_departments(resident)

    created, renamed, deactivated, reactivated = (
        _audit(wolomin, in_office, action)
        for action in (
            "department.create",
            "department.rename",
            "department.deactivate",
            "department.reactivate",
        )
    )
    assert created[0].after == {"name": "Straż Miejska"}
    # Renaming and deactivating first made a pre-change report each (issue 5).
    rename_report = renamed[0].after.pop("pre_change_report_id")
    deactivate_report = deactivated[0].after.pop("pre_change_report_id")
    with in_office(wolomin):
        kinds = dict(db.session.execute(select(Report.id, Report.kind)).all())
    assert kinds == {rename_report: "pre_change", deactivate_report: "pre_change"}
    assert (renamed[0].before, renamed[0].after) == (
        {"name": "Straż Miejska"},
        {"name": "Straż Miejska i Monitoring"},
    )
    assert (deactivated[0].before, deactivated[0].after) == (
        {"is_active": True},
        {"is_active": False},
    )
    assert reactivated[0].after == {"is_active": True}
    assert {entry.object_id for entry in created + renamed + deactivated} == {department_id}
    # the other office's survey never saw it
    assert "Straż Miejska" not in " ".join(_survey_departments(client_for(sierpc)))


@pytest.mark.parametrize("name", ["Urząd Stanu Cywilnego", "urząd stanu cywilnego"])
def test_duplicate_department_name_is_refused_when_adding_or_renaming(
    two_offices, logged_in, in_office, name
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    added = _form_post(admin, "/panel/wydzialy", name=name)
    assert added.status_code == 422
    assert "Wydział „" in _text(added) and "już istnieje w tym urzędzie" in _text(added)

    other_id = _department_id(wolomin, in_office, "Biuro Obsługi Mieszkańców")
    renamed = _form_post(admin, f"/panel/wydzialy/{other_id}", name=name)
    assert renamed.status_code == 422
    assert "już istnieje w tym urzędzie" in _text(renamed)
    with in_office(wolomin):
        assert _count(Department, name="Urząd Stanu Cywilnego") == 1
        assert db.session.get(Department, other_id).name == "Biuro Obsługi Mieszkańców"
    assert _audit(wolomin, in_office, "department.create") == []
    assert _audit(wolomin, in_office, "department.rename") == []


def test_the_same_department_name_is_fine_in_another_office(two_offices, logged_in, in_office):
    wolomin, sierpc = two_offices
    assert (
        _form_post(logged_in(wolomin), "/panel/wydzialy", name="Straż Miejska").status_code == 302
    )
    assert _form_post(logged_in(sierpc), "/panel/wydzialy", name="Straż Miejska").status_code == 302
    for office in two_offices:
        with in_office(office):
            assert _count(Department, name="Straż Miejska") == 1


def test_department_without_responses_can_be_deleted(two_offices, logged_in, in_office):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    department_id = _department_id(wolomin, in_office, "Wydział Ochrony Środowiska")
    path = f"/panel/wydzialy/{department_id}"
    assert "Usuń wydział" in _text(admin.get(path))
    assert _form_post(admin, f"{path}/usun", form_page=path).status_code == 302
    with in_office(wolomin):
        assert db.session.get(Department, department_id) is None
    [entry] = _audit(wolomin, in_office, "department.delete")
    assert entry.before == {"name": "Wydział Ochrony Środowiska", "is_active": True}


def test_department_with_responses_is_never_deleted(
    two_offices, logged_in, client_for, complete_answers, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    department_id = _department_id(wolomin, in_office, "Wydział Ochrony Środowiska")
    resident = client_for(wolomin)
    form = {**resident.survey_form(), **complete_answers(department_id)}
    assert resident.post("/", data=form).status_code == 303

    path = f"/panel/wydzialy/{department_id}"
    page = _text(admin.get(path))
    assert "Usuń wydział" not in page and "nie można usunąć" in page
    response = _form_post(admin, f"{path}/usun", form_page=path)
    assert response.status_code == 409
    assert "ma już odpowiedzi" in _text(response)
    with in_office(wolomin):
        assert db.session.get(Department, department_id) is not None
    assert _audit(wolomin, in_office, "department.delete") == []


def test_a_duplicate_or_a_response_arriving_meanwhile_is_refused_not_a_500(
    two_offices, logged_in, client_for, complete_answers, in_office, monkeypatch
):
    """The checks run before the change; the database constraints still hold between the two."""
    from tenants.office import services as office

    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    # another admin saved the same name between our check and our insert
    monkeypatch.setattr(office, "_check_department_name", lambda name, keep_id=None: name)
    response = _form_post(admin, "/panel/wydzialy", name="Urząd Stanu Cywilnego")
    assert response.status_code == 422
    assert "już istnieje w tym urzędzie" in _text(response)

    # a resident named the department between our check and our delete
    department_id = _department_id(wolomin, in_office, "Wydział Ochrony Środowiska")
    resident = client_for(wolomin)
    assert (
        resident.post("/", data={**resident.survey_form(), **complete_answers(department_id)})
    ).status_code == 303
    monkeypatch.setattr(office, "department_has_responses", lambda department_id: False)
    path = f"/panel/wydzialy/{department_id}"
    response = _form_post(admin, f"{path}/usun", form_page=path)
    assert response.status_code == 409
    assert "ma już odpowiedzi" in _text(response)
    with in_office(wolomin):
        assert db.session.get(Department, department_id) is not None
        assert _count(Department, name="Urząd Stanu Cywilnego") == 1
    assert _audit(wolomin, in_office, "department.create") == []
    assert _audit(wolomin, in_office, "department.delete") == []


def test_departments_can_be_moved_up_and_down_the_residents_list(
    two_offices, logged_in, client_for, in_office
):
    wolomin, _ = two_offices
    admin = logged_in(wolomin)
    before = _survey_departments(client_for(wolomin))
    second = _department_id(wolomin, in_office, before[1])
    path = f"/panel/wydzialy/{second}/przesun"
    assert _form_post(admin, path, form_page="/panel/wydzialy", kierunek="gora").status_code == 302
    assert _survey_departments(client_for(wolomin)) == [before[1], before[0], *before[2:]]
    assert _audit(wolomin, in_office, "department.reorder")[0].after == {"position": 1}


def test_another_offices_department_is_404_by_url_and_refused_by_form(
    two_offices, logged_in, in_office
):
    wolomin, sierpc = two_offices
    admin = logged_in(wolomin)
    theirs = _department_id(sierpc, in_office, "Urząd Stanu Cywilnego")
    path = f"/panel/wydzialy/{theirs}"
    assert admin.get(path).status_code == 404
    token = csrf_token_of(admin.get("/panel/wydzialy").get_data(as_text=True))
    for action, fields in [
        ("", {"name": "Przejęty"}),
        ("/stan", {"aktywny": "nie"}),
        ("/usun", {}),
        ("/przesun", {"kierunek": "gora"}),
    ]:
        response = admin.post(path + action, data={"csrf_token": token, **fields})
        assert response.status_code == 404, action
    # by form: a paper survey naming the other office's department
    paper = _paper_form(admin, date(2026, 1, 15), {"q-wydzial": str(theirs)})
    response = admin.post("/panel/ankieta-papierowa", data=paper)
    assert response.status_code == 422
    assert "Wybierz wydział z listy." in _text(response)
    with in_office(sierpc):
        department = db.session.get(Department, theirs)
        assert (department.name, department.is_active) == ("Urząd Stanu Cywilnego", True)
    with in_office(wolomin):
        assert _count(Response) == 0


# -- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/panel/urzad"),
        ("post", "/panel/urzad"),
        ("post", "/panel/urzad/logo"),
        ("post", "/panel/urzad/logo/usun"),
        ("get", "/panel/wydzialy"),
        ("post", "/panel/wydzialy"),
        ("get", "/panel/wydzialy/{department_id}"),
        ("post", "/panel/wydzialy/{department_id}/stan"),
        ("post", "/panel/wydzialy/{department_id}/usun"),
        ("post", "/panel/wydzialy/{department_id}/przesun"),
    ],
)
def test_analysts_get_403_on_office_and_department_pages(
    two_offices, logged_in, in_office, method, path
):
    wolomin, _ = two_offices
    analyst = logged_in(wolomin, "analyst")
    department_id = _department_id(wolomin, in_office, "Urząd Stanu Cywilnego")
    token = csrf_token_of(analyst.get("/panel/ankieta-papierowa").get_data(as_text=True))
    url = path.format(department_id=department_id)
    fields = {"csrf_token": token, "name": "X", "aktywny": "nie", "kierunek": "dol"}
    response = analyst.get(url) if method == "get" else analyst.post(url, data=fields)
    assert response.status_code == 403
    with in_office(wolomin):
        assert _count(Department, is_active=True) == 7
        assert _count(AuditEntry) == 1  # the analyst's invitation, nothing else


def test_signed_out_visitor_is_sent_to_login(two_offices, client_for):
    for path in ("/panel/urzad", "/panel/wydzialy", "/panel/ankieta-papierowa"):
        response = client_for(two_offices[0]).get(path)
        assert response.status_code == 302
        assert "/panel/login" in response.headers["Location"]
