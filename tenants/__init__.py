"""What one office owns, one package per bounded area; every row here is tenant-scoped."""
