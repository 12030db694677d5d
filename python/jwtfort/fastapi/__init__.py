"""FastAPI integration."""
