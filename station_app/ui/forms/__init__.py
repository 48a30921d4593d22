"""Data-entry forms: patient registration and edit, visit entry."""
