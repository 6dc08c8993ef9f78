"""Modal dialogs: each returns a typed result to the screen that pushed it."""
