"""What a classroom server needs besides the lessons: shared links, clicks before training, the
warm-up, the sessions' models and a crashed run's leftovers."""
