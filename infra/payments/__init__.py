"""Payment gateway adapters of `commerce.marketplace.payments.PaymentGateway` (the local sandbox)."""
