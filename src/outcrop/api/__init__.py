"""HTTP surfaces: the Bedrock wire API and the native REST API, on one ASGI app."""
