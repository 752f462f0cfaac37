"""Facet's core: types, image/mask helpers, settings, model manifest and manager. No UI code here."""
