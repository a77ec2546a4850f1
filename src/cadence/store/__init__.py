"""Storage: SQLModel tables, opening the database, migrations, and all SQL.
May import cadence.domain, cadence.errors and cadence.folders; never cadence files, the pipeline, views or the CLI."""
