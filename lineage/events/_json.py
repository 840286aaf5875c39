"""Field types that give pydantic the semantics of the OpenLineage JSON Schemas.

The models validate decoded JSON in pydantic's strict mode, so a string is never coerced
into a number or a boolean. On top of that these types encode the schema rules strict
mode does not know:

* an *optional* property may be absent but, per the schema, may not be ``null``
  (``Optional[...]`` would accept ``null``): :class:`NotNull`;
* a JSON Schema ``integer`` also matches a float with an integral value (``5.0``) and a
  ``number`` matches any int or float, but never a boolean: :data:`JsonInt`,
  :data:`JsonNumber`;
* ``format: date-time`` is RFC 3339 with a mandatory UTC offset, and ``format: uuid``
  is whatever :class:`uuid.UUID` parses with dashes in the canonical places. Both checks
  mirror the ones ``jsonschema``'s format checker applies, so this parser and the
  official schema agree on every value: :data:`DateTime`, :data:`Uuid`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, Final
from uuid import UUID

from pydantic import BeforeValidator, Field, GetCoreSchemaHandler, PlainValidator, Strict
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

__all__ = [
    "DateTime",
    "JsonInt",
    "JsonNumber",
    "NotNull",
    "OptBool",
    "OptDateTime",
    "OptInt",
    "OptNumber",
    "OptStr",
    "PositiveJsonInt",
    "Uuid",
    "canonical_uuid",
    "one_of",
    "parse_datetime",
]


class NotNull:
    """Marks ``X | None`` as "may be absent, must not be null".

    Validation uses only ``X``'s schema, so an explicit ``null`` is reported like any other
    wrong type, while the ``None`` default (the property was absent) still serialises.
    """

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        schema = handler(source)
        if schema["type"] != "nullable":
            return schema
        inner = dict(schema["schema"])
        inner["serialization"] = core_schema.wrap_serializer_function_ser_schema(_none_or_default)
        return inner


def _none_or_default(value: Any, handler: core_schema.SerializerFunctionWrapHandler) -> Any:
    return None if value is None else handler(value)


def _integral_float_to_int(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _json_number(value: Any) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise PydanticCustomError("float_type", "expected a number")


#: JSON Schema ``integer``: an int, or a float without a fractional part (kept as int).
JsonInt = Annotated[int, Strict(), BeforeValidator(_integral_float_to_int)]

#: A JSON Schema ``integer`` with ``minimum: 1``.
PositiveJsonInt = Annotated[int, Strict(), BeforeValidator(_integral_float_to_int), Field(ge=1)]

#: JSON Schema ``number``: any int or float (ints stay ints), never a boolean.
JsonNumber = Annotated[int | float, PlainValidator(_json_number)]

OptStr = Annotated[str | None, NotNull()]
OptBool = Annotated[bool | None, NotNull()]
OptInt = Annotated[JsonInt | None, NotNull()]
OptNumber = Annotated[JsonNumber | None, NotNull()]


# -- date-time ----------------------------------------------------------------------------

# The grammar the reference checker (rfc3339-validator) accepts, applied as it is to the
# upper-cased input; `$` rather than `\Z` on purpose, to agree with it on a trailing newline.
_RFC3339: Final = re.compile(
    r"^\d{4}-(?:0[1-9]|1[0-2])-\d{2}T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$",
    re.ASCII,
)
_NO_OFFSET: Final = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", re.ASCII)
_DATETIME_EXAMPLE = "e.g. 2024-05-01T12:00:00Z or 2024-05-01T14:00:00+02:00"


def parse_datetime(value: Any) -> datetime:
    """Parse an RFC 3339 ``date-time`` (the schemas' ``format: date-time``) into UTC.

    Accepts exactly what ``jsonschema``'s format checker accepts: a ``T`` between date and
    time, optional fractional seconds (beyond microseconds they are truncated) and a
    mandatory offset (``Z`` or ``+hh:mm``); ``t`` and ``z`` may be lowercase. A time
    without an offset is rejected: it names no instant. The result is timezone-aware and
    normalised to UTC, except at the very ends of the calendar (year 1 or 9999) where UTC
    is not representable and the original offset is kept.

    An aware ``datetime`` (models built in Python) is normalised the same way; decoded
    JSON never contains one.

    Raises ``PydanticCustomError`` with a message saying what is expected.
    """
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise PydanticCustomError(
                "datetime_offset", f"date-time has no UTC offset; expected {_DATETIME_EXAMPLE}"
            )
        return _to_utc(value)
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "expected a string (an RFC 3339 date-time)")
    text = value.upper()
    if _RFC3339.match(text) is None:
        if _NO_OFFSET.match(text):
            raise PydanticCustomError(
                "datetime_offset", f"date-time has no UTC offset; expected {_DATETIME_EXAMPLE}"
            )
        raise PydanticCustomError(
            "datetime_format", f"not an RFC 3339 date-time; expected {_DATETIME_EXAMPLE}"
        )
    # The grammar is checked; fromisoformat (C, accepts it all since 3.11) does the
    # arithmetic and rejects impossible dates such as February 30th or year 0.
    try:
        parsed = datetime.fromisoformat(text.removesuffix("\n"))
    except ValueError:
        raise PydanticCustomError("datetime_range", "not a valid calendar date") from None
    return parsed if parsed.tzinfo is UTC else _to_utc(parsed)


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return value


#: ``format: date-time``: an aware datetime, normalised to UTC (see :func:`parse_datetime`).
# A before-validator (not a plain one) keeps pydantic's own datetime serialiser intact.
DateTime = Annotated[
    datetime, Strict(), BeforeValidator(parse_datetime, json_schema_input_type=str)
]
OptDateTime = Annotated[DateTime | None, NotNull()]


# -- uuid ---------------------------------------------------------------------------------

_CANONICAL_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII
)


def canonical_uuid(value: Any) -> str:
    """Return ``value`` as a canonical lowercase UUID string (any UUID version).

    Accepts what ``jsonschema``'s ``uuid`` format check accepts: anything
    :class:`uuid.UUID` parses that has dashes at offsets 8, 13, 18 and 23 (so uppercase
    hex is fine, a bare 32-digit hex string is not). A :class:`uuid.UUID` (models built in
    Python) is accepted too.
    """
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str):
        raise PydanticCustomError("uuid_type", "expected a string (a UUID)")
    if _CANONICAL_UUID.fullmatch(value):
        return value
    lowered = value.lower()
    if _CANONICAL_UUID.fullmatch(lowered):
        return lowered
    try:
        parsed = UUID(value)
    except ValueError:
        parsed = None
    if parsed is None or len(value) < 24 or any(value[i] != "-" for i in (8, 13, 18, 23)):
        raise PydanticCustomError("uuid", "not a UUID")
    return str(parsed)


#: ``format: uuid``, normalised to the canonical lowercase string form.
Uuid = Annotated[str, PlainValidator(canonical_uuid, json_schema_input_type=str)]


# -- enums --------------------------------------------------------------------------------


def one_of(*allowed: str) -> Callable[[Any], str]:
    """A validator accepting exactly the strings in ``allowed`` (JSON Schema ``enum``)."""
    choices = frozenset(allowed)
    listed = ", ".join(allowed)

    def check(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        if isinstance(value, str) and value.upper() in choices:
            raise PydanticCustomError(
                "enum", "expected one of {listed} (uppercase)", {"listed": listed}
            )
        raise PydanticCustomError("enum", "expected one of {listed}", {"listed": listed})

    return check
