"""Identity: users, roles and scopes, the authenticated principal, passwords and channel sessions."""
