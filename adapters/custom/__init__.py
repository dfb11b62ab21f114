"""spyglass adapter: custom."""
