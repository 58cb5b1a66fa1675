"""Request plumbing the web pages and the API share.

``deps`` gives routes their database session, the signed-in principal, bounded path ids and
the application's today; ``downloads`` answers a file download; ``limits`` refuses a request
body over its route's limit before any route runs. Both ``grants.web`` and ``grants.api``
import these; neither this package nor ``reports`` imports ``grants.web``.
"""
