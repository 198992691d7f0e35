"""The store's foundation: engine and sessions, the schema (models), migrations, clock and local time, domain
errors, the event log's writer, privacy masks, generated secrets, backup and restore."""
