"""Event ingestion: Segment- and PostHog-compatible tracking API, validation, identity, writer."""
