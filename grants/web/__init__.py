"""HTML routes, server-rendered with Jinja2."""
