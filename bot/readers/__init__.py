"""Readers of our own: models Wenda builds from files that ship in its packages, with no model hub."""
