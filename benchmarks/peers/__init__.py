"""Reference servers the benchmarks measure jointip against (never imported by the service)."""
