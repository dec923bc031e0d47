"""Training: a run, the line of turns at the training slots, the Ray cluster backend, a session's runs."""
