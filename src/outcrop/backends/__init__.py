"""Model families: one self-contained module each, imported only when a model of that family loads."""
