"""Main window, dialogs, Qt item models; the app composition root."""
