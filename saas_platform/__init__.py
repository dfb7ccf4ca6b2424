"""The shell every office shares: app factory, extensions, tenancy, CLI and the apex site."""
