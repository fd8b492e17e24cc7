"""Personas as data: landing portal and default widget layout, per role and segment."""
