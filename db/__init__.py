"""The only place SQL lives: pool, migrations, queries per aggregate, the embedded server."""

from db.embedded import embedded_postgres
from db.migrate import MigrationError, migrate
from db.pool import close_pool, create_pool, database_answers

__all__ = ["MigrationError", "close_pool", "create_pool", "database_answers", "embedded_postgres", "migrate"]
