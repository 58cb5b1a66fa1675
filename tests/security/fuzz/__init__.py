"""The fuzz test's parts: hostile values, the routes and their targets, forms, bodies, checks."""
