"""One repository per concern; each writes through ``Backend.write``."""
