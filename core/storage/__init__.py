"""SQLAlchemy storage: tables, repositories, unit of work, migrations. Never commits on its own."""
