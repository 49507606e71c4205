"""HTTP routes: management (publishers, advertisers), serve and tracking, stats."""
