"""The content library: an index over every backend's content, targeted, searched, used."""
