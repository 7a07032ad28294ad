"""Airflow-side helpers of the operators, sensors and triggers (ARCHITECTURE.md lists them)."""
