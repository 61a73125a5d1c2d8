"""Model request bodies: one module per wire family, each turning validated JSON into a Task."""
