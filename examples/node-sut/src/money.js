// Money between the systems: billing speaks integer minor units, the CRM and the ERP
// decimal strings. The exponent is ISO 4217's; never a float on the way.
const EXPONENTS = { JPY: 0, KRW: 0, VND: 0, CLP: 0, ISK: 0, BHD: 3, KWD: 3, OMR: 3, JOD: 3,
  TND: 3 };

export function exponent(currency) {
  return EXPONENTS[String(currency).toUpperCase()] ?? 2;
}

export function major(minor, currency) {
  const exp = exponent(currency);
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const digits = (value < 0n ? -value : value).toString().padStart(exp + 1, '0');
  if (exp === 0) return sign + digits;
  return `${sign}${digits.slice(0, -exp)}.${digits.slice(-exp)}`;
}

// The unit rate of a line when it is exact in the currency's minor units, else null (the
// ERP takes the line's amount as given; a rate is informational).
export function exactRate(amountMinor, quantity, currency) {
  if (!quantity || quantity <= 0) return major(amountMinor, currency);
  const amount = BigInt(amountMinor);
  const qty = BigInt(quantity);
  return amount % qty === 0n ? major(amount / qty, currency) : null;
}
