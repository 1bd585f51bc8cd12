"""Widgets shared by the commune operations pages."""
