"""Use cases: what Near Miss does, written against the ports in `ports`."""
