"""Every query and every domain rule. Services take a session and the acting principal."""
