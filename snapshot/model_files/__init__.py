"""Parsing the files a model carries: MLmodel and its environment files."""
