"""Stability AI's image services and generators on Bedrock: one module per service, shared rules in `common.py`."""
