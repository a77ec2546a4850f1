"""Cadence files: loading and validating YAML (loader), scripts and their sandbox, CadenceML, starters.
May import cadence.domain and cadence.errors; never the store, the pipeline, views or the CLI."""
