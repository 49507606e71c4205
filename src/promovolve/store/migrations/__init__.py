"""Alembic migrations, shipped in the package and run at server start."""
