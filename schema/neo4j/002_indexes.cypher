// Lookups the writer and the read side make, and time filters.

// Search and listing.
CREATE INDEX dataset_name IF NOT EXISTS FOR (n:Dataset) ON (n.name);
CREATE INDEX job_name IF NOT EXISTS FOR (n:Job) ON (n.name);

// Versions a run wrote, by dataset and time (which version a reader saw).
CREATE INDEX dataset_version_created IF NOT EXISTS FOR (n:DatasetVersion) ON (n.dataset, n.created_at);

// Completed runs of a job, by time (when job-level edges close).
CREATE INDEX run_completed IF NOT EXISTS FOR (n:Run) ON (n.job, n.completed_at);

// Reads of a dataset, by time (re-pointed when an earlier writer arrives late).
CREATE INDEX read_dataset_at IF NOT EXISTS FOR ()-[r:READ]-() ON (r.dataset, r.at);

// Validity intervals of the job-level projection and of column lineage (as-of reads).
CREATE INDEX input_to_validity IF NOT EXISTS FOR ()-[r:INPUT_TO]-() ON (r.since, r.until);
CREATE INDEX produces_validity IF NOT EXISTS FOR ()-[r:PRODUCES]-() ON (r.since, r.until);
CREATE INDEX feeds_validity IF NOT EXISTS FOR ()-[r:FEEDS]-() ON (r.since, r.until);

// Column lineage reports of a job.
CREATE INDEX report_job IF NOT EXISTS FOR (r:ColumnLineageReport) ON (r.job);

// Raw events: newest first, by time range and by run.
CREATE INDEX event_time IF NOT EXISTS FOR (e:Event) ON (e.event_time);
CREATE INDEX event_run IF NOT EXISTS FOR (e:Event) ON (e.run_id);
CREATE INDEX event_write IF NOT EXISTS FOR (e:Event) ON (e.write_id);

// Ledger entries (what incidents are recomputed from), by ledger and time.
CREATE INDEX ledger_entry_at IF NOT EXISTS FOR (l:LedgerEntry) ON (l.ledger, l.at);
// And by version, then time: the entry before a time under each other version is one seek
// (`version` is the body's version as JSON text, `null` for none, so every entry has one).
CREATE INDEX ledger_entry_version IF NOT EXISTS FOR (l:LedgerEntry) ON (l.ledger, l.version, l.at);

// Search by any part of a name, namespace or description: each node's lowercased texts
// (`search`, in windows short enough for one Lucene term) kept whole by the keyword
// analyzer, so a wildcard query finds any substring of them.
CREATE FULLTEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON EACH [n.search] OPTIONS {indexConfig: {`fulltext.analyzer`: 'keyword'}};
