"""The operator console on the apex host: onboarding offices and running the platform."""
