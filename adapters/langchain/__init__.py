"""spyglass adapter: langchain."""
