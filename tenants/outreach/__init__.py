"""Reaching residents: the "Oceń Urząd" banner kit, QR codes and posters for the office."""
