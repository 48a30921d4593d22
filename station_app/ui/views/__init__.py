"""The main window's areas: today, registry, visit log, follow-ups, referrals, reports, settings."""
