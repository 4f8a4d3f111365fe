"""Outbound channels that reach users outside a request: the WhatsApp Cloud API client, live web
push (SSE) and the deliverer that sends pending buyer notifications on the channel last used."""
