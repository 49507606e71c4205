"""Invalid traffic and abuse: sources, rate caps, bots, tracking URL hosts, and the HTTP
server's own protection against stalled clients (docs/invalid-traffic.md)."""
