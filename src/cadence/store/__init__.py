"""Storage: SQLModel tables, opening the database, migrations, and all SQL.
May import cadence.domain and cadence.errors; never cadence files, the pipeline, views or the CLI."""
