"""Exports too large to stream while the staff member waits: asked for as a row, made by a
worker, the file kept in the row and a link e-mailed when it is ready.

The same pattern as a report (``tenants.reports.services``): ``request_export`` writes the
row (the outbox), the task is sent after the commit, ``claim`` lets only one worker make it,
and the sweeper sends again what the broker lost or a dead worker left running. The file is
made by the same writer as a streamed export (``tenants.exports.writer``), from the filters the
page had, re-read by the same parsers: a background file holds what the page showed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from saas_platform.core.db import db, utcnow
from saas_platform.core.spreadsheets import Cell, Export
from saas_platform.core.tenancy import TenantNotSet, current_tenant
from saas_platform.core.tenancy.isolation import ensure_tenant_setting
from saas_platform.core.tenancy.models import Tenant
from tenants.accounts.models import StaffUser
from tenants.exports.models import ExportJob
from tenants.exports.writer import build_export, export_filename, file_in_chunks
from tenants.survey.filters import CUSTOM_PERIOD, ChosenFilters, parse_filters
from tenants.survey.models import Response
from tenants.survey.response_search import parse_search
from tenants.survey.responses import ResponseSearch, filtered_conditions


class ExportError(ValueError):
    """The export cannot be made as asked (its filters no longer fit the office's data)."""


def _office() -> Tenant:
    office = current_tenant._get_current_object()
    if office is None:  # a request on an office's host or a task with its tenant_id sets it
        raise TenantNotSet("an export is made for one office")
    return office


def matching_responses(chosen: ChosenFilters, search: ResponseSearch) -> int:
    """How many responses the export of these filters holds."""
    where = filtered_conditions(chosen.filters, search)
    return db.session.scalar(select(func.count(Response.id)).where(*where)) or 0


def over_threshold(chosen: ChosenFilters, search: ResponseSearch, file_format: str) -> bool:
    """Whether the export goes to a worker: more than the threshold responses match the
    filters that read the response's own columns (period, department, channel, version,
    score, low rating). The comment conditions are left out and counting stops past the
    threshold, so the request deciding it costs the same at a million responses as at the
    threshold; an export that only its comment search makes small is made by a worker too."""
    threshold = background_threshold(file_format)
    where = filtered_conditions(chosen.filters, search, comments=False)
    matching = select(Response.id).where(*where).limit(threshold + 1).subquery()
    return (db.session.scalar(select(func.count()).select_from(matching)) or 0) > threshold


def background_threshold(file_format: str) -> int:
    """An export of more responses than this is made by a worker rather than streamed: a CSV
    streams as it is read, an XLSX is written whole first, so its limit is lower."""
    threshold = int(current_app.config["EXPORT_BACKGROUND_THRESHOLD"])
    if file_format == "xlsx":
        return min(threshold, int(current_app.config["EXPORT_XLSX_BACKGROUND_THRESHOLD"]))
    return threshold


def job_args(chosen: ChosenFilters, search_args: dict[str, str]) -> dict[str, str]:
    """The query-string arguments that reproduce the export later: a period such as "this
    year" becomes the dates it meant when the export was asked for."""
    filters = chosen.filters
    period = {
        "okres": CUSTOM_PERIOD,
        "od": filters.date_from.isoformat(),
        "do": filters.date_to.isoformat(),
    }
    return {**chosen.args, **period, **search_args}


def request_export(
    file_format: str, args: dict[str, str], requested_by_id: int | None
) -> tuple[ExportJob, bool]:
    """The row of an export to make in the background, and whether it is new: the same export
    (format and filters) that the same member already waits for is reused, not made twice."""
    waiting = db.session.scalars(
        select(ExportJob)
        .where(
            ExportJob.format == file_format,
            ExportJob.requested_by_id == requested_by_id,
            ExportJob.status.in_(("queued", "running")),
        )
        .order_by(ExportJob.id.desc())
    )
    for job in waiting:
        if job.args == args:
            return job, False
    office = _office()
    chosen = parse_filters(args, office.today(), requester_scope(requested_by_id))
    job = ExportJob(
        format=file_format,
        args=args,
        filename=export_filename(office.slug, chosen.filters, file_format),
        total=0,  # counted by the worker (count_all)
        requested_by_id=requested_by_id,
        email_status="pending" if requested_by_id else "none",
    )
    db.session.add(job)
    db.session.flush()
    return job, True


def requester_scope(requested_by_id: int | None) -> frozenset[int] | None:
    """What the member who asked for an export may read, as it is when the file is made (a
    manager's departments; None for the whole office). A member removed since, or one whose
    account is gone, gets nothing rather than everything."""
    if requested_by_id is None:  # asked for by no member (a script): the whole office
        return None
    user = db.session.get(StaffUser, requested_by_id)
    if user is None or not user.is_active:
        return frozenset()
    return user.department_scope


def visible_to(job: ExportJob, user: StaffUser) -> bool:
    """Whether a member may see an export: a manager only their own, the others any."""
    return user.department_scope is None or job.requested_by_id == user.id


def claim(job_id: int) -> ExportJob | None:
    """Take a queued export for making, atomically: of two workers handed the same export
    (the sweeper re-sent it), only one gets it. None when it is not queued."""
    claimed: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]  # an UPDATE's
        update(ExportJob)
        .where(ExportJob.id == job_id, ExportJob.status == "queued")
        .values(
            status="running",
            started_at=utcnow(),
            attempts=ExportJob.attempts + 1,
            rows_done=0,
            error="",
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    job = db.session.get(ExportJob, job_id)
    if job is not None:
        db.session.refresh(job)
    return job


def _filters_of(job: ExportJob) -> tuple[ChosenFilters, ResponseSearch]:
    chosen = parse_filters(job.args, _office().today(), requester_scope(job.requested_by_id))
    searched = parse_search(job.args)
    errors = {**chosen.errors, **searched.errors}
    if errors:
        raise ExportError(" ".join(errors.values()))
    return chosen, searched.search


def count_all(job: ExportJob) -> None:
    """The whole count of the export's responses, for its progress (the request counted only
    up to the threshold). Raises ``ExportError`` when its filters no longer fit."""
    job.total = matching_responses(*_filters_of(job))


def make_file(job: ExportJob) -> bytes:
    """The file of an export row, reporting progress batch by batch (see ``_progress``)."""
    chosen, search = _filters_of(job)
    export = build_export(chosen.filters, search, _office().timezone)
    counted = Export(export.header, _progress(job.id, export.batches))
    return b"".join(file_in_chunks(counted, job.format))


def _progress(job_id: int, batches: Iterator[list[list[Cell]]]) -> Iterator[list[list[Cell]]]:
    """The batches, with the rows made so far written to the row after each one.

    In a transaction of its own: the export reads through a server-side cursor that the
    task's own transaction must keep open until the end. PostgreSQL only (the embedded
    SQLite mode makes small exports in-process, and SQLite would lock against the reader)."""
    done = 0
    for batch in batches:
        yield batch
        done += len(batch)
        if db.engine.dialect.name == "postgresql":
            with Session(db.engine) as session, session.begin():
                ensure_tenant_setting(session)
                session.execute(
                    update(ExportJob)
                    .where(ExportJob.id == job_id)
                    .values(rows_done=done)
                    .execution_options(synchronize_session=False)
                )


def store_file(job: ExportJob, content: bytes, rows: int | None = None) -> None:
    """Keep the finished file with its size and sha256, and mark the export done."""
    job.content = content
    job.content_size = len(content)
    job.content_sha256 = hashlib.sha256(content).hexdigest()
    job.status = "done"
    if rows is not None:
        job.rows_done = rows
    job.finished_at = utcnow()


def mark_failed(job: ExportJob, error: Exception) -> None:
    """Record why the export could not be made."""
    job.status = "failed"
    job.error = f"{type(error).__name__}: {error}"[:2000]
    job.finished_at = utcnow()


def stuck_jobs(now: datetime) -> list[ExportJob]:
    """Exports of the current office waiting too long: queued (the broker lost them) or
    running past the timeout (the worker died). The reports' limits apply."""
    config = current_app.config
    queued_before = now - timedelta(seconds=config["REPORT_QUEUED_GRACE_SECONDS"])
    running_before = now - timedelta(seconds=config["REPORT_RUNNING_TIMEOUT_SECONDS"])
    return list(
        db.session.scalars(
            select(ExportJob).where(
                ((ExportJob.status == "queued") & (ExportJob.queued_at < queued_before))
                | ((ExportJob.status == "running") & (ExportJob.started_at < running_before))
            )
        )
    )
