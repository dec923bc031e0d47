"""The network: its architectures, serving answers, and `.keras` files in and out (checked as data,
priced before they run)."""
