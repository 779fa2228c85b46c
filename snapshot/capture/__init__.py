"""Capturing model versions into snapshot documents: one version, a batch, resume and reuse."""
