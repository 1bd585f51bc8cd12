"""The Board's pages: nominations."""
