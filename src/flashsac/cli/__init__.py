"""The command line: the only layer that reads argv, composes Hydra configs and sets process state."""
