"""The department manager role: an account with the departments it leads (at least one, of
its own office), chosen by an admin, an operator or the command line; each change audited with
the role's and the departments' names; the links under row-level security; a merged
department's managers follow its responses, and one with managers cannot be deleted."""

from __future__ import annotations

import html

import psycopg2
import pytest
from sqlalchemy import select

from saas_platform.core.db import db
from tenants.accounts import services as staff
from tenants.accounts.models import StaffDepartment, StaffUser
from tenants.audit.models import AuditEntry
from tenants.office import services as office
from tenants.survey.models import Department
from tests.conftest import APP_ROLE, PG_HOST, csrf_token_of


def _departments(in_office, office_) -> list[int]:
    with in_office(office_):
        return list(db.session.scalars(select(Department.id).order_by(Department.position)))


def _post(client, path: str, data: dict):
    token = csrf_token_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_an_admin_invites_a_manager_with_departments_from_the_panel(
    two_offices, logged_in, in_office
):
    wolomin, _ = two_offices
    a, b = _departments(in_office, wolomin)[:2]
    admin = logged_in(wolomin)
    page = admin.get("/panel/uzytkownicy").get_data(as_text=True)
    assert "kierownik wydziału (widzi wyniki swoich wydziałów)" in page
    assert f'name="departments" type="checkbox" value="{a}"' in page
    response = _post(
        admin,
        "/panel/uzytkownicy",
        {"email": "kierownik@wolomin.example", "role": "manager", "departments": [a, b]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_office(wolomin):
        user = db.session.scalar(select(StaffUser).where(StaffUser.role == "manager"))
        assert user.department_scope == frozenset({a, b})
    listing = html.unescape(admin.get("/panel/uzytkownicy").get_data(as_text=True))
    assert "kierownik wydziału (widzi wyniki swoich wydziałów):" in listing


@pytest.mark.parametrize("departments", [[], ["x"], "other office"])
def test_a_manager_without_departments_of_this_office_is_refused_in_polish(
    two_offices, logged_in, in_office, departments
):
    wolomin, sierpc = two_offices
    if departments == "other office":
        departments = _departments(in_office, sierpc)[:1]
    admin = logged_in(wolomin)
    response = _post(
        admin,
        "/panel/uzytkownicy",
        {"email": "kierownik@wolomin.example", "role": "manager", "departments": departments},
    )
    assert response.status_code == 200  # the form again, with the message
    page = html.unescape(response.get_data(as_text=True))
    assert (
        "wymaga co najmniej jednego wydziału" in page
        or "Zaznacz tylko spośród podanych możliwości" in page
    )
    with in_office(wolomin):
        assert db.session.scalar(select(StaffUser).where(StaffUser.role == "manager")) is None


def test_the_service_refuses_another_offices_department(two_offices, in_office):
    wolomin, sierpc = two_offices
    (theirs,) = _departments(in_office, sierpc)[:1]
    with in_office(wolomin), pytest.raises(staff.StaffError, match="Nie ma takiego wydziału"):
        staff.invite("k@wolomin.example", "manager", department_ids=[theirs])


def test_a_role_change_to_manager_is_audited_with_readable_labels(
    two_offices, logged_in, make_staff, in_office
):
    wolomin, _ = two_offices
    a = _departments(in_office, wolomin)[0]
    admin = logged_in(wolomin)
    colleague = make_staff(wolomin, "analyst")
    with in_office(wolomin):
        user_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == colleague))
        a_name = db.session.get(Department, a).name
    path = f"/panel/uzytkownicy/{user_id}"
    refused = _post(admin, path, {"role": "manager", "is_active": "y"})
    assert refused.status_code == 409
    assert "wymaga co najmniej jednego wydziału" in html.unescape(refused.get_data(as_text=True))
    done = _post(admin, path, {"role": "manager", "is_active": "y", "departments": [a]})
    assert done.status_code == 302
    with in_office(wolomin):
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "staff.update")
        ).one()
        assert entry.before == {"role": "analyst", "departments": []}
        assert entry.after == {"role": "manager", "departments": [a_name]}
    page = html.unescape(admin.get(f"/panel/dziennik/{entry.id}").get_data(as_text=True))
    assert "kierownik wydziału (widzi wyniki swoich wydziałów)" in page
    assert "analityk (przegląda wyniki i raporty)" in page
    assert a_name in page
    back = _post(admin, path, {"role": "analyst", "is_active": "y"})
    assert back.status_code == 302
    with in_office(wolomin):
        assert db.session.get(StaffUser, user_id).department_ids == frozenset()


def test_the_cli_invites_a_manager_and_lists_departments(app, two_offices, in_office):
    wolomin, _ = two_offices
    a = _departments(in_office, wolomin)[0]
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["staff", "departments", "--tenant", "wolomin"])
    assert f"{a}\t" in listed.output
    refused = runner.invoke(
        args=["staff", "invite", "--tenant", "wolomin", "--email", "k@w.example", "--role",
              "manager"]
    )  # fmt: skip
    assert refused.exit_code != 0 and "at least one department" in refused.output
    done = runner.invoke(
        args=["staff", "invite", "--tenant", "wolomin", "--email", "k@w.example", "--role",
              "manager", "--department", str(a)]
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    with in_office(wolomin):
        user = db.session.scalar(select(StaffUser).where(StaffUser.email == "k@w.example"))
        assert user.department_scope == frozenset({a})


def test_department_links_are_invisible_to_the_app_role_with_no_office_set(
    database, two_offices, in_office
):
    wolomin, sierpc = two_offices
    for office_ in (wolomin, sierpc):
        first = _departments(in_office, office_)[0]
        with in_office(office_):
            staff.invite(f"k@{office_.slug}.example", "manager", department_ids=[first])
            db.session.commit()
    connection = psycopg2.connect(host=PG_HOST, user=APP_ROLE, dbname=database.name)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM staff_departments")
            assert cursor.fetchone() == (0,)  # no office set: nothing
            cursor.execute("SELECT set_config('app.tenant_id', %s, true)", (str(wolomin.id),))
            cursor.execute("SELECT DISTINCT tenant_id FROM staff_departments")
            assert cursor.fetchall() == [(wolomin.id,)]
    finally:
        connection.close()


def test_a_merged_departments_managers_follow_it_and_one_with_managers_is_not_deleted(
    two_offices, in_office
):
    wolomin, _ = two_offices
    a, b, c = _departments(in_office, wolomin)[:3]
    with in_office(wolomin):
        user, _ = staff.invite("k@wolomin.example", "manager", department_ids=[a])
        db.session.commit()
        user_id = user.id
    with in_office(wolomin):
        office.merge_departments(db.session.get(Department, a), db.session.get(Department, b))
        db.session.commit()
    with in_office(wolomin):
        assert db.session.get(StaffUser, user_id).department_ids == frozenset({a, b})
        with pytest.raises(office.OfficeError, match="kierują osoby z panelu"):
            office.delete_department(db.session.get(Department, b))
        db.session.rollback()
        assert db.session.get(Department, b) is not None
        office.delete_department(db.session.get(Department, c))  # no manager: deleted
        db.session.commit()
        assert db.session.scalars(select(StaffDepartment.department_id)).all() != []
