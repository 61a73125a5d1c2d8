"""The `outcrop` command line: one module per command group."""
