"""Durable state: the SQL schema, its migrations and the repositories."""
