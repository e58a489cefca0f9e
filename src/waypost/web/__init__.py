"""HTTP infrastructure shared by every slice: errors, dependencies, observability, system routes."""
