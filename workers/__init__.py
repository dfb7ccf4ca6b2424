"""The Celery worker's entry point and its logging and metrics; tasks live in their areas."""
