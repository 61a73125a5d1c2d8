"""Executing tasks: one queue and worker per loaded model."""
