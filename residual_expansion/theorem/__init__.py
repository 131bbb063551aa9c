"""theorem."""
