"""Security: API keys with scopes, per-key rate limits, client IPs, input hardening, security
headers and CORS (`plugin.SecurityPlugin` wires them)."""
