"""Channels to the world outside: email drafts and SMTP (mail), the calendar feed (feed), CSV/JSON export.
May import the domain, cadence files, the store and the pipeline; never views or the CLI."""
