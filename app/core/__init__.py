"""What every part of the app shares: the page registry (access), sign-in and scopes (auth),
settings, clock, formatting, UI strings (i18n), the audit log, text and spreadsheet safety,
PDF set-up, reference data, campaigns, start-up, seed and demo data."""
