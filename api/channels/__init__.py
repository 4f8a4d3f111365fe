"""Chat channels served by the API (the WhatsApp Cloud API webhook)."""
