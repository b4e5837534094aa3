"""Device, precision, compile and seeding concerns, kept out of the algorithm."""
