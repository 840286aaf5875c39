"""Settings, resolved in one documented order: CLI flags, then ``LINEAGE_*`` environment
variables, then a ``.env`` file in the working directory, then the defaults below."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

if TYPE_CHECKING:
    from lineage.events.limits import EventLimits

SCOPES = frozenset({"ingest", "read", "incidents", "admin"})
#: Settings whose values are never shown, in part or whole, in a message or a log line.
SECRET_SETTINGS = frozenset({"tokens", "neo4j_password"})


def hash_token(token: str) -> str:
    """Tokens are only ever kept as their SHA-256 digest."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> dict[str, frozenset[str] | None]:
    """The scopes of a token entry ('read:ns1,ns2+ingest'), each with the namespaces it is
    limited to (None: all). A scope named twice holds the union of both; a scope named
    once without namespaces holds every namespace."""
    grants: dict[str, frozenset[str] | None] = {}
    for part in text.split("+"):
        name, sep, listed = part.partition(":")
        name = name.strip()
        namespaces = (
            frozenset(unquote(n.strip()) for n in listed.split(",") if n.strip()) if sep else None
        )
        if name in grants:
            held = grants[name]
            grants[name] = None if held is None or namespaces is None else held | namespaces
        else:
            grants[name] = namespaces
    return grants


