"""The platform core: what every area builds on, knowing none of them (see ``saas_platform``)."""
