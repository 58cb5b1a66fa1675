"""Request plumbing the web pages and the API share.

``deps`` gives routes their database session, the signed-in principal, bounded path ids and
the application's today; ``downloads`` answers a file download. Both ``grants.web`` and
``grants.api`` import these; neither this package nor ``reports`` imports ``grants.web``.
"""
