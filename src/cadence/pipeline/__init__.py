"""The pipeline: the façade over a stored pipeline (core) and what commands do with it: planning, stats, versions, preview.
May import the domain, cadence files and the store; never views or the CLI."""
