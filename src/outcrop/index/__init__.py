"""Vectors and knowledge bases: the VectorIndex protocol, its embedded and PostgreSQL/pgvector implementations."""
