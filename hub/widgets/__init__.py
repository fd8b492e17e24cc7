"""Homepage widgets: declarations, their loaders and the registry."""
