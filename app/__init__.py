"""Facet's user-facing layer: the Gradio UI (ui.py) and the command line (cli.py)."""
