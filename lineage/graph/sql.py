"""Column lineage read from SQL: which source columns feed each output column, and how.

Producers send the query they ran (the ``sql`` job facet) far more often than column
lineage, and when they do send column lineage it may name a CTE instead of a table (dbt-ol
reports ``customers.customer_id`` for ``with customers as (select * from stg_customers)``).
:func:`analyze` parses the query with sqlglot and follows every output column through CTEs,
subqueries, ``select *`` and set operations down to the tables it reads:

>>> sql = "select c.id, count(o.id) as n from shop.customers c join shop.orders o on o.cid = c.id group by c.id"
>>> found = analyze(sql, "duckdb", {})
>>> sorted((s.table, s.column, s.subtype) for s in found.fields["n"])
[('shop.orders', 'id', 'AGGREGATION')]
>>> sorted((s.table, s.column, s.subtype) for s in found.dataset)
[('shop.customers', 'id', 'GROUP_BY'), ('shop.customers', 'id', 'JOIN'), ('shop.orders', 'cid', 'JOIN')]

Each dependency is DIRECT (the value is copied: IDENTITY, TRANSFORMATION, AGGREGATION) or
INDIRECT (the column decides which rows or values appear: JOIN, FILTER, GROUP_BY, SORT,
WINDOW, CONDITIONAL), as in OpenLineage's column lineage facet. Dataset-wide INDIRECT
dependencies (join keys, filters, grouping, sorting) affect every output column and are
listed once, in ``dataset``.

What cannot be known from the text alone is said, never guessed: a column that more than
one source could hold (an unqualified name with no schema to tell) is listed in
``unresolved`` with its candidates, and ``complete`` is False. ``schemas`` (the columns of
tables, as the event's schema facets tell them) settles most of these and expands
``select *`` over a table.

The result depends on the query, the dialect and the schemas only, so it is cached by
their digest: producers send the same query with every run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

import orjson
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

DIRECT: Final = "DIRECT"
INDIRECT: Final = "INDIRECT"

#: DIRECT subtypes, weakest first: a chain of steps is as strong as its strongest step.
_DIRECT_RANK: Final = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}

#: OpenLineage dialect names (the ``sql`` facet's ``dialect``, or a namespace's scheme)
#: to sqlglot's. Unknown names parse with sqlglot's default dialect.
_DIALECTS: Final = {
    "ansi": None,
    "generic": None,
    "athena": "athena",
    "bigquery": "bigquery",
    "clickhouse": "clickhouse",
    "databricks": "databricks",
    "duckdb": "duckdb",
    "hive": "hive",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "tsql": "tsql",
    "mysql": "mysql",
    "oracle": "oracle",
    "postgres": "postgres",
    "postgresql": "postgres",
    "presto": "presto",
    "redshift": "redshift",
    "snowflake": "snowflake",
    "spark": "spark",
    "sparksql": "spark",
    "sqlite": "sqlite",
    "teradata": "teradata",
    "trino": "trino",
}


def dialect_for(declared: str | None, namespace: str | None = None) -> str | None:
    """sqlglot's dialect for a facet's ``dialect`` or, failing that, a namespace's scheme
    (``duckdb://warehouse.db`` -> ``duckdb``). None means sqlglot's generic dialect."""
    for word in (declared, (namespace or "").split(":", 1)[0]):
        if word:
            found = _DIALECTS.get(word.strip().lower())
            if found is not None:
                return found
    return None


@dataclass(frozen=True, slots=True, order=True)
class Source:
    """One dependency of an output column (or of the whole output) on a table's column.

    ``table`` is the table's dotted name as the query wrote it, unquoted."""

    table: str
    column: str
    type: str
    subtype: str


@dataclass(frozen=True, slots=True)
class Unresolved:
    """A column the query uses that the text alone cannot tie to one table."""

    column: str
    candidates: tuple[str, ...]  # the tables that could hold it
    used_by: str  # the output column, or "*" for a row-level use (join, filter, ...)


@dataclass(frozen=True, slots=True)
class Statement:
    """What one statement of a query writes and reads, column by column.

    ``target`` is the table an INSERT, CREATE ... AS, or MERGE writes (dotted, unquoted),
    or None for a bare SELECT (dbt models: the producer names the output).
    """

    target: str | None
    tables: tuple[str, ...]
    fields: Mapping[str, tuple[Source, ...]]
    dataset: tuple[Source, ...]
    unresolved: tuple[Unresolved, ...]
    #: False when some output column's sources could not be found (a ``select *`` over a
    #: table whose columns no schema gave, an ambiguous name).
    complete: bool
    #: The names the query gives to row sources that are not tables (CTEs, aliases of
    #: subqueries), lower-cased: a producer's column lineage naming one means the SQL.
    names: frozenset[str] = frozenset()
    #: Identifies this statement's analysis (query, dialect, schemas, position): equal keys,
    #: equal statements. Lets callers cache what they derive from it.
    key: bytes = b""


@dataclass(frozen=True, slots=True)
class SqlLineage:
    """The column lineage of a whole query (one or more statements)."""

    statements: tuple[Statement, ...] = ()
    error: str | None = None

    def for_output(self, name: str, single_output: bool) -> Statement | None:
        """The statement that writes ``name`` (a dataset's dotted name): one whose target's
        parts end ``name``'s, or, when the event has one output, the only bare SELECT."""
        wanted = _parts(name)
        for statement in self.statements:
            if statement.target is not None and _suffix_match(_parts(statement.target), wanted):
                return statement
        selects = [s for s in self.statements if s.target is None]
        if single_output and len(selects) == 1:
            return selects[0]
        return None

    @property
    def fields(self) -> Mapping[str, tuple[Source, ...]]:
        """The fields of the only statement that produces rows (for examples and tests)."""
        return self._only().fields

    @property
    def dataset(self) -> tuple[Source, ...]:
        return self._only().dataset

    def _only(self) -> Statement:
        if len(self.statements) != 1:
            raise ValueError(f"the query has {len(self.statements)} statements that produce rows")
        return self.statements[0]


_CACHE: dict[bytes, SqlLineage] = {}
_CACHE_MAX: Final = 2048


def analyze(
    query: str,
    dialect: str | None,
    schemas: Mapping[str, Sequence[str]],
    *,
    output_columns: Mapping[str, Sequence[str]] | None = None,
) -> SqlLineage:
    """The column lineage of ``query``.

    ``schemas`` maps dotted table names (as datasets are named; matched to the query's
    table references by their last parts, case-insensitively) to their columns;
    ``output_columns`` does the same for the tables written, so that a final ``select *``
    over an unknown table can still be followed column by column. Never raises for a
    query it cannot read: the answer then has no statements and says why in ``error``.
    """
    key = hashlib.blake2b(
        orjson.dumps(
            [query, dialect, sorted(schemas.items()), sorted((output_columns or {}).items())]
        ),
        digest_size=16,
    ).digest()
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        found = _analyze(query, dialect, schemas, output_columns or {})
        found = SqlLineage(
            tuple(replace(st, key=key + i.to_bytes(4)) for i, st in enumerate(found.statements)),
            found.error,
        )
        _CACHE[key] = found
    return found


def _analyze(
    query: str,
    dialect: str | None,
    schemas: Mapping[str, Sequence[str]],
    output_columns: Mapping[str, Sequence[str]],
) -> SqlLineage:
    try:
        parsed = [s for s in sqlglot.parse(query, read=dialect) if s is not None]
    except SqlglotError as e:
        return SqlLineage(error=f"the SQL could not be parsed: {_first_line(e)}")
    except RecursionError:
        return SqlLineage(error="the SQL is nested too deeply to be parsed")
    statements = []
    errors = []
    for position, statement in enumerate(parsed):

        def fresh(position: int = position) -> exp.Expr:
            """The statement as parsed, for a second try after a failed one changed it."""
            return [s for s in sqlglot.parse(query, read=dialect) if s is not None][position]

        try:
            found = _statement(statement, dialect, schemas, output_columns, fresh)
        except (SqlglotError, RecursionError, ValueError, KeyError) as e:
            errors.append(f"{_first_line(e)}")
            continue
        if found is not None:
            statements.append(found)
    if not statements and errors:
        return SqlLineage(error="the SQL could not be analysed: " + "; ".join(errors))
    return SqlLineage(tuple(statements), "; ".join(errors) or None)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


def _statement(
    statement: exp.Expr,
    dialect: str | None,
    schemas: Mapping[str, Sequence[str]],
    output_columns: Mapping[str, Sequence[str]],
    fresh: Callable[[], exp.Expr],
) -> Statement | None:
    """The lineage of one parsed statement, which it changes (qualifying its names in place:
    copying a tree costs more than parsing it); ``fresh`` parses it again."""
    target, columns, body = _parts_of(statement)
    if body is None:
        return None
    target_name = _table_name(target) if target is not None else None
    known = _schema_for(body, schemas)
    query = _qualified(body, dialect, known, lambda: _parts_of(fresh())[2])
    root = build_scope(query)
    if root is None:
        return None
    walker = _Walker(_lookup(schemas))
    names = walker.output_names(root)
    expected = _columns_for(target_name, output_columns) if target_name else None
    if target_name is None and len(output_columns) == 1:
        expected = next(iter(output_columns.values()))
    fields: dict[str, tuple[Source, ...]] = {}
    complete = True
    by_position = False
    if columns is not None:
        # INSERT INTO t (a, b) SELECT x, y: positions, not names, decide.
        pairs = list(zip(columns, names or columns, strict=False))
        by_position = names is not None
    elif (
        isinstance(statement, exp.Insert)
        and not statement.args.get("by_name")
        and names is not None
        and expected is not None
        and len(names) == len(expected)
        and not walker.has_open_star(root)
    ):
        # INSERT INTO t SELECT x, y: the target's columns, in order, take the select's.
        pairs = list(zip(expected, names, strict=True))
        by_position = True
    elif names is None:
        pairs = [(c, c) for c in expected or ()]
        complete = expected is not None
    else:
        pairs = [(n, n) for n in names]
        if walker.has_open_star(root):
            pairs += [(c, c) for c in expected or () if c not in names]
            complete = expected is not None
    for position, (out, produced) in enumerate(pairs):
        sources = (
            walker.projection_at(root, position, out)
            if by_position
            else walker.projection(root, produced, out)
        )
        if sources is None:
            complete = False
            continue
        fields[out] = tuple(sorted(sources))
    dataset = tuple(sorted(walker.rows(root)))
    unresolved = tuple(sorted(set(walker.unresolved), key=lambda u: (u.used_by, u.column)))
    return Statement(
        target=target_name,
        tables=tuple(sorted(walker.tables)),
        fields=fields,
        dataset=dataset,
        unresolved=unresolved,
        complete=complete and not unresolved and not walker.partial,
        names=frozenset(
            [c.alias.lower() for c in query.find_all(exp.CTE) if c.alias]
            + [q.alias.lower() for q in query.find_all(exp.Subquery) if q.alias]
        ),
    )


def _parts_of(
    statement: exp.Expr,
) -> tuple[exp.Table | None, list[str] | None, exp.Query | None]:
    """The table a statement writes, the columns it names for it, and the query whose rows
    it writes (None for a statement that writes no rows from a query)."""
    target: exp.Table | None = None
    columns: list[str] | None = None
    body: exp.Expr | None
    if isinstance(statement, exp.Create):
        body = statement.expression
        this = statement.this
        if isinstance(this, exp.Schema):
            columns = [c.name for c in this.expressions if isinstance(c, exp.ColumnDef)] or None
            this = this.this
        target = this if isinstance(this, exp.Table) else None
    elif isinstance(statement, exp.Insert):
        body = statement.expression
        this = statement.this
        if isinstance(this, exp.Schema):
            columns = [c.name for c in this.expressions] or None
            this = this.this
        target = this if isinstance(this, exp.Table) else None
    elif isinstance(statement, exp.Query):
        body = statement
    else:
        return None, None, None
    while isinstance(body, exp.Subquery):  # CREATE TABLE t AS (SELECT ...)
        body = body.this
    if not isinstance(body, exp.Query):
        return None, None, None
    return target, columns, body


def _qualified(
    body: exp.Expr,
    dialect: str | None,
    known: dict[str, object],
    fresh: Callable[[], exp.Expr | None],
) -> exp.Expr:
    """``body`` with its tables and, where sqlglot can place them, its columns qualified,
    in place; ``fresh`` gives it again as parsed, should that fail part way."""
    options: dict[str, Any] = {
        "dialect": dialect,
        "schema": known or None,
        "validate_qualify_columns": False,
        "quote_identifiers": False,
        "identify": False,
    }
    try:
        return qualify(_using_keys_placed(body), **options)
    except SqlglotError:
        # A name sqlglot cannot place (it might belong to an outer query): qualify the
        # tables only; the walk places the columns it can and says which it cannot.
        again = fresh()
        assert again is not None  # it parsed, and parses the same again
        return qualify(_using_keys_placed(again), qualify_columns=False, **options)


def _using_keys_placed(body: exp.Expr) -> exp.Expr:
    """``body`` with each unqualified key of a ``JOIN ... USING`` qualified by the side whose
    value the join keeps: the table before the first join for a LEFT or inner join, the joined
    table for a RIGHT one. (sqlglot reads every such key as ``COALESCE`` of both sides, right
    only for a FULL join, where it is left as it is.) Only the first join's keys are placed:
    which table before a later join holds its key needs the schemas."""
    for select in body.find_all(exp.Select):
        joins = select.args.get("joins") or []
        source = select.args.get("from_")
        if not joins or source is None or not joins[0].args.get("using"):
            continue
        join = joins[0]
        side = (join.side or "").upper()
        if side == "FULL" or (join.kind or "").upper() in ("SEMI", "ANTI", "CROSS"):
            continue
        kept = join.this if side == "RIGHT" else source.this
        alias = kept.alias_or_name if isinstance(kept, (exp.Table, exp.Subquery)) else ""
        if not alias:
            continue
        keys = {k.name.lower() for k in join.args["using"]}
        clauses = [
            *select.selects,
            *(select.args.get(c) for c in ("where", "group", "having", "order")),
        ]
        for clause in clauses:
            if clause is None:
                continue
            for column in list(_own_columns(clause)):
                if not column.table and column.name.lower() in keys:
                    column.set("table", exp.to_identifier(alias))
    return body


# -- names --------------------------------------------------------------------------------


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p.lower() for p in name.split("."))


