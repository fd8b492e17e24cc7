"""The channel managers' weekly digest: who went dormant, who came back, what waits, who moved."""
