"""spyglass core: schemas, lenses, serialisation, instrumentation, recording, feedback."""
