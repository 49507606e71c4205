"""Deployment: the Kubernetes manifests (base/, overlays/) and their offline checks (checks/)."""
