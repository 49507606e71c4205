"""What a page is about: the IAB Content Taxonomy, offline classification and keywords."""
