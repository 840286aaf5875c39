// Uniqueness of every key the store merges on (Neo4j 5 Community: IS UNIQUE only).
// Each statement is idempotent; `lineage migrate` (Neo4jStore.migrate) applies them in order.

// Every graph node carries :Entity and its kind's label; `id` is the internal identity
// (kind and key parts), the key every write merges on.
CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;

// The natural keys of each kind, per the OpenLineage naming spec.
CREATE CONSTRAINT dataset_key IF NOT EXISTS FOR (n:Dataset) REQUIRE (n.namespace, n.name) IS UNIQUE;
CREATE CONSTRAINT job_key IF NOT EXISTS FOR (n:Job) REQUIRE (n.namespace, n.name) IS UNIQUE;
CREATE CONSTRAINT run_key IF NOT EXISTS FOR (n:Run) REQUIRE n.runId IS UNIQUE;
CREATE CONSTRAINT dataset_version_key IF NOT EXISTS FOR (n:DatasetVersion) REQUIRE (n.dataset, n.version) IS UNIQUE;
CREATE CONSTRAINT field_key IF NOT EXISTS FOR (n:Field) REQUIRE (n.dataset, n.path) IS UNIQUE;

// Relationships are merged on their own id (kind, ends and key).
CREATE CONSTRAINT read_id IF NOT EXISTS FOR ()-[r:READ]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT wrote_id IF NOT EXISTS FOR ()-[r:WROTE]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT version_of_id IF NOT EXISTS FOR ()-[r:VERSION_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT run_of_id IF NOT EXISTS FOR ()-[r:RUN_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT child_of_id IF NOT EXISTS FOR ()-[r:CHILD_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT input_to_id IF NOT EXISTS FOR ()-[r:INPUT_TO]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT produces_id IF NOT EXISTS FOR ()-[r:PRODUCES]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT has_field_id IF NOT EXISTS FOR ()-[r:HAS_FIELD]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT feeds_id IF NOT EXISTS FOR ()-[r:FEEDS]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT alias_of_id IF NOT EXISTS FOR ()-[r:ALIAS_OF]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT renamed_from_id IF NOT EXISTS FOR ()-[r:RENAMED_FROM]-() REQUIRE r.id IS UNIQUE;
CREATE CONSTRAINT on_id IF NOT EXISTS FOR ()-[r:ON]-() REQUIRE r.id IS UNIQUE;

// Raw events and the store's own bookkeeping.
CREATE CONSTRAINT event_seq IF NOT EXISTS FOR (e:Event) REQUIRE e.seq IS UNIQUE;
// An event arriving twice (a retry, a replayed Kafka batch) is stored once.
CREATE CONSTRAINT event_digest IF NOT EXISTS FOR (e:Event) REQUIRE e.digest IS UNIQUE;
CREATE CONSTRAINT counter_name IF NOT EXISTS FOR (c:Counter) REQUIRE c.name IS UNIQUE;
CREATE CONSTRAINT report_key IF NOT EXISTS FOR (r:ColumnLineageReport) REQUIRE r.key IS UNIQUE;
CREATE CONSTRAINT run_state_run IF NOT EXISTS FOR (s:RunState) REQUIRE s.run IS UNIQUE;
CREATE CONSTRAINT ledger_entry_key IF NOT EXISTS FOR (l:LedgerEntry) REQUIRE (l.ledger, l.key) IS UNIQUE;
