"""Alembic environment: runs on the connection `promovolve.store.database.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from promovolve.store.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # `alembic` command line (autogenerate while developing)
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///./var/promovolve.db"
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
