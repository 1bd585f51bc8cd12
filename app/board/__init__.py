"""The Board's nominations of outstanding collectives and individuals."""
