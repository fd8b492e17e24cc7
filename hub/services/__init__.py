"""The hub's own domain logic on its own database."""
