"""Qamtu: national connectivity statistics of Kazakhstan."""
