"""Marketplace: sellers, buyers, catalog and search, orders (state machine) and the payment port."""
