"""Model families' wire input: Bedrock-style JSON schemas (`schema.py`) and the parsers that validate a family's
input into a typed Task. Used by every door (HTTP routers) and by the job services that re-read a stored request;
no web framework, no torch."""
