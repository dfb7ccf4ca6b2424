"""Celery: the app bound to Flask, the beat schedule; tasks live beside their areas."""
