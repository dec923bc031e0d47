"""One thin module per tab: layout, wiring and small handlers over the flower_demo core."""
