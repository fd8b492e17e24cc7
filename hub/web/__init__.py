"""Routes and pages: thin views over the services."""
