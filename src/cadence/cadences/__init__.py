"""Cadence files: their values (model), loading and validating YAML (loader), script checks (templates), the search path and cache (library), scripts and their sandbox, CadenceML, starters.
May import cadence.domain, cadence.errors and cadence.folders; never the store, the pipeline, views or the CLI."""
