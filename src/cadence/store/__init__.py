"""Storage: SQLModel tables, opening the database, migrations, and all SQL."""
