"""The publicity exchange simulator."""
