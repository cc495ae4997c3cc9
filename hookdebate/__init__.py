"""hookdebate: turn a kernel mailing-list debate into something one can check."""
__version__ = "0.1.0"
