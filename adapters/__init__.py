"""Framework adapters for spyglass, each a pluggy plugin registered through the `spyglass` entry-point group."""
