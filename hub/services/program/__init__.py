"""Program insight for the vendor's side: engagement scores, the journey funnel, activation,
dormant partners with their reasons, and the star partners (docs/program.md)."""
