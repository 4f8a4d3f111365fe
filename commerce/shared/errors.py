"""Typed errors a user can hit. Each carries a Spanish message for buyers and sellers."""

from __future__ import annotations


class CommerceError(Exception):
    """Base of every error the domain raises on purpose; `code` is stable, `message` is es-CO."""

    code = "commerce_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CommerceError):
    code = "not_found"


class InvalidInput(CommerceError):
    code = "invalid_input"


class InvalidNit(InvalidInput):
    code = "invalid_nit"


class OutOfStock(CommerceError):
    code = "out_of_stock"


class IllegalTransition(CommerceError):
    code = "illegal_transition"


class NotAuthorized(CommerceError):
    code = "not_authorized"


class NotAuthenticated(CommerceError):
    code = "not_authenticated"


class InvalidScope(CommerceError):
    """A token asked for a scope that does not exist or that the account or client does not hold (OAuth2)."""

    code = "invalid_scope"


class InvalidClient(NotAuthenticated):
    """Unknown, revoked or wrong client credentials (OAuth2 `invalid_client`)."""

    code = "invalid_client"


class Conflict(CommerceError):
    code = "conflict"


class PaymentDeclined(CommerceError):
    code = "payment_declined"
