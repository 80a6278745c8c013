"""Log lines beside the errors they explain: their shape (lines), storage (schema, store),
lookups (query), retention, and the live tail (tail). Ingest and digest are the pipeline's own
stages (triage.edge, triage.digest.logs); the pages are triage.pages.logs and the group page."""
