"""The dashboard under /ui/: server-rendered pages for publishers, advertisers and the admin."""
