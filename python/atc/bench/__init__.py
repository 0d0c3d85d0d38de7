"""Benchmark helpers of the atc package (baselines that the engine is measured against)."""
