"""The demo world (warehouses, sellers, products, buyers, orders) and its sales history, for `mestocker seed`."""
