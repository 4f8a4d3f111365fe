"""HTTP routes: auth, catalog, inventory, orders, fulfillment, sellers, chat, notifications, privacy,
health and the web chat page."""
