"""Tests of the selectivity study (class-selective units in early training)."""
