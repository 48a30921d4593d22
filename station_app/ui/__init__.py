"""The Qt desktop app: windows, forms, views and Qt models over the store. No SQL here."""
