"""cadence: a command-line prospect cadence tracker."""

__version__ = "0.1.0"
