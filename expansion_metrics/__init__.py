"""expansion_metrics: revenue-retention marts on dbt + DuckDB, and the tooling around them."""

__version__ = "0.1.0"
