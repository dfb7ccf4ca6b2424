"""Security review, finding 1: a comment with U+FFFE made the XLSX export answer 500. The text
policy now refuses such input, but rows stored before it (or past it) must still export: the
workbook drops what XML 1.0 forbids."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select, update

from saas_platform.core.db import db
from tenants.survey.models import Answer, Department


def store_past_the_form(office, client_for, complete_answers, in_office) -> None:
    """A response whose comment, and whose department's name, hold characters XML forbids,
    written straight to the database as if stored before the text policy existed."""
    with in_office(office):
        department = db.session.scalars(select(Department).order_by(Department.id)).first()
        department.name = "Wydział\ufffe Podatków"
        db.session.commit()
        department_id = department.id
    client = client_for(office)
    form = {**client.survey_form(), **complete_answers(department_id, comment="placeholder")}
    assert client.post("/", data=form).status_code == 303
    with in_office(office):
        db.session.execute(
            update(Answer)
            .where(Answer.question_key == "komentarz")
            .values(value="Dobra\uffff obsługa\x01, szybko\ufffe")
        )
        db.session.commit()


def test_a_response_stored_with_a_noncharacter_still_exports_as_xlsx(
    two_offices, client_for, complete_answers, in_office, logged_in
):
    wolomin, _ = two_offices
    store_past_the_form(wolomin, client_for, complete_answers, in_office)
    response = logged_in(wolomin).get("/panel/eksport.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True)["Odpowiedzi"]
    header, row = list(sheet.iter_rows(values_only=True))
    assert row[header.index("wydział")] == "Wydział Podatków"
    comment = next(i for i, title in enumerate(header) if title.startswith("komentarz"))
    assert row[comment] == "Dobra obsługa, szybko"
