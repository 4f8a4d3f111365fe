"""Fulfillment: warehouses, stock levels and the movement ledger, reservations, shipments, suppliers
and purchase orders."""
