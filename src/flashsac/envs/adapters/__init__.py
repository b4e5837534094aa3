"""One module per simulator family; each imports its simulator package lazily inside its functions."""
