"""What one office owns, one package per bounded area, each registering itself with
``init_app``: accounts, audit, survey, office, reports, outreach and panel (the staff UI)."""
