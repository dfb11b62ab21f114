"""spyglass adapter: llamaindex."""
