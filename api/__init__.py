"""The FastAPI application, its dependencies, security and Spanish errors, the CLI and the web page."""