def _suffix_match(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """True when one dotted name ends the other (``main.orders`` and ``db.main.orders``)."""
    if len(short) > len(long):
        short, long = long, short
    return bool(short) and long[len(long) - len(short) :] == short


def _table_name(table: exp.Table) -> str:
    return ".".join(p.name for p in table.parts if p.name)


def _lookup(schemas: Mapping[str, Sequence[str]]) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {_parts(name): tuple(columns) for name, columns in schemas.items()}


def _columns_for(name: str, schemas: Mapping[str, Sequence[str]]) -> Sequence[str] | None:
    wanted = _parts(name)
    matches = [cols for n, cols in schemas.items() if _suffix_match(_parts(n), wanted)]
    return matches[0] if len(matches) == 1 else None


def _schema_for(body: exp.Expr, schemas: Mapping[str, Sequence[str]]) -> dict[str, object]:
    """A sqlglot schema for the tables ``body`` reads whose columns are known, keyed as the
    query writes them (sqlglot needs one nesting depth for all: the commonest wins)."""
    if not schemas:
        return {}
    lookup = _lookup(schemas)
    by_depth: dict[int, dict[tuple[str, ...], tuple[str, ...]]] = {}
    for table in body.find_all(exp.Table):
        written = tuple(p.name for p in table.parts if p.name)
        if not written:
            continue
        matches = [cols for parts, cols in lookup.items() if _suffix_match(written, parts)]
        if len(matches) == 1 and matches[0]:
            by_depth.setdefault(len(written), {})[written] = matches[0]
    if not by_depth:
        return {}
    depth = max(by_depth, key=lambda d: len(by_depth[d]))
    nested: dict[str, object] = {}
    for written, cols in by_depth[depth].items():
        level = nested
        for part in written[:-1]:
            child = level.setdefault(part, {})
            assert isinstance(child, dict)
            level = child
        level[written[-1]] = {c: "UNKNOWN" for c in cols}
    return nested


# -- walking scopes ---------------------------------------------------------------------------


def _compose(outer: tuple[str, str], inner: tuple[str, str]) -> tuple[str, str]:
    """The kind of a two-step dependency: INDIRECT if either step is (the outer one's
    reason first), else the stronger DIRECT subtype."""
    if outer[0] == INDIRECT:
        return outer
    if inner[0] == INDIRECT:
        return inner
    return outer if _DIRECT_RANK[outer[1]] >= _DIRECT_RANK[inner[1]] else inner


_IDENTITY: Final = (DIRECT, "IDENTITY")


@dataclass
class _Walker:
    """Follows columns through one statement's scopes, memoising each (scope, column)."""

    schemas: Mapping[tuple[str, ...], tuple[str, ...]]
    tables: set[str] = field(default_factory=set)
    unresolved: list[Unresolved] = field(default_factory=list)
    #: Output columns (or "*") some of whose sources could not be found.
    partial: set[str] = field(default_factory=set)
    _memo: dict[tuple[int, str], set[Source] | None] = field(default_factory=dict)
    _busy: set[tuple[int, str]] = field(default_factory=set)
    _open: dict[int, bool] = field(default_factory=dict)

    # What a scope outputs -------------------------------------------------------------

    def output_names(self, scope: Scope) -> list[str] | None:
        """The names of a scope's output columns, None when a star hides them all."""
        if _is_set(scope):
            first = scope.set_operation_scopes[0] if scope.set_operation_scopes else None
            return self.output_names(first) if first is not None else None
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        names = [p.alias_or_name for p in select.selects if not _is_star(p)]
        if not names and any(_is_star(p) for p in select.selects):
            return None
        return names

    def has_open_star(self, scope: Scope) -> bool:
        # Asked once per output column of the scope: answered once per scope.
        found = self._open.get(id(scope))
        if found is None:
            if _is_set(scope):
                found = any(self.has_open_star(s) for s in scope.set_operation_scopes)
            else:
                select = scope.expression
                found = isinstance(select, exp.Select) and any(_is_star(p) for p in select.selects)
            self._open[id(scope)] = found
        return found

    def projection_at(self, scope: Scope, position: int, used_by: str) -> set[Source] | None:
        """The table columns a scope's output column at ``position`` comes from (two output
        columns may share a name: ``SELECT status, CAST(status AS INT)``)."""
        select = scope.expression
        if _is_set(scope) or not isinstance(select, exp.Select) or self.has_open_star(scope):
            names = self.output_names(scope)
            if names is None or position >= len(names):
                return None
            return self.projection(scope, names[position], used_by)
        if position >= len(select.selects):
            return None
        return self.expression(scope, select.selects[position], used_by)

    def projection(self, scope: Scope, name: str, used_by: str) -> set[Source] | None:
        """The table columns a scope's output column ``name`` comes from; None if unknown."""
        key = (id(scope), name.lower())
        if key in self._memo:
            return self._memo[key]
        if key in self._busy:  # a recursive CTE refers to itself: no new sources that way
            return set()
        self._busy.add(key)
        try:
            found = self._projection(scope, name, used_by)
        finally:
            self._busy.discard(key)
        self._memo[key] = found
        return found

    def _projection(self, scope: Scope, name: str, used_by: str) -> set[Source] | None:
        if _is_set(scope):
            branches = scope.set_operation_scopes
            first = self.output_names(branches[0]) if branches else None
            position = _index(first, name) if first is not None else None
            found: set[Source] = set()
            known = False
            for branch in branches:
                names = self.output_names(branch)
                at = (
                    names[position]
                    if names is not None and position is not None and position < len(names)
                    else name
                )
                sources = self.projection(branch, at, used_by)
                if sources is not None:
                    known = True
                    found |= sources
            return found if known else None
        select = scope.expression
        if not isinstance(select, exp.Select):
            return None
        for projection in select.selects:
            if not _is_star(projection) and projection.alias_or_name.lower() == name.lower():
                return self.expression(scope, projection, used_by)
        # Not projected by name: a star passes it through from the one source that has it.
        stars = [p for p in select.selects if _is_star(p)]
        if not stars:
            return None
        owners: list[str] = []
        for star in stars:
            qualifier = star.table if isinstance(star, exp.Column) else ""
            candidates = [qualifier] if qualifier else list(scope.selected_sources)
            owners += [c for c in candidates if self._may_hold(scope, c, name)]
        owners = list(dict.fromkeys(owners))
        if len(owners) != 1:
            if len(owners) > 1:
                self._unresolved(scope, name, owners, used_by)
            return None
        return self.source_column(scope, owners[0], name, used_by)

    # What an expression reads ------------------------------------------------------------

    def expression(self, scope: Scope, node: exp.Expr, used_by: str) -> set[Source]:
        """Every table column ``node`` (a projection) depends on, with how."""
        body = node.this if isinstance(node, exp.Alias) else node
        found: set[Source] = set()
        for column, kind in _columns_with_kind(body):
            sources = self.column(scope, column, used_by)
            if sources is None:
                self.partial.add(used_by)
                continue
            for source in sources:
                joined = _compose(kind, (source.type, source.subtype))
                found.add(Source(source.table, source.column, *joined))
        return found

    def column(self, scope: Scope, column: exp.Column, used_by: str) -> set[Source] | None:
        name = column.name
        qualifier = column.table
        if qualifier:
            if qualifier not in scope.sources:
                return None  # a correlated reference to an outer query, or a struct field
            return self.source_column(scope, qualifier, name, used_by)
        holders = [s for s in scope.selected_sources if self._may_hold(scope, s, name)]
        if len(holders) == 1:
            return self.source_column(scope, holders[0], name, used_by)
        if not scope.selected_sources:
            return None
        self._unresolved(scope, name, holders or list(scope.selected_sources), used_by)
        return None

    def source_column(
        self, scope: Scope, alias: str, name: str, used_by: str
    ) -> set[Source] | None:
        source = scope.sources.get(alias)
        if isinstance(source, exp.Table):
            table = _table_name(source)
            self.tables.add(table)
            return {Source(table, name, *_IDENTITY)}
        if isinstance(source, Scope):
            return self.projection(source, name, used_by)
        return None

    def _may_hold(self, scope: Scope, alias: str, name: str) -> bool:
        """Whether source ``alias`` of ``scope`` can hold column ``name``: by its schema
        or projections when known, else yes (it might)."""
        source = scope.sources.get(alias)
        if isinstance(source, exp.Table):
            written = tuple(p.name for p in source.parts if p.name)
            matches = [
                c
                for parts, c in self.schemas.items()
                if _suffix_match(_parts(".".join(written)), parts)
            ]
            if len(matches) == 1:
                return name.lower() in {c.lower() for c in matches[0]}
            return True
        if isinstance(source, Scope):
            names = self.output_names(source)
            if names is not None and name.lower() in {n.lower() for n in names}:
                return True
            return self.has_open_star(source) or names is None
        return False

    def _unresolved(self, scope: Scope, name: str, aliases: Iterable[str], used_by: str) -> None:
        candidates: set[str] = set()
        for alias in aliases:
            source = scope.sources.get(alias)
            if isinstance(source, exp.Table):
                candidates.add(_table_name(source))
            elif isinstance(source, Scope):
                candidates |= self._tables_under(source)
        self.unresolved.append(Unresolved(name, tuple(sorted(candidates)), used_by))

    def _tables_under(self, scope: Scope) -> set[str]:
        tables: set[str] = set()
        for _, source in scope.selected_sources.values():
            if isinstance(source, exp.Table):
                tables.add(_table_name(source))
            elif isinstance(source, Scope) and source is not scope:
                tables |= self._tables_under(source)
        for branch in scope.set_operation_scopes:
            tables |= self._tables_under(branch)
        return tables

    # Row-level dependencies ----------------------------------------------------------------

    def rows(self, scope: Scope, seen: set[int] | None = None) -> set[Source]:
        """What decides which rows reach ``scope``'s output: its join keys, filters,
        grouping and sorting, and those of every scope it reads from."""
        seen = set() if seen is None else seen
        if id(scope) in seen:
            return set()
        seen.add(id(scope))
        found: set[Source] = set()
        for branch in scope.set_operation_scopes:
            found |= self.rows(branch, seen)
        select = scope.expression
        if isinstance(select, exp.Select):
            for clause, subtype in _row_clauses(select):
                for column in _own_columns(clause):
                    for source in self.column(scope, column, "*") or ():
                        found.add(Source(source.table, source.column, INDIRECT, subtype))
            for sub in scope.subquery_scopes:
                # `where x in (select ...)`: what the subquery selects filters the rows.
                for name in self.output_names(sub) or ():
                    for source in self.projection(sub, name, "*") or ():
                        found.add(Source(source.table, source.column, INDIRECT, "FILTER"))
                found |= self.rows(sub, seen)
        for _, selected in scope.selected_sources.values():
            if isinstance(selected, Scope):
                found |= self.rows(selected, seen)
            elif isinstance(selected, exp.Table):
                self.tables.add(_table_name(selected))
        return found


def _is_set(scope: Scope) -> bool:
    """Whether ``scope`` is a UNION, INTERSECT or EXCEPT of the scopes it lists."""
    return bool(scope.set_operation_scopes) or isinstance(scope.expression, exp.SetOperation)


def _index(names: Sequence[str], name: str) -> int | None:
    lowered = [n.lower() for n in names]
    return lowered.index(name.lower()) if name.lower() in lowered else None


def _is_star(node: exp.Expr) -> bool:
    return isinstance(node, exp.Star) or (isinstance(node, exp.Column) and node.is_star)


def _row_clauses(select: exp.Select) -> Iterator[tuple[exp.Expr, str]]:
    for join in select.args.get("joins") or ():
        on = join.args.get("on")
        if on is not None:
            yield on, "JOIN"
        for using in join.args.get("using") or ():
            yield using, "JOIN"
    for name, subtype in (
        ("where", "FILTER"),
        ("group", "GROUP_BY"),
        ("having", "FILTER"),
        ("qualify", "FILTER"),
        ("order", "SORT"),
    ):
        clause = select.args.get(name)
        if clause is not None:
            yield clause, subtype


def _own_columns(node: exp.Expr) -> Iterator[exp.Column]:
    """The columns of ``node`` itself, not of the subqueries inside it."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, exp.Column):
            if not current.is_star:
                yield current
            continue
        if isinstance(current, exp.Query) and current is not node:
            continue
        stack.extend(current.iter_expressions())


def _columns_with_kind(node: exp.Expr) -> Iterator[tuple[exp.Column, tuple[str, str]]]:
    """Each column in a projection and the kind of its step: IDENTITY for a bare column,
    AGGREGATION under an aggregate, TRANSFORMATION otherwise; INDIRECT where it only
    decides (a CASE condition: CONDITIONAL; a window's partition or order: WINDOW)."""
    if isinstance(node, exp.Column):
        if not node.is_star:
            yield node, _IDENTITY
        return
    stack: list[tuple[exp.Expr, tuple[str, str]]] = [(node, (DIRECT, "TRANSFORMATION"))]
    while stack:
        current, kind = stack.pop()
        if isinstance(current, exp.Column):
            if not current.is_star:
                yield current, kind
            continue
        if isinstance(current, exp.Query):
            continue
        if isinstance(current, exp.Window):
            inner = current.this
            if inner is not None:
                stack.append((inner, kind))
            for part in (current.args.get("partition_by") or []) + [current.args.get("order")]:
                if part is not None:
                    stack.append((part, _compose(kind, (INDIRECT, "WINDOW"))))
            continue
        if isinstance(current, exp.AggFunc) and kind[0] == DIRECT:
            kind = _compose(kind, (DIRECT, "AGGREGATION"))
        if isinstance(current, exp.If):
            condition = current.this
            if condition is not None:
                stack.append((condition, _compose(kind, (INDIRECT, "CONDITIONAL"))))
            for name in ("true", "false"):
                value = current.args.get(name)
                if value is not None:
                    stack.append((value, kind))
            continue
        if isinstance(current, exp.Case):
            subject = current.this
            if subject is not None:
                stack.append((subject, _compose(kind, (INDIRECT, "CONDITIONAL"))))
            for branch in current.args.get("ifs") or ():
                stack.append((branch, kind))
            default = current.args.get("default")
            if default is not None:
                stack.append((default, kind))
            continue
        stack.extend((child, kind) for child in current.iter_expressions())
