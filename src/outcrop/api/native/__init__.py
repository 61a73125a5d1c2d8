"""The native REST API under /v1 (used by the SDK, the CLI and the web UI)."""
