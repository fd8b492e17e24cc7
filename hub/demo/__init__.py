"""The demo cast shared by the seeded database and every sandbox, so all systems agree."""
