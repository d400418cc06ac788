"""The quote-to-cash flows (docs/quote-to-cash.md): one module per business flow."""