def shown_url(url: str) -> str:
    """``url`` fit for a log line: a password in it is replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def default_store() -> str:
    """The embedded store of the user running the command: one place, whatever the folder."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'lineage' / 'lineage.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINEAGE_", env_file=".env", extra="ignore")

    store: str = Field(
        default_factory=lambda: default_store(),
        description="Where the graph lives: sqlite:///path (embedded) or neo4j://host:7687. "
        "By default one embedded store per user, in $XDG_DATA_HOME/lineage (or "
        "~/.local/share/lineage), whatever folder a command runs from.",
    )
    neo4j_user: str | None = Field(default=None, description="Neo4j user (auth off: leave unset).")
    neo4j_password: str | None = Field(default=None, description="Neo4j password.")
    neo4j_database: str = Field(default="neo4j", description="Neo4j database name.")
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, description="Largest request body accepted (after gzip)."
    )
    max_batch_events: int = Field(default=10_000, description="Most events in one batch POST.")
    max_inputs: int = Field(default=10_000, ge=1, description="Most input datasets in one event.")
    max_outputs: int = Field(default=10_000, ge=1, description="Most output datasets in one event.")
    max_schema_fields: int = Field(
        default=10_000,
        ge=1,
        description="Most schema fields of one dataset in an event, nested fields included.",
    )
    max_facet_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest facet of an event, in bytes of compact JSON.",
    )
    max_name_bytes: int = Field(
        default=4096,
        ge=1,
        description="Longest namespace or name (of a job, dataset or column) in an event, "
        "in bytes of UTF-8.",
    )
    max_events_per_transaction: int = Field(
        default=500,
        ge=1,
        description=(
            "Most events one store transaction writes: a larger batch is written in several, "
            "one after the other, so that reads wait for one of them at most, not the batch."
        ),
    )
    node_budget: int = Field(default=5_000, description="Most nodes one lineage answer holds.")
    max_depth: int = 50
    graphql_timeout: float = Field(
        default=30.0,
        gt=0,
        description="Seconds one GraphQL request may take, counted over every field.",
    )
    graphql_max_cost: int = Field(
        default=1_000_000,
        ge=1,
        description=(
            "Most values a GraphQL query may ask for, estimated before it runs: every list "
            "multiplies what is nested in it by its page size."
        ),
    )
    graphql_default_list_size: int = Field(
        default=20,
        ge=1,
        description="Items the cost estimate assumes for a list field with no first/limit.",
    )
    graphql_max_fragment_spreads: int = Field(
        default=500,
        ge=1,
        description="Most fragment spreads one GraphQL query holds once they are expanded.",
    )
    graphql_max_items: int = Field(
        default=100_000,
        ge=1,
        description="Most list items one GraphQL answer holds, counted over every nested field.",
    )
    incident_auto_resolve: bool = Field(
        default=True,
        description="Resolve an automatically opened incident when its failed checks pass again.",
    )
    retention_days: float | None = Field(
        default=None,
        gt=0,
        description=(
            "Keep this many days of history: the server prunes raw events, runs, superseded "
            "versions and lineage closed before then at start and every day (as "
            "`lineage prune` does). Unset: keep everything."
        ),
    )
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Web origins (scheme://host:port, comma separated, or '*') whose pages may post to "
            "this server from a browser. Empty: only the server's own pages may."
        ),
    )
    webhooks: str | None = Field(
        default=None,
        description="Webhooks told of incidents: a JSON list of "
        '{"url", "kinds", "severities", "events", "secret"} (filters optional), or the path '
        "of a JSON file holding one. See lineage.webhooks.",
    )
    webhook_secret: str | None = Field(
        default=None,
        description="Signs webhook bodies (X-Lineage-Signature: sha256=HMAC) for hooks "
        "that name no secret of their own.",
    )
    webhook_outbox: str | None = Field(
        default=None,
        description="SQLite file of queued and past webhook deliveries (default: beside an "
        "embedded store's file, else in the user's data folder).",
    )
    tokens: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Bearer tokens as 'sha256:<hex>=scope+scope' (or 'plaintoken=scope+scope', hashed on "
            "load), comma separated. A scope other than admin may be limited to namespaces: "
            "'read:ns1,ns2' (a namespace holding ',', '+', '=' or '%' is written "
            "percent-encoded). Empty: no authentication."
        ),
    )

    @field_validator("tokens", mode="before")
    @classmethod
    def _split_tokens(cls, value: Any) -> Any:
        if isinstance(value, str):
            # A part with no '=' continues the namespace list of the entry before it
            # ('t=read:ns1,ns2'): a token entry always holds an '='.
            entries: list[str] = []
            for part in (p.strip() for p in value.split(",")):
                if not part:
                    continue
                if "=" not in part and entries and ":" in entries[-1].rpartition("=")[2]:
                    entries[-1] += "," + part
                else:
                    entries.append(part)
            return entries
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("tokens")
    @classmethod
    def _check_tokens(cls, value: list[str]) -> list[str]:
        # Messages name an entry by its place, never by its text: it holds a secret.
        checked = []
        for place, entry in enumerate(value, 1):
            secret, sep, scopes = entry.rpartition("=")
            if not sep or not secret:
                raise ValueError(
                    f"token entry {place} must look like 'TOKEN=ingest+read' "
                    "(scopes: ingest, read, incidents, admin)"
                )
            grants = parse_scopes(scopes)
            unknown = set(grants) - SCOPES
            if unknown:
                raise ValueError(
                    f"token entry {place} has unknown scope(s) {sorted(unknown)}; "
                    "use ingest, read, incidents, admin (read, ingest and incidents may "
                    "name namespaces: 'read:ns1,ns2')"
                )
            if grants.get("admin", None) is not None:
                raise ValueError(
                    f"token entry {place} limits 'admin' to namespaces; admin holds every "
                    "scope everywhere: give 'read:ns1,...' (ingest, incidents) instead"
                )
            if any(ns is not None and not ns for ns in grants.values()):
                raise ValueError(
                    f"token entry {place} has a scope with an empty namespace list; "
                    "write 'read:ns1,ns2' or just 'read'"
                )
            if not secret.startswith("sha256:"):
                secret = hash_token(secret)
            checked.append(f"{secret}={scopes}")
        return checked

    def event_limits(self) -> EventLimits:
        """The per-event limits (``max_inputs``, ...) ingest applies."""
        # Imported here: the CLI reads settings without loading the event models.
        from lineage.events.limits import EventLimits

        return EventLimits(
            max_inputs=self.max_inputs,
            max_outputs=self.max_outputs,
            max_schema_fields=self.max_schema_fields,
            max_facet_bytes=self.max_facet_bytes,
            max_name_bytes=self.max_name_bytes,
        )

    def token_scopes(self) -> dict[str, frozenset[str]]:
        """Digest of each configured token -> its scopes."""
        table: dict[str, frozenset[str]] = {}
        for entry in self.tokens:
            digest, _, scopes = entry.rpartition("=")
            table[digest] = frozenset(parse_scopes(scopes))
        return table

    def token_grants(self) -> dict[str, dict[str, frozenset[str] | None]]:
        """Digest of each configured token -> each of its scopes -> the namespaces it is
        limited to (None: every namespace)."""
        table: dict[str, dict[str, frozenset[str] | None]] = {}
        for entry in self.tokens:
            digest, _, scopes = entry.rpartition("=")
            table[digest] = parse_scopes(scopes)
        return table

    # Kafka ingest (`lineage consume`, `lineage serve --consume`).
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="Kafka brokers to read events from, host:port,..."
    )
    kafka_topics: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["openlineage"],
        description="Topics the OpenLineage KafkaTransport writes to, comma separated.",
    )
    kafka_group_id: str = Field(
        default="lineage",
        description="Consumer group: consumers sharing it split the topics' partitions.",
    )
    kafka_dead_letter_topic: str = Field(
        default="openlineage.dead-letter",
        description="Where messages that are not valid OpenLineage go, with the reason in "
        "their 'lineage.error' header. Empty: they are logged and skipped.",
    )
    kafka_batch_size: int = Field(
        default=500, ge=1, le=100_000, description="Most messages stored in one transaction."
    )
    kafka_config: dict[str, str | int | bool] = Field(
        default_factory=dict,
        description="More librdkafka settings as JSON, e.g. "
        '{"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN", ...}.',
    )

    @field_validator("kafka_topics", mode="before")
    @classmethod
    def _split_topics(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
