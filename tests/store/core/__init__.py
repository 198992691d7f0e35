"""db.core: schema and migrations, engine, backup, query plans; the command line and the seed that drive it."""
