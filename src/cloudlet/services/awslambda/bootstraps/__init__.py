"""Runtimes Cloudlet ships for Lambda functions, run as scripts in execution environments:
``python_bootstrap.py`` and ``node_bootstrap.mjs`` (package data, see pyproject.toml)."""
