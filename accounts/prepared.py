"""Queries on hot paths whose SQL is compiled once per process and then only run with new values.

Compiling a queryset (joins, selected columns, quoting) costs the ORM about ten times what PostgreSQL
takes to answer a lookup by primary key: 1.4 ms against 0.2 ms for the booking link's slot with its
event, 選考会 and stages. The booking pages run such lookups on every request, and under a booking rush
that compiling is most of a refused booking's time. ``PreparedQuery`` builds the queryset once with
stand-in values, keeps its SQL and the compiler's description of the columns, and afterwards executes
that SQL with the real values and makes the instances exactly as Django's ``ModelIterable`` does
(``select_related`` objects and annotations included).

On PostgreSQL the statement is also prepared on the server (``DATABASE_PREPARED_STATEMENTS``, on by
default): planning the booking link's invitation and slot cost PostgreSQL 1.2 ms a request against 0.2 ms
to run them, and a prepared statement is planned once per connection (PostgreSQL keeps a generic plan
once it is no worse than planning each time). The statement goes through Django's cursor wrapper, so it is
logged and counted like any other; only its binding differs (the server's, as psycopg's ``Cursor``).

Only for querysets whose SQL does not depend on the values: plain comparisons with the placeholders
(``pk=``, ``company_id=``, ``OuterRef`` subqueries), no ``__in`` lists, nothing that reads the clock.
A placeholder that does not reach the SQL as a parameter (unchanged) is refused when the query is first
prepared; one may be used more than once.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Field, Model, QuerySet
from django.db.models.query import get_related_populators  # type: ignore[attr-defined]  # not in the stubs
from django.db.models.sql.compiler import SQLCompiler
from django.db.transaction import TransactionManagementError

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # the constants; a placeholder's position holds its name (a _Slot)
    compiler: SQLCompiler
    init_list: list[str]
    fields_start: int
    fields_end: int
    converters: dict[int, tuple[list[Any], Any]]
    for_update: bool


@dataclass(frozen=True)
class _Slot:
    name: str


class PreparedQuery(Generic[M]):
    """``build(**placeholders)`` returns the queryset; ``fetch(**values)`` runs it with ``values``.

    ``samples`` gives, for each placeholder, a value of its type that the real values never take (so
    it can be found among the compiled parameters), e.g. ``PreparedQuery(build, slot_id=-1)``."""

    def __init__(self, build: Callable[..., QuerySet[M]], **samples: Any) -> None:
        self._build = build
        self._samples = samples
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def fetch(self, *, using: str = "default", **values: Any) -> list[M]:
        if set(values) != set(self._samples):
            raise TypeError(f"expected the values {sorted(self._samples)}, got {sorted(values)}")
        if any(_beyond_64_bits(value) for value in values.values()):
            return []  # no integer column holds it (the ORM answers such a lookup with no rows too)
        compiled = self._prepared(using)
        params = [values[p.name] if isinstance(p, _Slot) else p for p in compiled.params]
        connection = connections[using]
        if compiled.for_update and connection.features.has_select_for_update and connection.get_autocommit():
            # As Django checks when it compiles: a row lock outside a transaction would end at once.
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows: list[Any] = cursor.fetchall()
        return self._instances(compiled, rows, using)

    def first(self, *, using: str = "default", **values: Any) -> M | None:
        found = self.fetch(using=using, **values)
        return found[0] if found else None

    def _prepared(self, using: str) -> _Compiled:
        key = (using, connections[using].vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(using)
                self._compiled[key] = compiled
        return compiled

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build(**self._samples)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        by_value = {_key(value): name for name, value in self._samples.items()}
        placed = tuple(_Slot(by_value[_key(p)]) if _key(p) in by_value else p for p in params)
        found = {p.name for p in placed if isinstance(p, _Slot)}
        if found != set(self._samples):
            raise ValueError(
                f"every placeholder must reach the SQL as a parameter of its own: {sorted(found)} "
                f"for {sorted(self._samples)}"
            )
        klass_info = compiler.klass_info
        if klass_info is None:
            raise ValueError("only querysets of model instances can be prepared")
        columns = [column[0] for column in compiler.select[: compiler.col_count]]
        if compiler.has_composite_fields(columns):
            raise ValueError("composite fields are not supported")
        select_fields = klass_info["select_fields"]
        start, end = select_fields[0], select_fields[-1] + 1
        init_list = [column[0].target.attname for column in compiler.select[start:end]]
        converters = compiler.get_converters(columns)
        for_update = bool(queryset.query.select_for_update)
        return _Compiled(sql, placed, compiler, init_list, start, end, converters, for_update)

    @staticmethod
    def _instances(compiled: _Compiled, rows: list[Any], using: str) -> list[M]:
        """The rows as instances, as Django's ModelIterable makes them."""
        compiler = compiled.compiler
        klass_info = compiler.klass_info
        assert klass_info is not None  # checked when compiled
        model = klass_info["model"]
        populators = get_related_populators(klass_info, compiler.select, using)
        annotations = compiler.annotation_col_map
        result = []
        if compiled.converters:
            rows = _converted(rows, compiled.converters, connections[using])
        for row in rows:
            obj = model.from_db(using, compiled.init_list, row[compiled.fields_start : compiled.fields_end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in annotations.items():
                setattr(obj, name, row[position])
            result.append(obj)
        return result


def _cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor whose statements PostgreSQL prepares (named, planned once per connection), else Django's."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
    from psycopg import adapters
    from psycopg.pq import Format

    # As BaseDatabaseWrapper._cursor and the backend's create_cursor, with a preparing cursor.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors:
        raw = _preparing_cursor_class()(connection.connection)
        tzloader = connection.connection.adapters.get_loader(adapters.types["timestamptz"].oid, Format.TEXT)
        if connection.timezone != tzloader.timezone:
            register_tzloader(connection.timezone, raw)
        connection.validate_thread_sharing()
        if connection.queries_logged:
            return _PreparedDebugWrapper(raw, connection)
        return connection.make_cursor(raw)


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs the statement with its values in place, as Django logs its client-bound ones (Django's backend
    reads the text to log from the cursor, and a server-bound cursor holds none)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


@functools.cache
def _preparing_cursor_class() -> type:
    from django.db.backends.postgresql.base import ServerBindingCursor  # type: ignore[attr-defined]

    class PreparingCursor(ServerBindingCursor):
        """Django's server-binding cursor, asking psycopg to prepare each statement it runs (by count,
        psycopg prepares nothing: settings put its threshold beyond reach). psycopg keeps the names per
        connection and deallocates the least recently used beyond ``prepared_max`` (100)."""

        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            kwargs.setdefault("prepare", True)
            return super().execute(query, params, **kwargs)

    return PreparingCursor


def _converted(rows: list[Any], converters: dict[int, tuple[list[Any], Any]], connection: Any) -> list[Any]:
    """The rows with the fields' database converters applied (SQLCompiler.apply_converters, with this
    thread's connection)."""
    converted = []
    for row in map(list, rows):
        for position, (functions, expression) in converters.items():
            value = row[position]
            for function in functions:
                value = function(value, expression, connection)
            row[position] = value
        converted.append(row)
    return converted


def _beyond_64_bits(value: Any) -> bool:
    return isinstance(value, int) and not -(2**63) <= value < 2**63


def _key(value: Any) -> tuple[type, Any]:
    try:
        hash(value)
    except TypeError:
        return (type(value), id(value))  # unhashable (a list): a constant, never a placeholder
    return (type(value), value)


def quoted_column(model: type[Model], name: str) -> str:
    """The quoted column of one of ``model``'s concrete fields, for a hot-path statement written out from
    the model (``booking.seats``, ``applicants.services``) instead of compiled by the ORM on every call."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column  # concrete fields only
    return connections["default"].ops.quote_name(field.column)
