"""Waypost: self-hosted customer onboarding and digital adoption."""

__version__ = "0.1.0"
