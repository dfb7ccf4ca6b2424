"""How the audit log names what an entry touched: "użytkownik Anna Kowalska", "wersja ankiety
nr 3", the office by its name; and the Polish names of the values' fields.

Each area registers the object types it records (``register_object_type``: a noun and a
function that names a batch of ids, read in the current office's scope) and the fields it
writes (``register_fields``), from its ``init_app``; the audit area knows no other area. Ids
stay out of the pages: they are in the CSV export only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenants.audit.labels import action_label

# ids -> {id: name}; ids the function cannot find (deleted rows) are left out.
Namer = Callable[[set[int]], dict[int, str]]


@dataclass(frozen=True)
class ObjectType:
    noun: str
    namer: Namer | None


_TYPES: dict[str, ObjectType] = {}
_FIELDS: dict[str, str] = {}
# A field whose value is the id of an object of this type (``pre_change_report_id``).
_REFERENCES: dict[str, str] = {}
# A field whose stored values are codes staff read by a label ("role": "manager").
_VALUE_LABELS: dict[str, dict[str, str]] = {}


def register_object_type(object_type: str, noun: str, namer: Namer | None = None) -> None:
    """Name objects of ``object_type``: ``noun`` alone, or what ``namer`` says of each id."""
    known = _TYPES.setdefault(object_type, ObjectType(noun, namer))
    if known.noun != noun:
        raise ValueError(f"audit object type {object_type!r} is already named {known.noun!r}")


def register_fields(labels: Mapping[str, str], references: Mapping[str, str] | None = None) -> None:
    """The Polish names of fields in the values before and after, and which hold an id of
    another object (shown by its name)."""
    for name, label in labels.items():
        known = _FIELDS.setdefault(name, label)
        if known != label:
            raise ValueError(f"audit field {name!r} is already named {known!r}")
    _REFERENCES.update(references or {})


def register_value_labels(field: str, labels: Mapping[str, str]) -> None:
    """The Polish labels of the coded values a field holds (a role's name for its code)."""
    _VALUE_LABELS.setdefault(field, {}).update(labels)


def field_label(name: str) -> str:
    """The Polish name of a field (the field itself when nobody named it)."""
    return _FIELDS.get(name, name)


def object_noun(object_type: str) -> str:
    """The Polish noun for an object type ("wydział")."""
    known = _TYPES.get(object_type)
    return known.noun if known else object_type


class ObjectNames:
    """The names of every object a page of entries refers to, found with one query per type."""

    def __init__(self, entries: Iterable[Any]) -> None:
        wanted: dict[str, set[int]] = {}
        for entry in entries:
            if entry.object_id is not None:
                wanted.setdefault(entry.object_type, set()).add(entry.object_id)
            for values in (entry.before or {}, entry.after or {}):
                for field, value in values.items():
                    if field in _REFERENCES and isinstance(value, int):
                        wanted.setdefault(_REFERENCES[field], set()).add(value)
        self._names: dict[tuple[str, int], str] = {}
        for object_type, ids in wanted.items():
            known = _TYPES.get(object_type)
            if known is None or known.namer is None:
                continue
            for object_id, name in known.namer(ids).items():
                self._names[(object_type, object_id)] = name

    def of(self, object_type: str, object_id: int | None, fallback_name: Any = None) -> str:
        """What an entry touched, by name; a deleted one by the name the entry kept, or its
        noun alone."""
        noun = object_noun(object_type)
        if object_id is not None and (object_type, object_id) in self._names:
            return self._names[(object_type, object_id)]
        if isinstance(fallback_name, str) and fallback_name:
            return f"{noun} „{fallback_name}”"
        return noun

    def of_entry(self, entry: Any) -> str:
        kept = (entry.before or {}).get("name") or (entry.after or {}).get("name")
        return self.of(entry.object_type, entry.object_id, kept)

    def value(self, field: str, value: Any) -> str:
        """A value before or after, as staff read it."""
        if field in _REFERENCES and isinstance(value, int):
            return self.of(_REFERENCES[field], value)
        if isinstance(value, str) and value in _VALUE_LABELS.get(field, {}):
            return _VALUE_LABELS[field][value]
        if field == "fields" and isinstance(value, list):
            return ", ".join(field_label(str(item)) for item in value)
        if isinstance(value, str) and action_label(value) != value:  # a change's reason
            return action_label(value)
        return readable_value(value)


def readable_value(value: Any) -> str:
    """Booleans as tak/nie, lists joined, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "tak" if value else "nie"
    if isinstance(value, list):
        return ", ".join(readable_value(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{field_label(k)}: {readable_value(v)}" for k, v in value.items())
    return str(value)
