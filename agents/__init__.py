"""LangGraph agents: the supervisor graph over the inventory, order, seller and support agents,
the chat service that runs a turn (confirmations, routing log), and the offline Spanish model."""
