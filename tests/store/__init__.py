"""Store tests: the db package, on SQLite and on PostgreSQL (`database_url` and `engine` in conftest.py)."""
