"""The in-app snippet, waypost.js: built from sdk/ into dist/ (committed) and served here."""
