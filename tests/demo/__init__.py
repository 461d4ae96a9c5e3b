"""End-to-end tests of ``demo_app.py``, run as a real command."""
