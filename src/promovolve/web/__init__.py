"""The publisher's web: the ad tag (`/tag.js`) and the demo article (`/demo`)."""
