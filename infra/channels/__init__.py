"""Delivery channels that reach users outside a request: web push (SSE), later WhatsApp."""
