"""Server-rendered web console for builders, in English and Japanese."""
