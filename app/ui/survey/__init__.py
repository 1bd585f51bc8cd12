"""The citizen survey page: admission gate, form, commune picker (no pandas/altair here)."""
