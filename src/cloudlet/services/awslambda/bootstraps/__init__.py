"""Runtimes Cloudlet ships for Lambda functions, run as scripts in execution environments."""
