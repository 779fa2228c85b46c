"""Helpers the tests share: real MLflow servers and a fault proxy, the registries they
log, snapshot documents, reference paths. Test modules import only from here, never
from each other or from bench/ (bench/run.py imports its servers from here too).
"""
