"""What the locustfiles share: the stack file, vendor calls, business-flow measurement."""
