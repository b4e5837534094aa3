"""Neural-network building blocks: norm-bounded layers and the tanh-Gaussian distribution."""
